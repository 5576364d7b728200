/**
 * The interop suite's limits: real nginx with `worker_connections 512` and real HAProxy with a frontend
 * `maxconn 200`, in front of two reference ws backends, driven past their limit. wsherd's measured cliff (where
 * failures began) must match each balancer's documented arithmetic within 5%.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { findCliff } from '../../src/analysis/cliff.js';
import { runLoad } from '../../src/load/coordinator.js';
import { DEFAULT_BEHAVIOR } from '../../src/scenario/sections.js';
import type { Scenario } from '../../src/scenario/types.js';
import { startBalancer, twoWsBackends, unavailable, type BalancerKind } from './balancers.js';
import type { CliffPrediction } from '../../src/results/derived.js';

function scenario(url: string, clients: number): Scenario {
  return {
    name: 'interop-limits',
    target: { url },
    clients,
    workers: 1,
    thresholds: [],
    phases: [{ kind: 'ramp_up', durationMs: 3000, to: clients }, { kind: 'hold', durationMs: 2000, to: clients }, { kind: 'ramp_down', durationMs: 500, to: 0 }],
    behavior: { ...DEFAULT_BEHAVIOR, messagesPerSecond: 0, handshakeTimeoutMs: 1500 },
  };
}

const CASES: ReadonlyArray<{ kind: BalancerKind; config: string; clients: number; prediction: CliffPrediction }> = [
  { kind: 'nginx', config: 'nginx-worker-connections.conf', clients: 400, prediction: { component: 'nginx', resource: 'fds', at: 256, formula: 'worker_connections 512 / 2' } },
  { kind: 'haproxy', config: 'haproxy-maxconn.cfg', clients: 300, prediction: { component: 'haproxy', resource: 'connections', at: 200, formula: 'frontend maxconn 200' } },
];

describe('interop: real balancers driven past their connection limits', () => {
  const backends = twoWsBackends();

  for (const c of CASES) {
    test(`${c.config}: failures begin at ${c.prediction.formula} = ${c.prediction.at}`, { timeout: 60_000 }, async (t) => {
      const missing = unavailable(c.kind);
      if (missing !== undefined) return t.skip(missing);
      const balancer = await startBalancer(c.kind, c.config, backends());
      try {
        const url = balancer.url.replace(/^http/, 'ws');
        const out = await runLoad({ urls: [url], scenario: scenario(url, c.clients), insecure: false });
        const cliff = findCliff(out.aggregator.series(), c.prediction);
        assert.notEqual(cliff.measured, null, `${c.config}: something must fail past the limit`);
        assert.ok(Math.abs(cliff.deviation ?? 1) <= 0.05, cliff.diagnosis);
        assert.equal(out.aggregator.totals().established >= c.prediction.at * 0.95, true, cliff.diagnosis);
      } finally {
        await balancer.stop();
      }
    });
  }
});
