/**
 * The sizing model is validated, not assumed: calibrate on one small lab run, predict where a differently configured
 * proxy (another fd limit) breaks, run that configuration, and compare. Real processes, real fd limits (prlimit).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runScenario } from '../../src/run/run.js';
import { parseScenario } from '../../src/scenario/load.js';
import { calibrate } from '../../src/plan/costs.js';
import { RunEvents } from '../../src/run-events.js';

const lab = (name: string, fds: number, clients: number): string => `name: ${name}
lab:
  backends: {count: 2}
  proxy: {strategy: round-robin, limits: {fds: ${fds}}}
clients: ${clients}
workers: 1
phases: [{ramp_up: 2s}, {hold: 2s}, {ramp_down: 500ms}]
behavior: {messages_per_second: 0}
`;

test('calibrated on a 1,024-fd proxy, the fd cliff of a 360-fd proxy is predicted within 10%', { timeout: 90_000 }, async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'wsherd-plan-'));
  try {
    // Calibration: 300 held connections, far from its limit: fds per connection and fds at idle, from the probes.
    const cal = await runScenario({ scenario: parseScenario(lab('calibrate', 1024, 300), 'calibrate.yaml'), outDir: path.join(dir, 'cal'), events: new RunEvents() });
    assert.equal(cal.results.summary.counters.failed, 0);
    const costs = calibrate([cal.results]);
    assert.equal(costs.origin, 'calibrated');
    const perConnection = costs.balancer.fdsPerConnection.value;
    const idle = costs.balancer.idleFds.value;
    assert.ok(perConnection > 1.8 && perConnection < 2.2, `a relayed client costs the proxy two fds, measured ${perConnection}`);
    const predicted = Math.floor((360 - idle) / perConnection);

    // The other configuration, driven past the prediction.
    const run = await runScenario({ scenario: parseScenario(lab('predicted', 360, Math.ceil(predicted * 1.4)), 'predicted.yaml'), outDir: path.join(dir, 'run'), events: new RunEvents() });
    const measured = run.results.analysis?.cliff?.measured;
    assert.ok(typeof measured === 'number', `the 360-fd proxy must break: ${run.results.analysis?.cliff?.diagnosis ?? ''}`);
    assert.ok(Math.abs(measured / predicted - 1) <= 0.1, `predicted ${predicted} from (360 − ${idle.toFixed(1)}) / ${perConnection.toFixed(3)}, measured ${measured}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
