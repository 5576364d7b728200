import { afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { once } from 'node:events';
import WebSocket from 'ws';
import { startProxy } from '../../src/proxy/server.js';
import { STRATEGIES } from '../../src/proxy/strategies/index.js';
import { get, l7Proxy, rawExchange, Scope, testBackend, testBackends, until, wsHello } from './l7-live.js';

const scope = new Scope();
afterEach(() => scope.closeAll());

const L4_CAPABLE = Object.values(STRATEGIES)
  .filter((s) => s.layers.includes('l4'))
  .map((s) => s.name);
/** Strategies that key on the source address only: one client address, one backend. */
const SOURCE_HASHES = new Set(['source-ip-hash', 'ip-hash', 'consistent-hash', 'maglev', 'rendezvous']);
const ROTATING = new Set(['round-robin', 'weighted-round-robin', 'least-connections']);

describe('L7 proxy: strategies and keep-alive', () => {
  test('every L4-capable strategy routes HTTP requests and WebSockets in L7 mode', async () => {
    assert.ok(L4_CAPABLE.length >= 11, `L4-capable strategies: ${L4_CAPABLE.join(', ')}`);
    const bs = await testBackends(scope, 'b1', 'b2', 'b3');
    const ids = new Set(bs.map((b) => b.id));
    for (const name of L4_CAPABLE) {
      const proxy = await l7Proxy(scope, bs, { strategy: name });
      const got: string[] = [];
      for (let i = 0; i < 9; i++) {
        const r = await get(proxy.port, '/', { localAddress: '127.0.0.5' });
        assert.equal(r.status, 200, name);
        assert.equal(r.body, r.headers['x-backend'], name);
        got.push(r.body);
      }
      assert.ok(got.every((g) => ids.has(g)), `${name}: ${got.join(',')}`);
      if (ROTATING.has(name)) assert.deepEqual(got, ['b1', 'b2', 'b3', 'b1', 'b2', 'b3', 'b1', 'b2', 'b3'], name);
      if (SOURCE_HASHES.has(name)) {
        assert.equal(new Set(got).size, 1, `${name}: one source, one backend: ${got.join(',')}`);
        // Stable across sources too: each address keeps its backend.
        for (const src of ['127.0.0.6', '127.0.0.7']) {
          const a = await get(proxy.port, '/', { localAddress: src });
          const b = await get(proxy.port, '/', { localAddress: src });
          assert.equal(a.body, b.body, `${name} from ${src}`);
        }
      }
      const { ws, backend } = await wsHello(scope, `ws://127.0.0.1:${proxy.port}/`);
      assert.ok(ids.has(backend), `${name} ws: ${backend}`);
      ws.send('through');
      const [echo] = (await once(ws, 'message')) as [Buffer];
      assert.equal(echo.toString(), 'through');
      const s = proxy.stats();
      assert.equal(s.mode, 'l7');
      assert.equal(s.strategy, name);
      assert.ok((s.requestsTotal ?? 0) >= 9 && s.upgradesTotal === 1, `${name}: ${JSON.stringify(s)}`);
      ws.terminate();
      await proxy.close();
    }
  });

  test('keep-alive: one client connection, each request routed on its own, upstream connections reused', async () => {
    const bs = await testBackends(scope, 'b1', 'b2');
    const proxy = await l7Proxy(scope, bs);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    scope.add(() => agent.destroy());
    const got: string[] = [];
    for (let i = 0; i < 12; i++) got.push((await get(proxy.port, '/', { agent })).body);
    assert.deepEqual(got, ['b1', 'b2', 'b1', 'b2', 'b1', 'b2', 'b1', 'b2', 'b1', 'b2', 'b1', 'b2'], 'round robin per request, not per connection');
    const s = proxy.stats();
    assert.equal(s.connectionsTotal, 1, 'the client used one connection');
    assert.equal(s.requestsTotal, 12);
    assert.deepEqual(bs.map((b) => b.requests), [6, 6]);
    for (const b of bs) assert.ok(b.connections < b.requests, `${b.id}: ${b.connections} connections for ${b.requests} requests`);
  });
});

describe('L7 proxy: malformed requests', () => {
  const bad = [
    { name: 'garbage', bytes: 'GARBAGE\r\n\r\n', status: 400 },
    { name: 'invalid header line', bytes: 'GET / HTTP/1.1\r\nHost: x\r\nNot A Header\r\n\r\n', status: 400 },
    { name: 'header over 16 KiB', bytes: `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`, status: 431 },
  ];
  for (const { name, bytes, status } of bad) {
    test(`${name} → ${status} bad-request, closed; the next client is served`, async () => {
      const [b1] = await testBackends(scope, 'b1');
      const proxy = await l7Proxy(scope, [b1!]);
      const text = await rawExchange(proxy.port, bytes);
      assert.match(text, new RegExp(`^HTTP/1\\.1 ${status} `));
      assert.match(text, /\r\nx-wsherd-reason: bad-request\r\n/i);
      assert.equal(b1!.requests, 0, 'nothing reached the backend');
      assert.ok(Object.keys(proxy.stats().errors).some((k) => k.startsWith('bad_request_')), JSON.stringify(proxy.stats().errors));
      assert.equal((await get(proxy.port)).body, 'b1');
    });
  }

  const badUpgrades = [
    { name: 'websocket without Sec-WebSocket-Key', head: 'GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n\r\n' },
    { name: 'h2c', head: 'GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n' },
    {
      name: 'POST with upgrade',
      head: 'POST / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nContent-Length: 0\r\n\r\n',
    },
  ];
  for (const { name, head } of badUpgrades) {
    test(`upgrade: ${name} → 400 bad-upgrade`, async () => {
      const [b1] = await testBackends(scope, 'b1');
      const proxy = await l7Proxy(scope, [b1!]);
      const text = await rawExchange(proxy.port, head);
      assert.match(text, /^HTTP\/1\.1 400 /);
      assert.match(text, /\r\nx-wsherd-reason: bad-upgrade\r\n/i);
      assert.equal(b1!.connections, 0);
      assert.equal(proxy.stats().errors['bad_upgrade'], 1);
      assert.equal((await wsHello(scope, `ws://127.0.0.1:${proxy.port}/`)).backend, 'b1');
    });
  }
});

describe('L7 proxy: failing backends', () => {
  test('a backend that cuts a WebSocket tunnel: the client sees 1006, a reset is counted', async () => {
    const [b1] = await testBackends(scope, 'b1');
    const proxy = await l7Proxy(scope, [b1!]);
    for (const how of ['die', 'reset']) {
      const { ws } = await wsHello(scope, `ws://127.0.0.1:${proxy.port}/`);
      const closed = once(ws, 'close');
      ws.send(how);
      const [code] = (await closed) as [number];
      assert.equal(code, 1006, `${how}: no close frame reached the client`);
    }
    assert.ok(await until(() => (proxy.stats().errors['upstream_ECONNRESET'] ?? 0) === 1), JSON.stringify(proxy.stats().errors));
    assert.ok(await until(() => proxy.stats().connectionsOpen === 0), 'both tunnels are gone');
    assert.equal((await get(proxy.port)).body, 'b1', 'the proxy still serves');
  });

  test('a backend that hangs up or resets before answering an upgrade: 502 upstream-bad-handshake, no hang', async () => {
    const [b1] = await testBackends(scope, 'b1');
    const proxy = await l7Proxy(scope, [b1!]);
    const key = 'GET /PATH HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n';
    for (const path of ['/hangup', '/rst']) {
      const text = await rawExchange(proxy.port, key.replace('/PATH', path));
      assert.match(text, /^HTTP\/1\.1 502 /, `${path}: ${text}`);
      assert.match(text, /\r\nx-wsherd-reason: upstream-bad-handshake\r\n/i);
    }
    const { errors } = proxy.stats();
    assert.equal(errors['upstream_bad_handshake'], 1, JSON.stringify(errors));
    assert.equal(errors['upstream_ECONNRESET'], 1, JSON.stringify(errors));
    assert.equal((await wsHello(scope, `ws://127.0.0.1:${proxy.port}/`)).backend, 'b1');
  });

  test('a response cut mid-body: the client sees an error; no response at all: 502 upstream-closed; both counted against the backend', async () => {
    const [b1] = await testBackends(scope, 'b1');
    const proxy = await l7Proxy(scope, [b1!]);
    const upstreamErrors = (): number => Object.entries(proxy.stats().errors).reduce((n, [k, v]) => n + (k.startsWith('upstream_') ? v : 0), 0);
    await assert.rejects(get(proxy.port, '/half'), (err: NodeJS.ErrnoException) => err.code === 'ECONNRESET' || /aborted/.test(err.message));
    assert.ok(await until(() => upstreamErrors() === 1), JSON.stringify(proxy.stats().errors));
    const dropped = await get(proxy.port, '/drop');
    assert.equal(dropped.status, 502);
    assert.equal(dropped.headers['x-wsherd-reason'], 'upstream-closed');
    assert.equal(upstreamErrors(), 2, JSON.stringify(proxy.stats().errors));
    await until(() => proxy.stats().connectionsOpen === 0);
    assert.equal(proxy.stats().errors['client_aborted'], undefined, 'the backend cut it, not the client');
    assert.equal((await get(proxy.port)).body, 'b1');
  });

  test('keep-alive race: a pooled upstream connection closed under a GET is resent once to the same backend', async () => {
    const [b1] = await testBackends(scope, 'b1');
    const proxy = await l7Proxy(scope, [b1!]);
    assert.equal((await get(proxy.port)).body, 'b1'); // leaves one idle pooled connection to b1
    const dropped = await get(proxy.port, '/drop'); // taken on the pooled connection, dropped, resent, dropped again
    assert.equal(dropped.status, 502);
    assert.equal(proxy.stats().errors['upstream_reused_closed'], 1, JSON.stringify(proxy.stats().errors));
  });

  test('no backend reachable: 502 upstream-connect-failed after a retry, then 503 no-backend', async () => {
    const dead = await testBackends(scope, 'b1', 'b2');
    await Promise.all(dead.map((b) => b.close()));
    const proxy = await l7Proxy(scope, dead, { failureCooldownMs: 60_000 });
    const first = await get(proxy.port);
    assert.equal(first.status, 502);
    assert.equal(first.headers['x-wsherd-reason'], 'upstream-connect-failed');
    assert.equal(proxy.stats().errors['upstream_connect_failed'], 2, 'tried one backend, retried the other');
    const second = await get(proxy.port);
    assert.equal(second.status, 503);
    assert.equal(second.headers['x-wsherd-reason'], 'no-backend');
    await assert.rejects(wsHello(scope, `ws://127.0.0.1:${proxy.port}/`), /503: no-backend/);
  });

  test('one dead, one live backend: a GET and an upgrade are retried on the live one', async () => {
    const [dead, live] = await testBackends(scope, 'b1', 'b2');
    await dead!.close();
    const proxy = await l7Proxy(scope, [dead!, live!], { failureCooldownMs: 50 });
    const r = await get(proxy.port);
    assert.equal(r.status, 200);
    assert.equal(r.body, 'b2');
    assert.equal(proxy.stats().errors['upstream_connect_failed'], 1, 'one failed connect, one retry');
    // After the cooldown b1 is tried again (round robin's turn) and the upgrade is retried on b2.
    await new Promise((res) => setTimeout(res, 60));
    const ws = await wsHello(scope, `ws://127.0.0.1:${proxy.port}/`);
    assert.equal(ws.backend, 'b2');
    assert.equal(proxy.stats().backends.find((b) => b.id === 'b1')?.failures, 2);
  });
});

describe('L7 proxy: TLS', () => {
  test('l7 + self-signed TLS: https GET and wss:// through the proxy', async () => {
    const [b1] = await testBackends(scope, 'b1');
    const proxy = await l7Proxy(scope, [b1!], { tls: { selfSigned: true } });
    const ca = proxy.tls?.cert;
    assert.ok(ca);
    const r = await get(proxy.port, '/', { ca });
    assert.equal(r.body, 'b1');
    assert.equal(r.headers['x-seen-proto'], 'https', 'X-Forwarded-Proto tells the backend');
    const { ws, backend } = await wsHello(scope, `wss://127.0.0.1:${proxy.port}/`, { ca });
    assert.equal(backend, 'b1');
    ws.send('secure');
    assert.equal(((await once(ws, 'message')) as [Buffer])[0].toString(), 'secure');
    assert.equal(proxy.stats().tls, true);
    // Without the CA the client refuses the certificate: TLS really is on.
    await assert.rejects(wsHello(scope, `wss://127.0.0.1:${proxy.port}/`), /self.signed|certificate/i);
  });

  test('l4 + self-signed TLS: wss:// through the proxy', async () => {
    const b1 = await testBackend(scope, 'b1');
    const proxy = await startProxy({ mode: 'l4', strategy: 'round-robin', backends: [{ id: 'b1', host: '127.0.0.1', port: b1.port }], tls: { selfSigned: true } });
    scope.add(() => proxy.close());
    const { ws, backend } = await wsHello(scope, `wss://127.0.0.1:${proxy.port}/`, { ca: proxy.tls!.cert });
    assert.equal(backend, 'b1');
    ws.send('secure');
    assert.equal(((await once(ws, 'message')) as [Buffer])[0].toString(), 'secure');
    assert.equal(ws.readyState, WebSocket.OPEN);
  });
});
