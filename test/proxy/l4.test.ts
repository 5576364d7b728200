import { afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { once } from 'node:events';
import WebSocket from 'ws';
import { startBackend, type RunningBackend } from '../../src/backend/server.js';
import { startProxy, type RunningProxy } from '../../src/proxy/server.js';
import { STRATEGY_NAMES, strategyInfo } from '../../src/proxy/strategies/index.js';
import type { ProxyStats } from '../../src/results/lab-types.js';

/** Everything a test started, closed after it whatever happened. */
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((c) => c()));
});

async function backends(...ids: string[]): Promise<RunningBackend[]> {
  const started = await Promise.all(ids.map((id) => startBackend({ id })));
  for (const b of started) cleanups.push(() => b.close());
  return started;
}

async function proxyFor(targets: Array<{ id: string; port: number }>, extra: { failureCooldownMs?: number; strategy?: string } = {}): Promise<RunningProxy> {
  const proxy = await startProxy({ strategy: 'round-robin', backends: targets.map((t) => ({ id: t.id, host: '127.0.0.1', port: t.port })), ...extra });
  cleanups.push(() => proxy.close());
  return proxy;
}

async function hello(port: number, localAddress?: string): Promise<{ ws: WebSocket; backend: string }> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/`, localAddress === undefined ? {} : { localAddress });
  cleanups.push(async () => {
    ws.terminate();
  });
  const [data] = (await once(ws, 'message')) as [Buffer];
  return { ws, backend: (JSON.parse(data.toString()) as { backend: string }).backend };
}

function adminStats(port: number): Promise<{ status: number; type: string | undefined; body: ProxyStats }> {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: '/stats', agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: res.headers['content-type'], body: JSON.parse(text) as ProxyStats }));
    }).on('error', reject);
  });
}

async function eventually(check: () => Promise<boolean>, ms = 5000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return check();
}

describe('L4 proxy', () => {
  test('round robin: connections go b1, b2, b3, b1, … and bytes are relayed both ways', async () => {
    const bs = await backends('b1', 'b2', 'b3');
    const proxy = await proxyFor(bs.map((b, i) => ({ id: `b${i + 1}`, port: b.port })));
    const order: string[] = [];
    for (let i = 0; i < 7; i++) order.push((await hello(proxy.port)).backend);
    assert.deepEqual(order, ['b1', 'b2', 'b3', 'b1', 'b2', 'b3', 'b1']);

    const { ws } = await hello(proxy.port);
    ws.send('wsherd:m:1:through the proxy');
    const [echo] = (await once(ws, 'message')) as [Buffer];
    assert.equal(echo.toString(), 'wsherd:m:1:through the proxy');
  });

  test('every L4 strategy over real sockets: rotations rotate, source hashes keep a source on one backend', async () => {
    const bs = await backends('b1', 'b2', 'b3');
    const targets = bs.map((b, i) => ({ id: `b${i + 1}`, port: b.port }));
    const rotating = new Set(['round-robin', 'weighted-round-robin', 'least-connections']);
    const bySource = new Set(['source-ip-hash', 'ip-hash', 'consistent-hash', 'maglev', 'rendezvous']);
    for (const name of STRATEGY_NAMES.filter((n) => strategyInfo(n)?.layers.includes('l4'))) {
      const proxy = await proxyFor(targets, { strategy: name });
      const got: string[] = [];
      // Held open so least-connections sees 1, 1, 1 and goes round; different sources for the hashes.
      for (let i = 0; i < 6; i++) got.push((await hello(proxy.port, '127.0.0.9')).backend);
      if (rotating.has(name)) assert.deepEqual(got, ['b1', 'b2', 'b3', 'b1', 'b2', 'b3'], name);
      if (bySource.has(name)) assert.equal(new Set(got).size, 1, `${name}: ${got.join(',')}`);
      const spread = new Set<string>();
      for (let i = 0; i < 12; i++) spread.add((await hello(proxy.port, `127.0.${i}.10`)).backend);
      assert.ok(spread.size >= 2, `${name} spreads 12 sources (/24s apart) over backends: ${[...spread].join(',')}`);
      assert.equal(proxy.stats().connectionsTotal, 18, name);
    }
  });

  test('the admin endpoint reports active and total connections per backend', async () => {
    const bs = await backends('b1', 'b2');
    const proxy = await proxyFor(bs.map((b, i) => ({ id: `b${i + 1}`, port: b.port })));
    const clients = [];
    for (let i = 0; i < 5; i++) clients.push((await hello(proxy.port)).ws);

    const open = await adminStats(proxy.adminPort);
    assert.equal(open.status, 200);
    assert.equal(open.type, 'application/json');
    assert.equal(open.body.pid, process.pid);
    assert.equal(open.body.strategy, 'round-robin');
    assert.equal(open.body.mode, 'l4');
    assert.equal(open.body.connectionsTotal, 5);
    assert.equal(open.body.connectionsOpen, 5);
    assert.deepEqual(open.body.backends.map((b) => [b.id, b.port, b.healthy, b.active, b.total, b.failures]), [
      ['b1', bs[0]?.port, true, 3, 3, 0],
      ['b2', bs[1]?.port, true, 2, 2, 0],
    ]);
    assert.ok(open.body.process.fds > 0);
    assert.ok(open.body.process.rssBytes > 0);

    // Closing two clients on b1 leaves one active there; totals keep counting what was relayed.
    for (const ws of [clients[0], clients[2]]) {
      const closed = once(ws!, 'close');
      ws!.close();
      await closed;
    }
    assert.ok(await eventually(async () => {
      const s = (await adminStats(proxy.adminPort)).body;
      return s.connectionsOpen === 3 && s.backends[0]?.active === 1 && s.backends[0]?.total === 3 && s.backends[1]?.active === 2;
    }), 'active counts follow closes');
  });

  test('a backend that dies mid-session: its clients are closed, others stay, and the proxy keeps serving', async () => {
    const [b1, b2] = await backends('b1', 'b2');
    assert.ok(b1 && b2);
    const proxy = await proxyFor([{ id: 'b1', port: b1.port }, { id: 'b2', port: b2.port }], { failureCooldownMs: 60_000 });
    const onB1 = await hello(proxy.port);
    const onB2 = await hello(proxy.port);
    assert.deepEqual([onB1.backend, onB2.backend], ['b1', 'b2']);

    const closed = once(onB1.ws, 'close');
    await b1.close();
    const [code] = (await closed) as [number];
    assert.equal(code, 1006, 'the client sees its connection drop (no close frame from a dead backend)');

    // The survivor still echoes; a new connection that would have gone to b1 is retried on b2.
    onB2.ws.send('still here');
    const [echo] = (await once(onB2.ws, 'message')) as [Buffer];
    assert.equal(echo.toString(), 'still here');
    assert.equal((await hello(proxy.port)).backend, 'b2');
    assert.equal((await hello(proxy.port)).backend, 'b2');

    const s = (await adminStats(proxy.adminPort)).body;
    const dead = s.backends.find((b) => b.id === 'b1');
    assert.equal(dead?.healthy, false);
    assert.equal(dead?.active, 0);
    assert.equal(dead?.failures, 1);
    assert.equal(s.errors['upstream_connect_failed'], 1);
  });

  test('no backend reachable: the client is closed, the proxy counts it and stays up', async () => {
    // Two ports nobody listens on (bound, then closed).
    const ports = await Promise.all([freePort(), freePort()]);
    const proxy = await proxyFor(ports.map((port, i) => ({ id: `b${i + 1}`, port })));
    // The proxy drops the client without reading what it sent, so the client may see a reset: fine.
    const sock = net.connect(proxy.port, '127.0.0.1');
    sock.on('error', () => {});
    sock.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await new Promise((resolve) => sock.once('close', resolve));
    const s = (await adminStats(proxy.adminPort)).body;
    assert.equal(s.errors['upstream_connect_failed'], 2, 'tried one backend, retried the other');
    assert.equal(s.connectionsOpen, 0);
    // While both are marked down, a new client is refused at once.
    const again = net.connect(proxy.port, '127.0.0.1');
    again.on('error', () => {});
    await new Promise((resolve) => again.once('close', resolve));
    assert.equal((await adminStats(proxy.adminPort)).body.errors['no_backend'], 1);
  });

  test('close() drops relayed connections and frees both ports', async () => {
    const [b1] = await backends('b1');
    assert.ok(b1);
    const proxy = await startProxy({ strategy: 'round-robin', backends: [{ id: 'b1', host: '127.0.0.1', port: b1.port }] });
    const { ws } = await hello(proxy.port);
    const closed = once(ws, 'close');
    await proxy.close();
    await closed;
    await proxy.close(); // idempotent
    await assert.rejects(adminStats(proxy.adminPort), { code: 'ECONNREFUSED' });
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}
