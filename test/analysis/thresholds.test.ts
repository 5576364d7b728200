import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { evaluateThresholds, metricValue, METRIC_NAMES, isKnownMetric } from '../../src/analysis/thresholds.js';
import type { ThresholdSpec, ThresholdOp } from '../../src/scenario/types.js';
import { sampleResults } from '../results/fixture.js';
import { summarizeSessions } from '../../src/analysis/sessions.js';
import { findCliff } from '../../src/analysis/cliff.js';
import { flowFixtureSummary } from '../metrics/flow-fixture.js';

const spec = (metric: string, op: ThresholdOp, value: number): ThresholdSpec => ({
  source: `${metric} ${op} ${value}`, metric, op, value, location: { file: 's.yaml', line: 1, col: 1 },
});

describe('metricValue', () => {
  const r = sampleResults();

  test('latency metrics read summary.latency in ms', () => {
    assert.equal(metricValue(r, 'p99(connect)'), 11.8);
    assert.equal(metricValue(r, 'p50(rtt)'), 0.52);
    assert.equal(metricValue(r, 'p999(handshake)'), 13.4);
    assert.equal(metricValue(r, 'max(rtt)'), 14.2);
    assert.equal(metricValue(r, 'min(connect)'), 0.21);
    assert.equal(metricValue(r, 'mean(handshake)'), 1.42);
    assert.equal(metricValue(r, 'p90(connect)'), 4.12);
    assert.equal(metricValue(r, 'p95(rtt)'), 1.63);
  });

  test('counters, errors, messages, backends, generator', () => {
    assert.equal(metricValue(r, 'errors.rate'), 20 / 2020);
    assert.equal(metricValue(r, 'errors.count'), 20);
    assert.equal(metricValue(r, 'connections.attempted'), 2020);
    assert.equal(metricValue(r, 'connections.established'), 2005);
    assert.equal(metricValue(r, 'connections.failed'), 15);
    assert.equal(metricValue(r, 'connections.dropped'), 5);
    assert.equal(metricValue(r, 'connections.peak_open'), 2000);
    assert.equal(metricValue(r, 'messages.sent'), 54993);
    assert.equal(metricValue(r, 'messages.received'), 54991);
    assert.equal(metricValue(r, 'messages.lost'), 2);
    assert.equal(metricValue(r, 'messages.lost_rate'), 2 / 54993);
    assert.equal(metricValue(r, 'backends.peak_to_average'), r.backends.skew?.peakToAverage);
    assert.equal(metricValue(r, 'backends.jain'), r.backends.skew?.jain);
    assert.equal(metricValue(r, 'backends.cv'), r.backends.skew?.cv);
    assert.equal(metricValue(r, 'backends.min_share'), 666 / 2005);
    assert.equal(metricValue(r, 'backends.max_share'), 673 / 2005);
    assert.equal(metricValue(r, 'generator.lag_max'), 17.8);
  });

  test('every listed name is known and resolves on the fixture (a session run for the session metrics)', () => {
    // 8 statistics × 10 latency subjects (6 histograms, rtt/ack _corrected and _uncorrected), 18 connection/message/
    // backend metrics, 10 session metrics, 2 limits, 8 statistics of delivery and 7 delivery/frames counts (a flow run).
    assert.equal(METRIC_NAMES.length, 80 + 18 + 10 + 2 + 8 + 7);
    const withSessions = sampleResults();
    const stats = withSessions.summary.latency.rtt;
    withSessions.summary.latency = { ...withSessions.summary.latency, upgrade: stats, ack: stats, lookup: stats, rtt_corrected: stats, ack_corrected: stats };
    withSessions.summary.counters = { ...withSessions.summary.counters, messagesSkipped: 3 };
    withSessions.analysis = { cliff: findCliff([], undefined) };
    withSessions.analysis.cliff = { ...withSessions.analysis.cliff!, measured: 116, deviation: -0.02 };
    withSessions.summary.flow = flowFixtureSummary();
    withSessions.summary.sessions = summarizeSessions({ attempted: 4, established: 4, broken: 1, req_poll: 8, misroute_poll: 1, req_post: 8, req_upgrade: 3, upgrade_attempted: 3, upgraded: 3, reconnect: 2, reconnect_same_backend: 1 });
    for (const m of METRIC_NAMES) {
      assert.ok(isKnownMetric(m), m);
      assert.equal(typeof metricValue(withSessions, m), 'number', m);
    }
    assert.equal(metricValue(withSessions, 'sessions.misroute_rate'), 1 / 19);
    assert.equal(metricValue(withSessions, 'sessions.misroute_rate.poll'), 1 / 8);
    assert.equal(metricValue(withSessions, 'sessions.affinity_rate'), 0.5);
    assert.equal(metricValue(r, 'sessions.misroute_rate'), null, 'a ws run has no session metrics: no data, not 0');
    assert.equal(metricValue(r, 'p99(upgrade)'), null);
  });

  test('rtt and ack read the corrected round trip; *_uncorrected the one from the actual send; older files fall back with a note', () => {
    const res = sampleResults();
    const rtt = res.summary.latency.rtt;
    res.summary.latency = { ...res.summary.latency, rtt_corrected: { ...rtt, p99: rtt.p99 + 500 } };
    assert.equal(metricValue(res, 'p99(rtt)'), rtt.p99 + 500);
    assert.equal(metricValue(res, 'p99(rtt_corrected)'), rtt.p99 + 500);
    assert.equal(metricValue(res, 'p99(rtt_uncorrected)'), rtt.p99);
    const [gate] = evaluateThresholds(res, [spec('p99(rtt)', '<', rtt.p99 + 400)]);
    assert.equal(gate?.pass, false, 'a generator stall fails the default gate');
    assert.equal(gate?.note, undefined);
    const old = sampleResults();
    assert.equal(old.summary.latency.rtt_corrected, undefined);
    const [fallback] = evaluateThresholds(old, [spec('p99(rtt)', '<', 1000)]);
    assert.equal(fallback?.measured, old.summary.latency.rtt.p99);
    assert.match(fallback?.note ?? '', /no rtt_corrected .* uncorrected round trip was used/);
    assert.equal(metricValue(old, 'messages.skipped'), null, 'a file from before skipped sends were counted: no data, not 0');
  });

  test('null when there is no data or the name is unknown', () => {
    const empty = sampleResults();
    empty.summary.latency.rtt.count = 0;
    empty.summary.counters.attempted = 0;
    empty.summary.counters.messagesSent = 0;
    empty.backends.skew = null;
    empty.generator.workers = [];
    for (const m of ['p99(rtt)', 'errors.rate', 'messages.lost_rate', 'backends.jain', 'generator.lag_max', 'p99(nothing)', 'bogus']) {
      assert.equal(metricValue(empty, m), null, m);
    }
  });
});

