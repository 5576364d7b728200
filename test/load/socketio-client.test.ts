import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { once } from 'node:events';
import type net from 'node:net';
import { Server } from 'socket.io';
import { Harness } from './helpers/harness.js';
import { SocketIoClient, classifyConnectError } from '../../src/load/socketio-engine.js';
import { startSocketIoBackend, type RunningSocketIoBackend } from '../../src/backend/socketio-server.js';
import { startProxy, type ProxyOptions, type RunningProxy } from '../../src/proxy/server.js';
import { DEFAULT_SESSION, type SessionOptions } from '../../src/scenario/types.js';
import type { SecondBucket } from '../../src/metrics/types.js';
import { until } from '../helpers/until.js';

const cleanups: (() => Promise<void> | void)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

async function backends(...ids: string[]): Promise<RunningSocketIoBackend[]> {
  const bs = await Promise.all(ids.map((id) => startSocketIoBackend({ id })));
  cleanups.push(() => Promise.all(bs.map((b) => b.close())).then(() => {}));
  return bs;
}

async function proxy(strategy: string, bs: RunningSocketIoBackend[], extra: Partial<ProxyOptions> = {}): Promise<RunningProxy> {
  const p = await startProxy({ mode: 'l7', strategy, backends: bs.map((b) => ({ id: b.id, host: '127.0.0.1', port: b.port })), ...extra });
  cleanups.push(() => p.close());
  return p;
}

function harness(session: Partial<SessionOptions> = {}, insecure = false): Harness {
  const h = new Harness({ engine: 'socketio', messagesPerSecond: 10, session: { ...DEFAULT_SESSION, ...session } }, insecure);
  cleanups.push(() => h.stop());
  return h;
}


const flush = (h: Harness): SecondBucket => h.recorder.flush(0, { open: 0, backendsOpen: {}, lagMaxMs: 0, fds: 0 });

/** Starts `n` clients at `url`, from 127.0.0.(20+i) when `sources`. */
function clients(h: Harness, url: string, n: number, sources = false): SocketIoClient[] {
  return Array.from({ length: n }, (_, i) => {
    const c = new SocketIoClient(h.ctx, i);
    c.start(url, sources ? `127.0.0.${20 + i}` : undefined);
    return c;
  });
}

async function closeAll(h: Harness, cs: SocketIoClient[]): Promise<SecondBucket> {
  for (const c of cs) c.close();
  await until('every client ended', () => cs.every((c) => h.ended.has(c)));
  return flush(h);
}

