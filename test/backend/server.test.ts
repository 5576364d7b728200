import { test, describe, after, before } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { once } from 'node:events';
import WebSocket from 'ws';
import { startBackend, type RunningBackend } from '../../src/backend/server.js';
import { BACKEND_HEADER, CLOSE_REQUEST, STATS_PATH, parseHello } from '../../src/backend/identity.js';
import type { BackendStats } from '../../src/results/lab-types.js';

function get(port: number, path: string): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    }).on('error', reject);
  });
}

/** Opens a ws client and resolves with it, the 101's headers and the first message. */
async function connect(port: number): Promise<{ ws: WebSocket; headers: http.IncomingHttpHeaders; first: string }> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/`);
  let headers: http.IncomingHttpHeaders = {};
  ws.once('upgrade', (res) => (headers = res.headers));
  const [data] = (await once(ws, 'message')) as [Buffer];
  return { ws, headers, first: data.toString() };
}

describe('reference backend', () => {
  let backend: RunningBackend;
  before(async () => {
    backend = await startBackend({ id: 'b7', host: '127.0.0.1', port: 0 });
  });
  after(() => backend.close());

  test('names itself in the 101 and sends the hello frame first', async () => {
    const { ws, headers, first } = await connect(backend.port);
    assert.equal(headers[BACKEND_HEADER], 'b7');
    assert.equal(parseHello(first), 'b7');
    assert.equal((JSON.parse(first) as { pid: number }).pid, process.pid);
    ws.close();
    await once(ws, 'close');
  });

  test('echoes text as text and binary as binary, verbatim', async () => {
    const { ws } = await connect(backend.port);
    ws.send('wsherd:m:1:xxxx');
    const [text, textIsBinary] = (await once(ws, 'message')) as [Buffer, boolean];
    assert.equal(text.toString(), 'wsherd:m:1:xxxx');
    assert.equal(textIsBinary, false);
    const bytes = Buffer.from([0, 1, 2, 250, 255]);
    ws.send(bytes);
    const [bin, binIsBinary] = (await once(ws, 'message')) as [Buffer, boolean];
    assert.deepEqual(bin, bytes);
    assert.equal(binIsBinary, true);
    ws.close();
    await once(ws, 'close');
  });

  test('closes first with 1000 on the close request', async () => {
    const { ws } = await connect(backend.port);
    ws.send(CLOSE_REQUEST);
    const [code] = (await once(ws, 'close')) as [number, Buffer];
    assert.equal(code, 1000);
  });

  test('a binary frame that spells the close request is echoed, not obeyed', async () => {
    const { ws } = await connect(backend.port);
    ws.send(Buffer.from(CLOSE_REQUEST));
    const [data, isBinary] = (await once(ws, 'message')) as [Buffer, boolean];
    assert.equal(data.toString(), CLOSE_REQUEST);
    assert.equal(isBinary, true);
    ws.close();
    await once(ws, 'close');
  });

  test('counts sessions and echoes in its stats, with the header on the response', async () => {
    const b = await startBackend({ id: 'counted' });
    try {
      const c1 = await connect(b.port);
      const c2 = await connect(b.port);
      // Both echoes may arrive in one TCP read and be emitted in the same tick: listen before sending.
      const echoed = new Promise<void>((resolve) => {
        let n = 0;
        c1.ws.on('message', () => ++n === 2 && resolve());
      });
      c1.ws.send('a');
      c1.ws.send('b');
      await echoed;
      c2.ws.close();
      await once(c2.ws, 'close');
      // The server sees the close a moment after the client does: wait for it (a fixed 50 ms may not do on a
      // slow machine).
      const deadline = Date.now() + 5000;
      while (b.stats().sessionsOpen !== 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      const res = await get(b.port, STATS_PATH);
      assert.equal(res.status, 200);
      assert.equal(res.headers[BACKEND_HEADER], 'counted');
      const stats = JSON.parse(res.body) as BackendStats;
      // The JSON app's counters stay at zero: echoed text is not the app's.
      assert.deepEqual(stats, { id: 'counted', pid: process.pid, sessionsTotal: 2, sessionsOpen: 1, messagesEchoed: 2, published: 0, delivered: 0, subscriptions: 0, requests: 0, pushes: 0 });
      assert.deepEqual(b.stats(), stats);
      c1.ws.close();
      await once(c1.ws, 'close');
    } finally {
      await b.close();
    }
  });

  test('other paths get 404, and a bad upgrade gets 400 — both naming the backend', async () => {
    const res = await get(backend.port, '/nope');
    assert.equal(res.status, 404);
    assert.equal(res.headers[BACKEND_HEADER], 'b7');
    const sock = net.connect(backend.port, '127.0.0.1');
    sock.write('GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n\r\n');
    let raw = '';
    sock.setEncoding('utf8');
    sock.on('data', (c: string) => (raw += c));
    await once(sock, 'close');
    assert.match(raw, /^HTTP\/1\.1 400 /);
    assert.match(raw, new RegExp(`\r\n${BACKEND_HEADER}: b7\r\n`));
  });

  test('close() drops open connections and stops listening', async () => {
    const b = await startBackend({ id: 'closing' });
    const { ws } = await connect(b.port);
    const closed = once(ws, 'close');
    await b.close();
    const [code] = (await closed) as [number];
    assert.equal(code, 1006);
    await assert.rejects(get(b.port, STATS_PATH), { code: 'ECONNREFUSED' });
  });
});
