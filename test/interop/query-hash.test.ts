/**
 * The interop suite's query-parameter hashing: real HAProxy `balance url_param user` and nginx `hash $arg_user
 * consistent` in front of two reference socket.io backends, each client sending its own `user=u<slot>` on every
 * request of its session (behavior.query). What docs/sticky-sessions.md claims: sessions stay together without a
 * cookie, and users spread over both backends even when they all share one source address, where `balance source`
 * and `ip_hash` put every one of them on one backend.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startSocketIoBackend, type RunningSocketIoBackend } from '../../src/backend/socketio-server.js';
import { summarizeSessions } from '../../src/analysis/sessions.js';
import { runLoad } from '../../src/load/coordinator.js';
import { parseScenario } from '../../src/scenario/load.js';
import { startBalancer, unavailable, type BalancerKind } from './balancers.js';
import type { SessionSummary } from '../../src/results/derived.js';

const CLIENTS = 40;

/**
 * `nat`: every client behind one source address (a population of one address) instead of the OS's 127.0.0.1.
 * `query: false`: no `user` parameter, the control that shows the parameter is what keeps sessions together.
 */
interface Options { nat: boolean; query: boolean }

const scenarioFor = (url: string, o: Options) => parseScenario(`name: interop-query-hash
target: ${url}
clients: ${CLIENTS}
workers: 1
${o.nat ? 'population: {name: office, addresses: 1}\n' : ''}phases: [{ramp_up: 1s}, {hold: 1500ms}, {ramp_down: 500ms}]
behavior:
  engine: engineio
  session: {polls_before_upgrade: 2, reconnect_check: true}
${o.query ? '  query: {user: "u{{ client }}"}\n' : ''}`, 'query-hash.yaml');

interface Outcome {
  sessions: SessionSummary;
  /** Sessions established per backend id. */
  perBackend: Record<string, number>;
  /** With `nat`: the office group's connections per backend. */
  office: Record<string, number>;
}

async function through(kind: BalancerKind, config: string, backends: readonly RunningSocketIoBackend[], o: Options): Promise<Outcome> {
  const balancer = await startBalancer(kind, config, backends.map((b) => `127.0.0.1:${b.port}`));
  try {
    const out = await runLoad({ urls: [balancer.url.replace(/^http/, 'ws')], scenario: scenarioFor(balancer.url, o), insecure: false });
    return {
      sessions: summarizeSessions(out.aggregator.sessionCounts() ?? {}),
      perBackend: out.aggregator.backendCounts(),
      office: out.aggregator.groupBackends()['office'] ?? {},
    };
  } finally {
    await balancer.stop();
  }
}

/** Every poll, post and upgrade reached its session's backend; every session upgraded; reconnects came back. */
function assertSticky(config: string, s: SessionSummary): void {
  assert.equal(s.attempted >= CLIENTS, true, JSON.stringify(s.counts));
  assert.equal(s.established, s.attempted, `${config}: ${s.verdict}`);
  assert.equal(s.misrouteRate, 0, `${config}: ${s.verdict}`);
  assert.equal(s.broken, 0, `${config}: ${s.verdict}`);
  assert.equal(s.upgraded, s.established, `${config}: ${s.verdict}`);
  assert.equal(s.affinityRate, 1, `${config}: a reconnecting client (same user) returns to its backend`);
  assert.match(s.verdict, /^Sessions stayed together: /);
}

const used = (counts: Record<string, number>): string[] => ['b1', 'b2'].filter((id) => (counts[id] ?? 0) > 0);

const CASES: ReadonlyArray<{ kind: BalancerKind; hashConfig: string; sourceConfig: string }> = [
  { kind: 'haproxy', hashConfig: 'haproxy-url-param.cfg', sourceConfig: 'haproxy-source.cfg' },
  { kind: 'nginx', hashConfig: 'nginx-hash-arg.conf', sourceConfig: 'nginx-ip-hash.conf' },
];

describe('interop: hashing a per-client query parameter through real balancers', () => {
  let backends: RunningSocketIoBackend[] = [];
  before(async () => {
    backends = await Promise.all(['b1', 'b2'].map((id) => startSocketIoBackend({ id })));
  });
  after(async () => {
    await Promise.all(backends.map((b) => b.close()));
  });

  for (const c of CASES) {
    test(`${c.hashConfig}: sessions sticky without cookies, users on both backends`, { timeout: 60_000 }, async (t) => {
      const missing = unavailable(c.kind);
      if (missing !== undefined) return t.skip(missing);
      const o = await through(c.kind, c.hashConfig, backends, { nat: false, query: true });
      t.diagnostic(`${c.hashConfig}: ${JSON.stringify(o.perBackend)} ${o.sessions.verdict}`);
      assertSticky(c.hashConfig, o.sessions);
      // Every client connects from 127.0.0.1 here: a source hash would put them all on one backend.
      assert.deepEqual(used(o.perBackend), ['b1', 'b2'], JSON.stringify(o.perBackend));
      assert.equal((o.perBackend['b1'] ?? 0) + (o.perBackend['b2'] ?? 0), o.sessions.established, JSON.stringify(o.perBackend));
    });

    test(`${c.kind}, everyone behind one address: ${c.sourceConfig} on one backend, ${c.hashConfig} on both`, { timeout: 60_000 }, async (t) => {
      const missing = unavailable(c.kind);
      if (missing !== undefined) return t.skip(missing);
      const bySource = await through(c.kind, c.sourceConfig, backends, { nat: true, query: true });
      const byUser = await through(c.kind, c.hashConfig, backends, { nat: true, query: true });
      t.diagnostic(`${c.sourceConfig}: office ${JSON.stringify(bySource.office)}; ${c.hashConfig}: office ${JSON.stringify(byUser.office)}`);
      assertSticky(c.sourceConfig, bySource.sessions);
      assertSticky(c.hashConfig, byUser.sessions);
      assert.equal(used(bySource.office).length, 1, `${c.sourceConfig}: ${JSON.stringify(bySource.office)}`);
      assert.deepEqual(used(byUser.office), ['b1', 'b2'], `${c.hashConfig}: ${JSON.stringify(byUser.office)}`);
    });

    test(`${c.hashConfig} without behavior.query: round robin, sessions break`, { timeout: 60_000 }, async (t) => {
      const missing = unavailable(c.kind);
      if (missing !== undefined) return t.skip(missing);
      const o = await through(c.kind, c.hashConfig, backends, { nat: false, query: false });
      t.diagnostic(`${c.hashConfig} without user: ${o.sessions.verdict}`);
      assert.ok((o.sessions.misrouteRate ?? 0) > 0, `${c.hashConfig}: ${o.sessions.verdict}`);
      assert.ok(o.sessions.broken > 0, `${c.hashConfig}: ${o.sessions.verdict}`);
      assert.match(o.sessions.verdict, /^Sessions broke: /);
    });
  }
});
