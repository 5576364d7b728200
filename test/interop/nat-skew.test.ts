/**
 * The interop suite's NAT skew: real nginx `ip_hash` and real HAProxy `balance source` in front of two reference
 * backends, loaded by a population — 40% of clients behind one address (a NAT), 30% spread one address per /24,
 * 30% packed in one /24 (a campus). Both balancers keep the NAT group on one backend, so the split is skewed
 * whatever the hash; only nginx also collapses the /24 (ip_hash hashes the first three octets), which HAProxy
 * spreads. wsherd must measure exactly that.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { runLoad } from '../../src/load/coordinator.js';
import { populationResult } from '../../src/analysis/population.js';
import { skewStats } from '../../src/analysis/skew.js';
import { parseScenario } from '../../src/scenario/load.js';
import { startBalancer, twoWsBackends, unavailable, type BalancerKind } from './balancers.js';

const scenarioFor = (url: string) => parseScenario(`name: interop-nat-skew
target: ${url}
clients: 400
workers: 1
population:
  - {name: nat, share: 0.4, addresses: 1}
  - {name: spread, share: 0.3, addresses: 120}
  - {name: campus, share: 0.3, cidr: 127.64.0.0/24}
phases: [{ramp_up: 2s}, {hold: 1s}, {ramp_down: 500ms}]
behavior: {messages_per_second: 0}
`, 'nat-skew.yaml');

const CASES: ReadonlyArray<{ kind: BalancerKind; config: string; campusBackends: number }> = [
  { kind: 'nginx', config: 'nginx-ip-hash.conf', campusBackends: 1 },
  { kind: 'haproxy', config: 'haproxy-source.cfg', campusBackends: 2 },
];

describe('interop: NAT skew through real source-hashing balancers', () => {
  const backends = twoWsBackends();

  for (const c of CASES) {
    test(`${c.config}: the NAT group lands on one backend; the /24 group on ${c.campusBackends}`, { timeout: 60_000 }, async (t) => {
      const missing = unavailable(c.kind);
      if (missing !== undefined) return t.skip(missing);
      const balancer = await startBalancer(c.kind, c.config, backends());
      try {
        const url = balancer.url.replace(/^http/, 'ws');
        const scenario = scenarioFor(url);
        const out = await runLoad({ urls: [url], scenario, insecure: false });
        assert.equal(out.aggregator.totals().established, 400);
        const counts = out.aggregator.backendCounts();
        const perBackend = ['b1', 'b2'].map((id) => ({ id, connections: counts[id] ?? 0, share: (counts[id] ?? 0) / 400 }));
        const pop = populationResult(scenario.population!, 400, out.aggregator.groupBackends(), perBackend);
        const reached = Object.fromEntries(pop.groups.map((g) => [g.name, g.backendsReached]));
        assert.equal(reached['nat'], 1, JSON.stringify(pop.groups));
        assert.equal(reached['spread'], 2, JSON.stringify(pop.groups));
        assert.equal(reached['campus'], c.campusBackends, JSON.stringify(pop.groups));
        // The whole NAT group (40% of clients) on the hottest backend, whatever the hash: the skew is the NAT's.
        assert.equal(pop.hottest?.group, 'nat', pop.diagnosis);
        assert.equal(pop.hottest?.connections, 160, pop.diagnosis);
        assert.ok((skewStats(perBackend.map((b) => b.connections))?.peakToAverage ?? 0) > 1, JSON.stringify(perBackend));
      } finally {
        await balancer.stop();
      }
    });
  }
});
