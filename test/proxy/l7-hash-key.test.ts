import { afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { WsherdError } from '../../src/errors.js';
import { startProxy } from '../../src/proxy/server.js';
import type { HashKey } from '../../src/proxy/strategies/types.js';
import { runCli } from '../helpers/cli.js';
import { admin, stats } from './live.js';
import { get, l7Proxy, Scope, testBackends, wsHello, type GetOptions } from './l7-live.js';

const scope = new Scope();
afterEach(() => scope.closeAll());

interface Case {
  strategy: string;
  hashKey: HashKey;
  /** The request path and options carrying `value` as the key; `i` varies what is not the key. */
  request(value: string, i: number): { path: string; o?: GetOptions };
}

const CASES: Case[] = [
  { strategy: 'consistent-hash', hashKey: 'uri', request: (v) => ({ path: `/chat?room=${v}&lang=en` }) },
  { strategy: 'maglev', hashKey: 'path', request: (v, i) => ({ path: `/rooms/${v}?t=${i}` }) },
  { strategy: 'rendezvous', hashKey: 'query:room', request: (v, i) => ({ path: `/socket.io/?EIO=4&t=${i}&room=${v}` }) },
  { strategy: 'maglev', hashKey: 'query:room', request: (v, i) => ({ path: `/?room=${v}&t=${i}` }) },
  { strategy: 'consistent-hash', hashKey: 'query:room', request: (v, i) => ({ path: `/?t=${i}&room=${v}` }) },
  { strategy: 'consistent-hash', hashKey: 'header:x-room', request: (v, i) => ({ path: `/?t=${i}`, o: { headers: { 'X-Room': v } } }) },
];

describe('L7 hash_key on the request', () => {
  for (const c of CASES) {
    test(`${c.strategy} hash_key ${c.hashKey}: one value, one backend (requests and upgrades); 30 values reach all 3`, async () => {
      const bs = await testBackends(scope, 'b1', 'b2', 'b3');
      const proxy = await l7Proxy(scope, bs, { strategy: c.strategy, strategyOptions: { hashKey: c.hashKey } });
      // Keep-alive: the same client connection carries requests of different rooms, each routed on its own.
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      scope.add(() => agent.destroy());
      const byValue = new Map<string, string>();
      for (let v = 0; v < 30; v++) {
        const value = `room-${v}`;
        const seen: string[] = [];
        for (let i = 0; i < 2; i++) {
          const { path, o } = c.request(value, v * 10 + i);
          const r = await get(proxy.port, path, { ...o, agent });
          assert.equal(r.status, 200);
          assert.equal(r.headers['set-cookie'], undefined, 'no cookie is needed');
          seen.push(String(r.headers['x-backend']));
        }
        const { path, o } = c.request(value, v * 10 + 2);
        const ws = await wsHello(scope, `ws://127.0.0.1:${proxy.port}${path}`, o?.headers === undefined ? {} : { headers: o.headers as Record<string, string> });
        ws.ws.terminate();
        seen.push(ws.backend);
        assert.deepEqual(new Set(seen).size, 1, `${value} went to ${seen.join(', ')}`);
        byValue.set(value, seen[0]!);
      }
      const counts = new Map<string, number>();
      for (const id of byValue.values()) counts.set(id, (counts.get(id) ?? 0) + 1);
      assert.deepEqual([...counts.keys()].sort(), ['b1', 'b2', 'b3'], `spread: ${JSON.stringify(Object.fromEntries(counts))}`);
      const s = await stats(proxy.adminPort);
      assert.deepEqual(s.hash, { hashed: 90, fallbacks: 0 });
    });
  }

  test('a request without the key goes round robin, counted in /stats hash.fallbacks and /metrics', async () => {
    const bs = await testBackends(scope, 'b1', 'b2', 'b3');
    const proxy = await l7Proxy(scope, bs, { strategy: 'maglev', strategyOptions: { hashKey: 'query:room' } });
    const missing = ['/', '/?other=1', '/?room=', '/?Room=x', '/', '/'];
    const got: string[] = [];
    for (const path of missing) got.push((await get(proxy.port, path)).body);
    assert.deepEqual(got, ['b1', 'b2', 'b3', 'b1', 'b2', 'b3'], 'round robin over the healthy backends');
    const upgrade = await wsHello(scope, `ws://127.0.0.1:${proxy.port}/`);
    assert.equal(upgrade.backend, 'b1', 'upgrades without the key fall back too');
    const keyed = await get(proxy.port, '/?room=lobby');
    assert.equal((await get(proxy.port, '/?room=lobby&t=2')).body, keyed.body);
    const s = await stats(proxy.adminPort);
    assert.deepEqual(s.hash, { hashed: 2, fallbacks: 7 });
    const metrics = (await admin(proxy.adminPort, 'GET', '/metrics')).body as string;
    assert.match(metrics, /wsherd_proxy_hash_picks_total\{kind="fallbacks"\} 7/);
    assert.match(metrics, /wsherd_proxy_hash_picks_total\{kind="hashed"\} 2/);
  });

  test('header key: a request without the header falls back; the header name is case-insensitive', async () => {
    const bs = await testBackends(scope, 'b1', 'b2', 'b3');
    const proxy = await l7Proxy(scope, bs, { strategy: 'rendezvous', strategyOptions: { hashKey: 'header:X-User-Id' } });
    const a = await get(proxy.port, '/', { headers: { 'x-user-id': 'u-42' } });
    const b = await get(proxy.port, '/other', { headers: { 'X-USER-ID': 'u-42' } });
    assert.equal(a.body, b.body);
    const fallback = [1, 2, 3].map(() => get(proxy.port, '/'));
    assert.deepEqual(new Set((await Promise.all(fallback)).map((r) => r.body)).size, 3);
    assert.deepEqual(proxy.stats().hash, { hashed: 2, fallbacks: 3 });
  });

  test('socket.io: handshake, polls and the upgrade carrying ?room=x stay on one backend, no cookie', async () => {
    const bs = await testBackends(scope, 'b1', 'b2', 'b3');
    const proxy = await l7Proxy(scope, bs, { strategy: 'consistent-hash', strategyOptions: { hashKey: 'query:room' } });
    const session = async (room: string | undefined): Promise<{ owner: string; statuses: number[]; upgraded?: string }> => {
      const q = room === undefined ? '' : `&room=${room}`;
      const hs = await get(proxy.port, `/socket.io/?EIO=4&transport=polling${q}`);
      assert.equal(hs.status, 200);
      assert.equal(hs.headers['set-cookie'], undefined);
      const sid = (JSON.parse(hs.body.slice(1)) as { sid: string }).sid;
      const owner = bs.find((b) => b.sids.has(sid))!.id;
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) {
        const post = i === 1;
        const path = `/socket.io/?EIO=4&transport=polling&t=${i}&sid=${encodeURIComponent(sid)}${q}`;
        statuses.push((await get(proxy.port, path, post ? { method: 'POST', body: '4hello' } : {})).status);
      }
      if (room === undefined) return { owner, statuses };
      const ws = await wsHello(scope, `ws://127.0.0.1:${proxy.port}/socket.io/?EIO=4&transport=websocket&sid=${encodeURIComponent(sid)}${q}`);
      ws.ws.terminate();
      return { owner, statuses, upgraded: ws.backend };
    };
    const owners = new Set<string>();
    for (let r = 0; r < 9; r++) {
      const s = await session(`room-${r}`);
      assert.deepEqual(s.statuses, [200, 200, 200, 200], `room-${r}: a 400 is a poll that reached a backend not knowing the sid`);
      assert.equal(s.upgraded, s.owner, `room-${r}: the upgrade reached the backend holding the session`);
      owners.add(s.owner);
    }
    assert.ok(owners.size >= 2, `9 rooms spread over the backends: ${[...owners].join(', ')}`);
    // Without the room the polls go round robin: the session breaks (what the key prevents).
    const bare = await session(undefined);
    assert.ok(bare.statuses.includes(400), `round robin misroutes polls: ${bare.statuses.join(', ')}`);
    assert.equal(proxy.stats().hash?.['fallbacks'], 5);
  });

  test('2 workers agree on every room; /stats sums hash picks over them', async () => {
    const bs = await testBackends(scope, 'b1', 'b2', 'b3');
    const proxy = await l7Proxy(scope, bs, { strategy: 'maglev', strategyOptions: { hashKey: 'query:room' }, workers: 2 });
    const byRoom = new Map<string, Set<string>>();
    // Concurrent batches on fresh connections, so both workers accept some.
    for (let batch = 0; batch < 4; batch++) {
      const replies = await Promise.all(Array.from({ length: 10 }, async (_, r) => [`room-${r}`, (await get(proxy.port, `/?room=room-${r}&b=${batch}`)).body] as const));
      for (const [room, id] of replies) byRoom.set(room, (byRoom.get(room) ?? new Set()).add(id));
    }
    for (const [room, ids] of byRoom) assert.equal(ids.size, 1, `${room} reached ${[...ids].join(', ')}`);
    await get(proxy.port, '/');
    const s = await stats(proxy.adminPort);
    assert.deepEqual(s.hash, { hashed: 40, fallbacks: 1 });
  });

  test('validation: request keys need mode l7; malformed keys are refused', async () => {
    const bs = await testBackends(scope, 'b1');
    const backends = [{ id: 'b1', host: '127.0.0.1', port: bs[0]!.port }];
    const refused = async (mode: 'l4' | 'l7', strategy: string, hashKey: string, message: RegExp): Promise<void> => {
      await assert.rejects(startProxy({ mode, strategy, backends, strategyOptions: { hashKey: hashKey as HashKey } }), (err: unknown) => {
        assert.ok(err instanceof WsherdError);
        assert.equal(err.code, 'WSH_ERR_INVALID_INPUT');
        assert.match(err.message, message);
        return true;
      });
    };
    await refused('l4', 'maglev', 'uri', /Strategy "maglev": hashKey uri needs mode: l7, the proxy must read the HTTP request \(the mode is l4\)/);
    await refused('l4', 'consistent-hash', 'query:room', /hashKey query:room needs mode: l7/);
    await refused('l7', 'rendezvous', 'query:', /hashKey "query:" needs a parameter name/);
    await refused('l7', 'rendezvous', 'header:bad name', /hashKey "header:bad name": the header name must be an HTTP token/);
    await refused('l7', 'round-robin', 'uri', /option hashKey does not apply/);
    const ok = await startProxy({ mode: 'l4', strategy: 'maglev', backends, strategyOptions: { hashKey: 'source-ip-port' } });
    await ok.close();
  });

  test('wsherd proxy --option hash_key=uri without --mode l7 fails with the message and hint', async () => {
    const r = await runCli(['proxy', '--strategy', 'maglev', '--option', 'hash_key=uri', '--backend', '127.0.0.1:9', '--health-check', 'none']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /hashKey uri needs mode: l7, the proxy must read the HTTP request/);
    assert.match(r.stderr, /--mode l7/);
  });
});
