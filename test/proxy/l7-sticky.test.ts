import { afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { admin } from './live.js';
import { cookieValue, get, l7Proxy, Scope, testBackends, until, wsHello } from './l7-live.js';

const scope = new Scope();
afterEach(() => scope.closeAll());

/** The backend id a WSHERDID value names (`<id>.<signature>`). */
const named = (value: string | undefined): string | undefined => value?.slice(0, value.lastIndexOf('.'));
const withCookie = (value: string): { headers: Record<string, string> } => ({ headers: { cookie: `other=1; WSHERDID=${value}` } });

describe('L7 sticky: cookie insert', () => {
  test('the first answer sets a cookie; requests and the upgrade carrying it stick; a cookieless 101 gets one', async () => {
    const bs = await testBackends(scope, 'b1', 'b2', 'b3');
    const proxy = await l7Proxy(scope, bs, { strategy: 'cookie' });
    const first = await get(proxy.port);
    const value = cookieValue(first.headers['set-cookie']);
    assert.ok(value, `Set-Cookie: ${String(first.headers['set-cookie'])}`);
    assert.equal(named(value), first.body, 'the cookie names the backend that answered');
    assert.match(String(first.headers['set-cookie']), /Path=\/; HttpOnly/);

    const got = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const r = await get(proxy.port, '/', withCookie(value));
      got.add(r.body);
      assert.equal(r.headers['set-cookie'], undefined, 'a valid cookie is not re-issued');
    }
    assert.deepEqual([...got], [first.body], 'round robin would have spread 20 requests over 3 backends');

    const sticky = await wsHello(scope, `ws://127.0.0.1:${proxy.port}/`, withCookie(value));
    assert.equal(sticky.backend, first.body, 'the upgrade follows the cookie');
    assert.equal(sticky.setCookie, undefined);

    const fresh = await wsHello(scope, `ws://127.0.0.1:${proxy.port}/`);
    const issued = cookieValue(fresh.setCookie);
    assert.equal(named(issued), fresh.backend, 'the 101 carries a cookie naming its backend');
    const again = await get(proxy.port, '/', withCookie(issued!));
    assert.equal(again.body, fresh.backend);
    const s = proxy.stats();
    assert.equal(s.sticky?.['hits'], 22);
    assert.equal(s.sticky?.['inserted'], 2);
    assert.equal(s.sticky?.['forged'] ?? 0, 0);
  });

  test('a forged cookie (bad signature, or another id under a genuine signature) is ignored, counted, replaced', async () => {
    const bs = await testBackends(scope, 'b1', 'b2', 'b3');
    const proxy = await l7Proxy(scope, bs, { strategy: 'cookie' });
    const first = await get(proxy.port);
    const value = cookieValue(first.headers['set-cookie'])!;
    const sig = value.slice(value.lastIndexOf('.') + 1);
    const flipped = `${sig[0] === 'A' ? 'B' : 'A'}${sig.slice(1)}`;
    const other = bs.map((b) => b.id).find((id) => id !== first.body)!;
    const forgeries = [`${first.body}.${flipped}`, `${other}.${sig}`, `${other}`, `${other}.`];
    for (const forged of forgeries) {
      const r = await get(proxy.port, '/', withCookie(forged));
      assert.equal(r.status, 200);
      const replacement = cookieValue(r.headers['set-cookie']);
      assert.ok(replacement, `a fresh cookie replaces ${forged}`);
      assert.equal(named(replacement), r.body);
      assert.notEqual(replacement, forged);
    }
    assert.equal(proxy.stats().sticky?.['forged'], forgeries.length);
    assert.equal(proxy.stats().sticky?.['hits'] ?? 0, 0);
  });

  test('stale cookies (backend removed, backend down) are counted and re-placed with a fresh cookie', async () => {
    const bs = await testBackends(scope, 'b1', 'b2', 'b3');
    const proxy = await l7Proxy(scope, bs, { strategy: 'cookie', failureCooldownMs: 60_000 });
    const cookies = new Map<string, string>();
    for (let i = 0; i < 3; i++) {
      const r = await get(proxy.port);
      cookies.set(r.body, cookieValue(r.headers['set-cookie'])!);
    }
    assert.deepEqual([...cookies.keys()].sort(), ['b1', 'b2', 'b3']);

    assert.equal((await admin(proxy.adminPort, 'DELETE', '/backends/b1')).status, 200);
    const moved = await get(proxy.port, '/', withCookie(cookies.get('b1')!));
    assert.notEqual(moved.body, 'b1');
    assert.equal(named(cookieValue(moved.headers['set-cookie'])), moved.body);
    assert.equal(proxy.stats().sticky?.['stale'], 1);

    // b2 goes down: the first request finds out by a refused connect and is retried elsewhere; the next one
    // finds it marked down at once. Both are re-placed.
    await bs[1]!.close();
    for (let i = 0; i < 2; i++) {
      const r = await get(proxy.port, '/', withCookie(cookies.get('b2')!));
      assert.equal(r.status, 200);
      assert.equal(r.body, 'b3');
      assert.equal(named(cookieValue(r.headers['set-cookie'])), 'b3');
    }
    assert.equal(proxy.stats().sticky?.['stale'], 3);
    assert.equal(proxy.stats().backends.find((b) => b.id === 'b2')?.health, 'down');
  });

  test('a drained backend keeps its cookie holders but gets no new clients', async () => {
    const bs = await testBackends(scope, 'b1', 'b2', 'b3');
    const proxy = await l7Proxy(scope, bs, { strategy: 'cookie' });
    const first = await get(proxy.port);
    assert.equal(first.body, 'b1');
    const value = cookieValue(first.headers['set-cookie'])!;
    assert.equal((await admin(proxy.adminPort, 'POST', '/backends/b1/drain')).status, 200);
    for (let i = 0; i < 5; i++) assert.equal((await get(proxy.port, '/', withCookie(value))).body, 'b1');
    assert.equal((await wsHello(scope, `ws://127.0.0.1:${proxy.port}/`, withCookie(value))).backend, 'b1');
    const newcomers: string[] = [];
    for (let i = 0; i < 6; i++) newcomers.push((await get(proxy.port)).body);
    assert.ok(!newcomers.includes('b1'), newcomers.join(','));
    assert.equal((await wsHello(scope, `ws://127.0.0.1:${proxy.port}/`)).backend === 'b1', false);
  });
});