describe('evaluateThresholds', () => {
  test('compares with every operator and keeps the given order', () => {
    const r = sampleResults();
    const out = evaluateThresholds(r, [
      spec('p99(connect)', '<', 50), spec('p99(connect)', '<', 11.8), spec('p99(connect)', '<=', 11.8),
      spec('errors.count', '>', 19), spec('errors.count', '>=', 21), spec('errors.count', '==', 20),
      spec('errors.count', '!=', 20), spec('errors.rate', '<', 0.001),
    ]);
    assert.deepEqual(out.map((t) => t.pass), [true, false, true, true, false, true, false, false]);
    assert.deepEqual(out[0], { source: 'p99(connect) < 50', metric: 'p99(connect)', op: '<', value: 50, measured: 11.8, pass: true });
    assert.equal(out[7]?.measured, 20 / 2020);
  });

  test('a metric with no data fails with a note saying why', () => {
    const r = sampleResults();
    r.summary.latency.rtt.count = 0;
    r.backends.skew = null;
    r.backends.perBackend = [];
    const [rtt, jain] = evaluateThresholds(r, [spec('p99(rtt)', '<', 100), spec('backends.jain', '>', 0.9)]);
    assert.deepEqual(rtt, {
      source: 'p99(rtt) < 100', metric: 'p99(rtt)', op: '<', value: 100, measured: null, pass: false,
      note: 'no data for p99(rtt) (no rtt samples were recorded)',
    });
    assert.equal(jain?.pass, false);
    assert.equal(jain?.note, 'no data for backends.jain (no backend identified itself)');
  });

  test('an empty run does not pass an error-rate gate', () => {
    const r = sampleResults();
    r.summary.counters.attempted = 0;
    r.summary.errors.rate = 0;
    const [t] = evaluateThresholds(r, [spec('errors.rate', '<', 0.01)]);
    assert.equal(t?.pass, false);
    assert.equal(t?.note, 'no data for errors.rate (no connection was attempted)');
  });

  test('an unknown metric fails with a note', () => {
    const [t] = evaluateThresholds(sampleResults(), [spec('p99(latency)', '<', 1)]);
    assert.equal(t?.pass, false);
    assert.equal(t?.note, 'unknown metric "p99(latency)"');
  });
});
