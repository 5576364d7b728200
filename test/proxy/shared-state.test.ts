/**
 * Sticky tables shared through a real redis-server by two proxy instances: a session learned on one is routed
 * the same way by the other (the deployment where several balancers sit behind DNS or an L4 front).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startProxy, type RunningProxy } from '../../src/proxy/server.js';
import { startEioBackend, request, sidOf, type EioBackend } from '../helpers/eio-backend.js';
import { freePort, REDIS_SKIP, RedisChild } from './store/redis-server.js';

describe('sticky tables in Redis, two proxies', { skip: REDIS_SKIP }, () => {
  let redisChild: RedisChild;
  let backends: EioBackend[] = [];
  const proxies: RunningProxy[] = [];

  before(async () => {
    redisChild = new RedisChild(await freePort());
    await redisChild.start();
    backends = await Promise.all(['b1', 'b2', 'b3'].map(startEioBackend));
  });
  after(async () => {
    await Promise.all(proxies.map((p) => p.close()));
    await Promise.all(backends.map((b) => b.close()));
    await redisChild.kill();
  });

  const pair = async (strategy: string): Promise<[RunningProxy, RunningProxy]> => {
    const make = (): Promise<RunningProxy> =>
      startProxy({ mode: 'l7', strategy, store: redisChild.url, backends: backends.map((b) => ({ id: b.id, host: '127.0.0.1', port: b.port })) });
    const a = await make();
    const b = await make();
    proxies.push(a, b);
    return [a, b];
  };

  test('engineio-sid: handshake through proxy A, every poll through proxy B reaches the same backend', async () => {
    const [a, b] = await pair('engineio-sid');
    for (let session = 0; session < 6; session++) {
      const hs = await request(a.port, '/socket.io/?EIO=4&transport=polling');
      assert.equal(hs.status, 200);
      const sid = sidOf(hs.body);
      for (let i = 0; i < 5; i++) {
        const via = i % 2 === 0 ? b : a;
        const post = i % 2 === 1;
        const r = await request(via.port, `/socket.io/?EIO=4&transport=polling&sid=${sid}`, post ? { method: 'POST', body: '3' } : {});
        assert.equal(r.status, 200, `session ${session} poll ${i}: ${r.body}`);
      }
    }
    assert.equal(backends.reduce((n, x) => n + x.unknownSid, 0), 0, 'no backend saw a sid it did not issue');
    // B learned nothing itself: it found every session in Redis.
    assert.equal(b.stats().sticky?.['learned'] ?? 0, 0);
    assert.ok((b.stats().sticky?.['hits'] ?? 0) >= 18);
    assert.equal(a.stats().store, 'redis');
  });

  test('stick-table: a source placed by proxy A is sent to the same backend by proxy B', async () => {
    const [a, b] = await pair('stick-table');
    const first = new Map<string, string>();
    for (let i = 0; i < 6; i++) {
      const src = `127.0.0.${20 + i}`;
      first.set(src, (await request(a.port, '/', { localAddress: src })).body);
    }
    assert.ok(new Set(first.values()).size > 1, 'round-robin fallback placed sources on several backends');
    for (const [src, backend] of first) {
      for (let i = 0; i < 3; i++) assert.equal((await request(b.port, '/', { localAddress: src })).body, backend, `${src} via B`);
    }
  });
});