describe('L7 sticky: stick table on the source address', () => {
  test('one source keeps its backend across connections; sources spread; WebSockets follow', async () => {
    const bs = await testBackends(scope, 'b1', 'b2', 'b3');
    const proxy = await l7Proxy(scope, bs, { strategy: 'stick-table' });
    const placed = new Map<string, string>();
    for (const src of ['127.0.0.5', '127.0.0.6', '127.0.0.7']) {
      const seen = new Set<string>();
      for (let i = 0; i < 5; i++) seen.add((await get(proxy.port, '/', { localAddress: src })).body);
      assert.equal(seen.size, 1, `${src}: ${[...seen].join(',')}`);
      placed.set(src, [...seen][0]!);
      const ws = await wsHello(scope, `ws://127.0.0.1:${proxy.port}/`, { localAddress: src });
      assert.equal(ws.backend, placed.get(src), `${src}: the upgrade follows the table`);
    }
    assert.deepEqual([...placed.values()].sort(), ['b1', 'b2', 'b3'], 'new sources are placed round robin');
    const s = proxy.stats();
    assert.equal(s.tables?.['stick'], 3);
    assert.equal(s.sticky?.['learned'], 3);
    assert.equal(s.sticky?.['hits'], 15);
  });

  test('expireSeconds 1: an idle entry is swept and the source is placed anew', async () => {
    const bs = await testBackends(scope, 'b1', 'b2');
    const proxy = await l7Proxy(scope, bs, { strategy: 'stick-table', strategyOptions: { expireSeconds: 1 } });
    assert.equal((await get(proxy.port, '/', { localAddress: '127.0.0.5' })).body, 'b1');
    assert.equal(proxy.stats().tables?.['stick'], 1);
    assert.ok(await until(() => proxy.stats().tables?.['stick'] === 0, 4000), 'the sweep drops the expired entry');
    // Round robin moved on, so a re-placed source lands on b2: proof the old entry no longer applies.
    assert.equal((await get(proxy.port, '/', { localAddress: '127.0.0.5' })).body, 'b2');
    assert.equal(proxy.stats().sticky?.['learned'], 2);
  });
});

describe('L7 sticky: Engine.IO sid', () => {
  test('polls, posts and the upgrade carrying a sid reach the backend that issued it', async () => {
    const bs = await testBackends(scope, 'b1', 'b2', 'b3');
    const proxy = await l7Proxy(scope, bs, { strategy: 'engineio-sid' });
    // Two handshakes so the sessions live on different backends.
    for (let n = 0; n < 2; n++) {
      const hs = await get(proxy.port, '/socket.io/?EIO=4&transport=polling');
      assert.equal(hs.status, 200);
      const m = /^0(\{.*\})$/.exec(hs.body);
      assert.ok(m, hs.body);
      const sid = (JSON.parse(m[1]!) as { sid: string }).sid;
      const owner = hs.headers['x-backend'] as string;
      assert.ok(bs.find((b) => b.id === owner)?.sids.has(sid));
      for (let i = 0; i < 10; i++) {
        const post = i % 2 === 1;
        const r = await get(proxy.port, `/socket.io/?EIO=4&transport=polling&sid=${encodeURIComponent(sid)}`, post ? { method: 'POST', body: '4hello' } : {});
        assert.equal(r.status, 200, `request ${i}: ${r.body}`);
        assert.equal(r.headers['x-backend'], owner);
        assert.equal(r.body, post ? 'ok' : '6');
      }
      const ws = await wsHello(scope, `ws://127.0.0.1:${proxy.port}/socket.io/?EIO=4&transport=websocket&sid=${encodeURIComponent(sid)}`);
      assert.equal(ws.backend, owner);
    }
    const s = proxy.stats();
    assert.equal(s.sticky?.['learned'], 2);
    assert.equal(s.sticky?.['hits'], 22);
    assert.equal(s.tables?.['sid'], 2);

    const made = await get(proxy.port, '/socket.io/?EIO=4&transport=polling&sid=madeup');
    assert.equal(made.status, 400, 'the fallback backend does not know it');
    assert.deepEqual(JSON.parse(made.body), { code: 1, message: 'Session ID unknown' });
    assert.equal(proxy.stats().sticky?.['unknown_sid'], 1);
  });
});
