/**
 * `wsherd plan --search`: levels grow until the SLO breaks, then the bracket is bisected. On a lab proxy limited to
 * 200 fds the answer is its fd cliff, (200 − fds at idle) / 2, found with a real lab per step.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { searchCapacity, sloFromFlags, sloThresholds, stepScenario } from '../../src/plan/search.js';
import { parseScenario } from '../../src/scenario/load.js';
import { runCli } from '../helpers/cli.js';

const scenario = parseScenario(`name: s
lab:
  backends: {count: 1}
  proxy: {strategy: round-robin, limits: {fds: 200}}
clients: 10
behavior: {messages_per_second: 0}
`, 's.yaml');

describe('capacity search', () => {
  test('SLO flags and the step scenario', () => {
    assert.deepEqual(sloFromFlags({ p99Connect: '50ms', errorRate: '1%' }), { p99ConnectMs: 50, errorRate: 0.01 });
    assert.throws(() => sloFromFlags({ errorRate: '150%' }), /--slo-error-rate must be a fraction below 1/);
    assert.throws(() => sloFromFlags({ p99Rtt: 'fast' }), /--slo-p99-rtt must be a duration such as 50ms/);
    const s = stepScenario(scenario, 300, { errorRate: 0.01 }, 1000, 2000);
    assert.equal(s.clients, 300);
    assert.deepEqual(s.phases.map((p) => [p.kind, p.to]), [['ramp_up', 300], ['hold', 300], ['ramp_down', 0]]);
    assert.deepEqual(sloThresholds({ p99RttMs: 80 }).map((t) => t.source), ['p99(rtt) < 80ms']);
  });

  test('a 200-fd proxy: the search brackets its fd cliff within 10%', { timeout: 120_000 }, async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'wsherd-search-'));
    try {
      const r = await searchCapacity({ scenario, slo: { errorRate: 0.001 }, start: 40, max: 320, rampMs: 1500, holdMs: 1500, outDir: dir });
      assert.ok(r.sustainable !== null && r.breaking !== null, JSON.stringify(r.steps));
      assert.ok(r.sustainable < r.breaking);
      assert.ok((r.breaking - r.sustainable) / r.breaking <= 0.1, `bracket ${r.sustainable}..${r.breaking}`);
      const idle = 24; // the lab proxy's fds before any client, measured by every fd-exhaustion run (docs/limits.md)
      const cliff = (200 - idle) / 2;
      assert.ok(Math.abs(r.sustainable / cliff - 1) <= 0.1, `sustainable ${r.sustainable}, fd cliff ≈ ${cliff}`);
      for (const s of r.steps) assert.equal(s.pass, s.connections <= r.sustainable, JSON.stringify(s));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('the command refuses a search without an SLO, with a hint and exit 2', async () => {
    const res = await runCli(['plan', '--search', 'scenarios/quickstart.yaml']);
    assert.equal(res.code, 2, res.stderr);
    assert.match(res.stderr, /A capacity search needs an SLO to break/);
    assert.doesNotMatch(res.stderr, /\n\s+at /, 'no stack trace');
  });
});