describe('SocketIoClient (socket.io-client as an application uses it)', () => {
  test('one backend: connects on polling, upgrades, acks measured, attributed, closes clean', async () => {
    const [b1] = await backends('b1');
    const h = harness();
    const cs = clients(h, `http://127.0.0.1:${b1!.port}/`, 3);
    await until('open, attributed and upgraded', () => cs.every((c) => c.state === 'open' && c.backend === 'b1' && c.transport === 'websocket'));
    await until('an ack', () => (h.totals.counters.messagesReceived ?? 0) > 0);
    const b = await closeAll(h, cs);
    const seen = JSON.stringify(b);
    assert.equal(b.counters.established, 3, seen);
    assert.equal(b.counters.closedClean, 3, seen);
    assert.ok(b.counters.messagesReceived > 0);
    assert.deepEqual(b.backendsOpened, { b1: 3 });
    assert.equal(b.sessions?.upgraded, 3, seen);
    assert.equal(b.sessions?.ended_websocket, 3, seen);
    assert.ok(b.hist.ack !== undefined && b.hist.upgrade !== undefined && b.hist.connect !== undefined);
    // The server counts an upgrade when it processes the client's upgrade packet, which may come after the
    // client already switched: wait for it rather than read it once.
    await until('the backend counted 3 upgrades', () => b1!.stats().upgrades === 3);
  });

  test('the source address is used for every poll and for the upgrade (as the server sees it)', async () => {
    const server = http.createServer();
    const sio = new Server(server);
    sio.on('connection', (s) => s.emit('hello', { backend: 'own' }));
    const seen: { kind: 'poll' | 'upgrade'; from: string | undefined }[] = [];
    // Prepended after socket.io attached, so these see every request before engine.io answers it.
    server.prependListener('request', (req: http.IncomingMessage) => seen.push({ kind: 'poll', from: req.socket.remoteAddress }));
    server.prependListener('upgrade', (req: http.IncomingMessage) => seen.push({ kind: 'upgrade', from: req.socket.remoteAddress }));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    cleanups.push(() => new Promise<void>((r) => { void sio.close(() => r()); }));
    const h = harness();
    const cs = clients(h, `http://127.0.0.1:${(server.address() as net.AddressInfo).port}/`, 3, true);
    await until('upgraded', () => cs.every((c) => c.state === 'open' && c.backend === 'own' && c.transport === 'websocket'));
    const b = await closeAll(h, cs);
    assert.equal(b.counters.closedClean, 3);
    const sources = new Set(['127.0.0.20', '127.0.0.21', '127.0.0.22']);
    assert.ok(seen.every((r) => sources.has(r.from ?? '')), JSON.stringify(seen));
    for (const kind of ['poll', 'upgrade'] as const) {
      assert.deepEqual(new Set(seen.filter((r) => r.kind === kind).map((r) => r.from)), sources, `${kind}: ${JSON.stringify(seen)}`);
    }
  });

  test('through a stick-table proxy, one entry per client address (nothing from 127.0.0.1)', async () => {
    const bs = await backends('b1', 'b2');
    const p = await proxy('stick-table', bs);
    const h = harness();
    const cs = clients(h, `http://127.0.0.1:${p.port}/`, 4, true);
    await until('upgraded', () => cs.every((c) => c.state === 'open' && c.transport === 'websocket'));
    assert.equal(p.stats().tables?.['stick'], 4, 'four addresses, and nothing from 127.0.0.1');
    const b = await closeAll(h, cs);
    assert.equal(b.counters.established, 4);
  });

  test('through an l7 round-robin proxy sessions break; with cookie insert the jar keeps them (and reconnects return)', async () => {
    const bs = await backends('b1', 'b2');
    const rr = await proxy('round-robin', bs);
    const h1 = harness({ reconnectCheck: true });
    const broken = clients(h1, `http://127.0.0.1:${rr.port}/`, 6);
    // A lucky session may survive round robin for a while; the others break at once. Then the planned close.
    await until('round robin: a session broke', () => broken.some((c) => h1.ended.has(c)));
    await new Promise((r) => setTimeout(r, 500));
    const b1 = await closeAll(h1, broken);
    assert.ok((b1.sessions?.broken ?? 0) > 0, JSON.stringify(b1));
    // Each misroute is a 400 "Session ID unknown", whether socket.io-client saw it before connect or after.
    assert.ok((b1.errors['unknown_sid'] ?? 0) > 0, JSON.stringify(b1.errors));

    const ck = await proxy('cookie', bs);
    const h2 = harness({ reconnectCheck: true });
    const kept = clients(h2, `http://127.0.0.1:${ck.port}/`, 6);
    await until('cookie: open and upgraded', () => kept.every((c) => c.state === 'open' && c.backend !== undefined && c.transport === 'websocket'));
    const b2 = await closeAll(h2, kept);
    assert.equal(b2.sessions?.broken ?? 0, 0, JSON.stringify(b2));
    assert.equal(b2.sessions?.upgraded, 6);
    assert.equal(b2.sessions?.reconnect, 6);
    assert.equal(b2.sessions?.reconnect_same_backend, 6, 'the cookie jar sent the balancer cookie back on the reconnect');
    assert.deepEqual(b2.errors, {});
  });

  test('through an l7 engineio-sid proxy every session holds (the sid itself routes)', async () => {
    const bs = await backends('b1', 'b2');
    const sid = await proxy('engineio-sid', bs);
    const h = harness();
    const cs = clients(h, `http://127.0.0.1:${sid.port}/`, 6);
    await until('open and upgraded', () => cs.every((c) => c.state === 'open' && c.backend !== undefined && c.transport === 'websocket'));
    await until('an ack', () => (h.totals.counters.messagesReceived ?? 0) > 0);
    const b = await closeAll(h, cs);
    assert.deepEqual(b.errors, {}, JSON.stringify(b));
    assert.equal(b.counters.closedClean, 6);
    assert.equal(b.sessions?.upgraded, 6);
    // No messagesLost check: an emit still in flight when close() comes counts as lost, by design.
    assert.ok(b.counters.messagesReceived > 0, JSON.stringify(b.counters));
  });

  test('terminate(): an open session ends as a planned end, with no callbacks after', async () => {
    const [b1] = await backends('t1');
    const h = harness();
    const [c] = clients(h, `http://127.0.0.1:${b1!.port}/`, 1);
    await until('open', () => c!.state === 'open' && c!.backend === 't1');
    c!.terminate();
    assert.ok(h.ended.has(c!));
    const b = flush(h);
    assert.equal(b.counters.closedClean, 1);
    assert.equal(b.counters.dropped, 0);
    await new Promise((r) => setTimeout(r, 200));
    const later = flush(h);
    assert.deepEqual(later.errors, {});
    assert.equal(later.counters.messagesSent + later.counters.messagesLost + later.counters.messagesReceived, 0);
  });

  test('bad targets: not socket.io, polling refused, self-signed TLS — each a clear code, no crash', async () => {
    const html = http.createServer((_req, res) => res.writeHead(404, { 'content-type': 'text/html' }).end('<!DOCTYPE html><title>nope</title>'));
    html.listen(0, '127.0.0.1');
    await once(html, 'listening');
    cleanups.push(() => new Promise<void>((r) => html.close(() => r())));
    const h = harness();
    const [c1] = clients(h, `http://127.0.0.1:${(html.address() as net.AddressInfo).port}/`, 1);
    await until('ended', () => h.ended.has(c1!));
    const e1 = flush(h);
    assert.deepEqual(e1.errors, { not_socketio: 1 });
    assert.match(e1.errorSamples?.['not_socketio'] ?? '', /xhr poll error \(404/);

    const ws = await startSocketIoBackend({ id: 'w1', transports: ['websocket'] });
    cleanups.push(() => ws.close());
    const [c2] = clients(h, `http://127.0.0.1:${ws.port}/`, 1);
    await until('ended', () => h.ended.has(c2!));
    assert.deepEqual(flush(h).errors, { polling_refused: 1 });

    const [b1] = await backends('t1');
    const tlsProxy = await proxy('round-robin', [b1!], { tls: { selfSigned: true } });
    const [c3] = clients(h, `https://127.0.0.1:${tlsProxy.port}/`, 1);
    await until('ended', () => h.ended.has(c3!));
    assert.deepEqual(flush(h).errors, { tls_self_signed: 1 });
    const trusting = harness({}, true);
    const [c4] = clients(trusting, `https://127.0.0.1:${tlsProxy.port}/`, 1);
    await until('open with --insecure', () => c4!.state === 'open');
    await closeAll(trusting, [c4!]);
  });

  test('classifyConnectError names what socket.io-client reports', () => {
    assert.equal(classifyConnectError(Object.assign(new Error('xhr poll error'), { description: 400, context: { responseText: '{"code":1,"message":"Session ID unknown"}' } })), 'unknown_sid');
    assert.equal(classifyConnectError(new Error('timeout')), 'timeout');
    assert.equal(classifyConnectError(Object.assign(new Error('xhr poll error'), { description: 404, context: { responseText: '<html>' } })), 'not_socketio');
    assert.equal(classifyConnectError(Object.assign(new Error('server error'), { code: 'parser error' })), 'not_socketio');
    assert.equal(classifyConnectError(Object.assign(new Error('xhr poll error'), { description: 503, context: { responseText: 'no server' } })), 'http_503');
    assert.equal(classifyConnectError(Object.assign(new Error('xhr poll error'), { description: 400, context: { responseText: '{"code":4,"message":"Forbidden"}' } })), 'connect_error_forbidden');
    assert.equal(classifyConnectError(new Error('Not authorized')), 'connect_error_not_authorized');
    assert.equal(classifyConnectError(Object.assign(new Error('websocket error'), { description: { message: 'connect ECONNREFUSED 127.0.0.1:9' } })), 'ECONNREFUSED');
  });
});
