import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { diagnose } from '../../src/analysis/diagnosis.js';
import { handshakeCapOf } from '../../src/analysis/generator-limits.js';
import { renderSummary } from '../../src/report/summary.js';
import { validateResults } from '../../src/results/validate.js';
import { parseScenario } from '../../src/scenario/load.js';
import { sampleResults } from '../results/fixture.js';

const cap = (held: number, maxWaitMs: number) => ({ cap: 500, held, maxWaitMs, waitBuckets: [0, 0, held, 0, 0], dropped: 0, maxInFlight: 500 });

describe('the generator\'s own limits on openings, told apart from the target', () => {
  test('the handshake cap: summed over workers, said in the diagnosis and the summary, valid in results', () => {
    const r = sampleResults();
    r.scenario.behavior = { ...r.scenario.behavior, handshakesInFlight: 1000 };
    r.generator.workers = r.generator.workers.map((w, i) => ({ ...w, handshakeCap: cap(1000 + i, 400 + i * 300) }));
    const sum = handshakeCapOf(r);
    assert.equal(sum?.cap, 500 * r.generator.workers.length);
    assert.equal(sum?.held, r.generator.workers.reduce((n, _, i) => n + 1000 + i, 0));
    const sentence = diagnose(r).sentence;
    assert.match(sentence, new RegExp(`The generator held back ${sum?.held.toLocaleString('en-US')} openings up to ${(400 + (r.generator.workers.length - 1) * 300).toLocaleString('en-US')} ms by its handshake cap \\(behavior\\.handshakes_in_flight: 1,000\\)`));
    assert.match(renderSummary(r, { color: false }), /held back: the generator held back/);
    r.generator.coordinator = { pid: 1, startRssBytes: 100e6, maxRssBytes: 120e6 };
    r.generator.tree = { startRssBytes: 200e6, maxRssBytes: 300e6, peakOpen: 10_000, rssAtPeakOpenBytes: 290e6, bytesPerConnection: 9000 };
    assert.deepEqual(validateResults(JSON.parse(JSON.stringify(r))), []);
    assert.match(renderSummary(r, { color: false }), /whole tree\s+9,000 B/);
    const quiet = sampleResults();
    quiet.generator.workers = quiet.generator.workers.map((w) => ({ ...w, handshakeCap: cap(3, 20) }));
    assert.doesNotMatch(diagnose(quiet).sentence, /handshake cap/, 'a wait of a tick or two is pacing, not a limit worth a sentence');
  });

  test('handshakes failing during a ramp while the clients sent: the diagnosis says the target was answering messages meanwhile', () => {
    const r = sampleResults();
    const rampSeconds = Math.ceil((r.scenario.phases[0]?.durationMs ?? 0) / 1000);
    assert.ok(r.scenario.phases[0]?.kind === 'ramp_up' && rampSeconds >= 1);
    r.series = r.series.map((p) => (p.t < rampSeconds ? { ...p, failed: 7, errors: { handshake_timeout: 5, connect_timeout: 2, ECONNREFUSED: 4 }, messagesReceived: 3000 } : { ...p, failed: 0 }));
    assert.match(diagnose(r).sentence, /\d+ openings timed out or were reset during the ramp while the clients already open were sending: the target was answering 3,000 msg\/s while accepting handshakes; behavior\.send_during_ramp: false measures the handshakes alone/);
    r.scenario.behavior = { ...r.scenario.behavior, sendDuringRamp: false };
    assert.doesNotMatch(diagnose(r).sentence, /send_during_ramp/);
  });

  test('scenario: handshakes_in_flight and send_during_ramp are read, checked with their location, absent by default', () => {
    const base = 'name: b\nclients: 10\nlab: {backends: {count: 1}}\n';
    const s = parseScenario(`${base}behavior:\n  handshakes_in_flight: 200\n  send_during_ramp: false\n`, 'b.yaml');
    assert.equal(s.behavior.handshakesInFlight, 200);
    assert.equal(s.behavior.sendDuringRamp, false);
    const d = parseScenario(base, 'b.yaml');
    assert.equal(d.behavior.handshakesInFlight, undefined);
    assert.equal(d.behavior.sendDuringRamp, undefined);
    assert.throws(() => parseScenario(`${base}behavior:\n  handshakes_in_flight: 0\n`, 'b.yaml'), /b\.yaml:5:25 behavior\.handshakes_in_flight must be at least 1/);
    assert.throws(() => parseScenario(`${base}behavior:\n  send_during_ramp: sometimes\n`, 'b.yaml'), /b\.yaml:5:21 behavior\.send_during_ramp/);
  });
});
