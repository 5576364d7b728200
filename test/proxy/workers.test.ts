/**
 * `workers: N`: worker processes share the port; hash strategies agree across them, sticky tables and cookies
 * are shared, admin changes reach every worker, a dead worker is replaced, and none outlives close().
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startProxy, type RunningProxy } from '../../src/proxy/server.js';
import type { ProxyStats } from '../../src/results/lab-types.js';
import { startEioBackend, request, sidOf, type EioBackend } from '../helpers/eio-backend.js';
import { admin, eventually } from './live.js';

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function freshStats(p: RunningProxy): Promise<ProxyStats> {
  const r = await admin(p.adminPort, 'GET', '/stats');
  return r.body as ProxyStats;
}

describe('proxy workers', () => {
  let backends: EioBackend[] = [];
  const targets = (): Array<{ id: string; host: string; port: number }> => backends.map((b) => ({ id: b.id, host: '127.0.0.1', port: b.port }));
  const started: RunningProxy[] = [];

  before(async () => {
    backends = await Promise.all(['b1', 'b2', 'b3'].map(startEioBackend));
  });
  after(async () => {
    await Promise.all(started.map((p) => p.close()));
    await Promise.all(backends.map((b) => b.close()));
  });

  test('source-ip-hash over 2 workers: both serve, every source lands on one backend', async () => {
    const p = await startProxy({ strategy: 'source-ip-hash', workers: 2, backends: targets() });
    started.push(p);
    const seen = new Map<string, Set<string>>();
    // Concurrent batches, so both workers are awake to accept (the kernel hands each accept to one of them).
    for (let batch = 0; batch < 10; batch++) {
      const answers = await Promise.all(
        Array.from({ length: 12 }, async (_, i) => {
          const src = `127.0.0.${30 + (i % 6)}`;
          return [src, (await request(p.port, '/', { localAddress: src })).body] as const;
        }),
      );
      for (const [src, body] of answers) seen.set(src, (seen.get(src) ?? new Set()).add(body));
    }
    for (const [src, set] of seen) assert.equal(set.size, 1, `${src} went to ${[...set].join(', ')}`);
    const s = await freshStats(p);
    assert.equal(s.workers?.length, 2);
    for (const w of s.workers ?? []) assert.ok(w.connectionsTotal > 0, `worker ${w.pid} accepted connections`);
    assert.equal(s.connectionsTotal, 120);
    assert.equal(s.process.fdLimit > (s.workers?.[0]?.fdLimit ?? 0), true, 'the combined fd limit is reported');
  });

  test('engineio-sid over 2 workers: the sid table is shared (no unknown sid) and the cookie secret too', async () => {
    const p = await startProxy({ mode: 'l7', strategy: 'engineio-sid', workers: 2, backends: targets() });
    started.push(p);
    for (let session = 0; session < 5; session++) {
      const sid = sidOf((await request(p.port, '/socket.io/?EIO=4&transport=polling')).body);
      const polls = await Promise.all(Array.from({ length: 8 }, () => request(p.port, `/socket.io/?EIO=4&transport=polling&sid=${sid}`)));
      for (const r of polls) assert.equal(r.status, 200, r.body);
    }
    assert.equal(backends.reduce((n, b) => n + b.unknownSid, 0), 0);
    const s = await freshStats(p);
    assert.equal(s.tables?.['sid'], 5);
    assert.equal(s.sticky?.['hits'], 40);

    const c = await startProxy({ mode: 'l7', strategy: 'cookie', workers: 2, backends: targets() });
    started.push(c);
    const first = await request(c.port, '/');
    const cookie = String(first.headers['set-cookie']).split(';')[0] ?? '';
    const bodies = await Promise.all(Array.from({ length: 20 }, () => request(c.port, '/', { headers: { cookie } })));
    assert.deepEqual(new Set(bodies.map((r) => r.body)), new Set([first.body]));
    const cs = await freshStats(c);
    assert.equal(cs.sticky?.['forged'] ?? 0, 0, 'a cookie signed by one worker verifies in the other');
    assert.equal(cs.sticky?.['hits'], 20);
  });

  test('admin changes reach every worker; a killed worker is replaced; close leaves no process', async () => {
    const p = await startProxy({ strategy: 'round-robin', workers: 2, backends: targets() });
    started.push(p);
    const drained = await admin(p.adminPort, 'POST', '/backends/b2/drain');
    assert.equal(drained.status, 200);
    const bodies = await Promise.all(Array.from({ length: 30 }, () => request(p.port, '/')));
    assert.ok(!bodies.some((r) => r.body === 'b2'), 'no worker sends new clients to the drained backend');
    const before = await freshStats(p);
    const victim = before.workers?.[0]?.pid ?? 0;
    process.kill(victim, 'SIGKILL');
    assert.ok(await eventually(async () => {
      const s = await freshStats(p).catch(() => undefined);
      return s?.workers?.length === 2 && !s.workers.some((w) => w.pid === victim) && s.errors['worker_exit'] === 1;
    }, 10_000), 'the dead worker was counted and replaced');
    const pids = ((await freshStats(p)).workers ?? []).map((w) => w.pid);
    await p.close();
    assert.ok(await eventually(() => pids.every((pid) => !alive(pid)), 5000), 'no worker outlives close()');
  });
});
