/**
 * Oracle tests of the L7 tunnel (src/proxy/tunnel.ts, issue 17): after the upgrade answer the proxy relays both
 * ways byte-exact, with backpressure, half-closes passed on, and its backend bookkeeping released at the end. The
 * backend and the client are this test's own raw sockets: they count and hash what they got, not wsherd.
 */
import { afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import net from 'node:net';
import { startProxy, type RunningProxy } from '../../src/proxy/server.js';
import { until } from '../helpers/until.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((c) => c()));
});

const sha = (chunks: Buffer[]): string => createHash('sha256').update(Buffer.concat(chunks)).digest('hex');

/** A raw "WebSocket" backend: answers any upgrade with a 101 (plus `extra` bytes in the same write), then records. */
async function rawBackend(extra: Buffer, answerDelayMs = 0): Promise<{ port: number; got: Buffer[]; ended: Promise<void>; peer: Promise<net.Socket> }> {
  const got: Buffer[] = [];
  let resolvePeer: (s: net.Socket) => void = () => {};
  let resolveEnded: () => void = () => {};
  const peer = new Promise<net.Socket>((r) => (resolvePeer = r));
  const ended = new Promise<void>((r) => (resolveEnded = r));
  const sockets = new Set<net.Socket>();
  const server = net.createServer({ allowHalfOpen: true }, (s) => {
    sockets.add(s);
    let head = Buffer.alloc(0);
    let upgraded = false;
    s.on('data', (chunk: Buffer) => {
      if (upgraded) {
        got.push(chunk);
        return;
      }
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      upgraded = true;
      const answer = (): void => void s.write(Buffer.concat([Buffer.from('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: x\r\n\r\n'), extra]));
      if (answerDelayMs > 0) setTimeout(answer, answerDelayMs);
      else answer();
      if (head.length > end + 4) got.push(head.subarray(end + 4));
      resolvePeer(s);
    });
    s.on('end', resolveEnded);
    s.on('error', () => {});
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  cleanups.push(() => {
    for (const s of sockets) s.destroy();
    return new Promise<void>((r) => server.close(() => r()));
  });
  return { port: (server.address() as net.AddressInfo).port, got, ended, peer };
}

/** A raw client: sends the upgrade and `first` in one write, returns its socket and what it receives after the head. */
async function rawClient(port: number, first: Buffer): Promise<{ sock: net.Socket; got: Buffer[]; ended: Promise<unknown>; answered: Promise<void> }> {
  const sock = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true });
  cleanups.push(() => void sock.destroy());
  await once(sock, 'connect');
  const got: Buffer[] = [];
  let head: Buffer | undefined = Buffer.alloc(0);
  let resolveAnswered: () => void = () => {};
  const answered = new Promise<void>((r) => (resolveAnswered = r));
  sock.on('data', (chunk: Buffer) => {
    if (head === undefined) {
      got.push(chunk);
      return;
    }
    head = Buffer.concat([head, chunk]);
    const end = head.indexOf('\r\n\r\n');
    if (end < 0) return;
    assert.match(head.subarray(0, end).toString('latin1'), /^HTTP\/1\.1 101 /);
    if (head.length > end + 4) got.push(head.subarray(end + 4));
    head = undefined;
    resolveAnswered();
  });
  // 'end' or 'close': a reset ends nothing, and once() would reject on the error.
  const ended = new Promise((r) => {
    sock.once('end', r);
    sock.once('close', r);
  });
  sock.on('error', () => {});
  sock.write(Buffer.concat([Buffer.from('GET /t HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: d3NoZXJkLWJlbmNoLWtleQ==\r\nSec-WebSocket-Version: 13\r\n\r\n'), first]));
  return { sock, got, ended, answered };
}

async function l7Proxy(port: number): Promise<RunningProxy> {
  const proxy = await startProxy({ mode: 'l7', strategy: 'round-robin', backends: [{ id: 'b1', host: '127.0.0.1', port }] });
  cleanups.push(() => proxy.close());
  return proxy;
}

const total = (chunks: Buffer[]): number => chunks.reduce((a, c) => a + c.length, 0);

describe('L7 tunnel after the upgrade', () => {
  test('relays 4 MiB each way byte-exact (bytes sent with the request and with the 101 included), then passes both FINs on', async () => {
    const fromBackend = [randomBytes(1000), randomBytes(4 * 1024 * 1024)];
    const fromClient = [randomBytes(500), randomBytes(4 * 1024 * 1024)];
    const backend = await rawBackend(fromBackend[0] as Buffer);
    const proxy = await l7Proxy(backend.port);
    const client = await rawClient(proxy.port, fromClient[0] as Buffer);
    const up = await backend.peer;
    // Both directions at once, large enough that the proxy's writes back up and it must pause and resume.
    up.write(fromBackend[1] as Buffer);
    client.sock.write(fromClient[1] as Buffer);
    await until('both directions relayed in full', () => total(client.got) === total(fromBackend) && total(backend.got) === total(fromClient), 20_000);
    assert.equal(sha(client.got), sha(fromBackend));
    assert.equal(sha(backend.got), sha(fromClient));
    // Half-close from the client reaches the backend; the backend's answer after it still reaches the client.
    client.sock.end();
    await backend.ended;
    up.end(Buffer.from('bye'));
    await client.ended;
    assert.equal(Buffer.concat(client.got).subarray(-3).toString(), 'bye');
    await until('the proxy released the connection', () => proxy.stats().backends.every((b) => b.active === 0) && proxy.stats().connectionsOpen === 0);
  });

  test('a backend reset after the upgrade cuts the client and is counted; the backend slot is released', async () => {
    const backend = await rawBackend(Buffer.alloc(0));
    const proxy = await l7Proxy(backend.port);
    const client = await rawClient(proxy.port, Buffer.alloc(0));
    const up = await backend.peer;
    // Reset only once the client holds the 101: before it, the proxy answers 502 instead (l7.test.ts).
    await client.answered;
    up.resetAndDestroy();
    await client.ended;
    await until('the proxy released the connection', () => proxy.stats().backends.every((b) => b.active === 0) && proxy.stats().connectionsOpen === 0);
    assert.equal(proxy.stats().errors.upstream_ECONNRESET, 1);
  });

  test('a client FIN sent with the request, before the 101, still reaches the backend once the tunnel starts', { timeout: 20_000 }, async () => {
    // The backend answers the 101 late, so the client's FIN reaches the proxy first: the tunnel starts after its 'end'.
    const backend = await rawBackend(Buffer.alloc(0), 300);
    const proxy = await l7Proxy(backend.port);
    const client = await rawClient(proxy.port, Buffer.from('x'));
    client.sock.end();
    await backend.ended;
    (await backend.peer).end();
    await client.ended;
    await until('the proxy released the connection', () => proxy.stats().backends.every((b) => b.active === 0) && proxy.stats().connectionsOpen === 0);
  });
});
