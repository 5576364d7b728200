/**
 * The interop suite: wsherd's engineio probe against real HAProxy 2.6 and nginx 1.22 (Debian packages, configs in
 * this folder) in front of two reference socket.io backends. What a user would see testing their own balancer:
 * round robin breaks socket.io sessions, source hashing and cookie insert keep them together.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startSocketIoBackend, type RunningSocketIoBackend } from '../../src/backend/socketio-server.js';
import { summarizeSessions } from '../../src/analysis/sessions.js';
import { runLoad } from '../../src/load/coordinator.js';
import { DEFAULT_BEHAVIOR } from '../../src/scenario/sections.js';
import { DEFAULT_SESSION, type Scenario } from '../../src/scenario/types.js';
import { startBalancer, unavailable, type BalancerKind } from './balancers.js';
import type { SessionSummary } from '../../src/results/derived.js';

const CLIENTS = 12;

function scenario(url: string): Scenario {
  return {
    name: 'interop',
    target: { url },
    clients: CLIENTS,
    workers: 1,
    thresholds: [],
    phases: [{ kind: 'ramp_up', durationMs: 1000, to: CLIENTS }, { kind: 'hold', durationMs: 1500, to: CLIENTS }, { kind: 'ramp_down', durationMs: 500, to: 0 }],
    behavior: {
      ...DEFAULT_BEHAVIOR,
      engine: 'engineio',
      session: { ...DEFAULT_SESSION, transports: [...DEFAULT_SESSION.transports], pollsBeforeUpgrade: 2, reconnectCheck: true },
    },
  };
}

async function sessionsThrough(kind: BalancerKind, config: string, backends: readonly RunningSocketIoBackend[]): Promise<SessionSummary> {
  const balancer = await startBalancer(kind, config, backends.map((b) => `127.0.0.1:${b.port}`));
  try {
    const out = await runLoad({ urls: [balancer.url.replace(/^http/, 'ws')], scenario: scenario(balancer.url), insecure: false });
    return summarizeSessions(out.aggregator.sessionCounts() ?? {});
  } finally {
    await balancer.stop();
  }
}

const CASES: ReadonlyArray<[BalancerKind, string, 'misroutes' | 'sticky']> = [
  ['haproxy', 'haproxy-roundrobin.cfg', 'misroutes'],
  ['haproxy', 'haproxy-source.cfg', 'sticky'],
  ['haproxy', 'haproxy-cookie.cfg', 'sticky'],
  ['nginx', 'nginx-roundrobin.conf', 'misroutes'],
  ['nginx', 'nginx-ip-hash.conf', 'sticky'],
];

describe('interop: real balancers in front of reference socket.io backends', () => {
  let backends: RunningSocketIoBackend[] = [];
  before(async () => {
    backends = await Promise.all(['b1', 'b2'].map((id) => startSocketIoBackend({ id })));
  });
  after(async () => {
    await Promise.all(backends.map((b) => b.close()));
  });

  for (const [kind, config, expect] of CASES) {
    test(`${config}: ${expect === 'misroutes' ? 'misroutes reported' : 'no misroutes, every session upgraded'}`, { timeout: 60_000 }, async (t) => {
      const missing = unavailable(kind);
      if (missing !== undefined) return t.skip(missing);
      const s = await sessionsThrough(kind, config, backends);
      assert.equal(s.attempted >= CLIENTS, true, JSON.stringify(s.counts));
      if (expect === 'misroutes') {
        assert.ok((s.misrouteRate ?? 0) > 0, `${config}: ${s.verdict}`);
        assert.ok(s.broken > 0, `${config}: ${s.verdict}`);
        assert.match(s.verdict, /^Sessions broke: /);
      } else {
        assert.equal(s.misrouteRate, 0, `${config}: ${s.verdict}`);
        assert.equal(s.broken, 0, s.verdict);
        assert.equal(s.upgraded, s.established, s.verdict);
        assert.equal(s.affinityRate, 1, `${config}: a reconnecting client returns to its backend`);
        assert.match(s.verdict, /^Sessions stayed together: /);
      }
    });
  }
});
