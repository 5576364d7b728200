/**
 * The reference ws backend (src/backend/server.ts, framed by hand with src/wsproto) checked on the wire by clients
 * that are not wsherd: a plain `ws` client (which validates every frame the server sends: unmasked, well formed,
 * UTF-8 text) and raw bytes on a net.Socket for what a conforming client cannot send.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';
import type { IncomingHttpHeaders } from 'node:http';
import { startBackend, type RunningBackend } from '../../src/backend/server.js';
import { BACKEND_HEADER, CLOSE_REQUEST } from '../../src/backend/identity.js';

interface Opened { ws: WebSocket; headers: IncomingHttpHeaders; hello: string; protocol: string }

async function open(port: number, protocols?: string[]): Promise<Opened> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/`, protocols, { perMessageDeflate: false });
  let headers: IncomingHttpHeaders = {};
  ws.once('upgrade', (res) => (headers = res.headers));
  const [data, isBinary] = (await once(ws, 'message')) as [Buffer, boolean];
  assert.equal(isBinary, false, 'the hello is a text frame');
  return { ws, headers, hello: data.toString('utf8'), protocol: ws.protocol };
}

/** The next message and whether it was binary. */
async function next(ws: WebSocket): Promise<{ data: Buffer; isBinary: boolean }> {
  const [data, isBinary] = (await once(ws, 'message')) as [Buffer, boolean];
  return { data, isBinary };
}

async function closeOf(ws: WebSocket): Promise<{ code: number; reason: string }> {
  const [code, reason] = (await once(ws, 'close')) as [number, Buffer];
  return { code, reason: reason.toString('utf8') };
}

/** A raw client past the upgrade: returns the socket and everything it received after the 101's head. */
async function raw(port: number): Promise<{ sock: net.Socket; received: () => Buffer; ended: Promise<unknown> }> {
  const sock = net.connect(port, '127.0.0.1');
  await once(sock, 'connect');
  sock.write('GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
    'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n');
  let buf = Buffer.alloc(0);
  sock.on('data', (c: Buffer) => (buf = Buffer.concat([buf, c])));
  const ended = once(sock, 'close');
  return { sock, received: () => buf.subarray(buf.indexOf('\r\n\r\n') + 4), ended };
}

/** A masked client frame, by hand. */
function clientFrame(b0: number, payload: Buffer, lenOverride?: number): Buffer {
  const len = lenOverride ?? payload.length;
  const head = len < 126 ? Buffer.from([b0, 0x80 | len]) : Buffer.from([b0, 0x80 | 127, 0, 0, 0, 0, (len >>> 24) & 255, (len >>> 16) & 255, (len >>> 8) & 255, len & 255]);
  const key = randomBytes(4);
  const body = Buffer.from(payload);
  for (let i = 0; i < body.length; i++) body[i] = (body[i] as number) ^ (key[i & 3] as number);
  return Buffer.concat([head, key, body]);
}

/** The server's frames in `buf` (unmasked): opcode and payload of each. */
function serverFrames(buf: Buffer): Array<{ op: number; payload: Buffer }> {
  const out: Array<{ op: number; payload: Buffer }> = [];
  let at = 0;
  while (at + 2 <= buf.length) {
    let len = (buf[at + 1] as number) & 0x7f;
    let head = 2;
    if (len === 126) { len = buf.readUInt16BE(at + 2); head = 4; } else if (len === 127) { len = buf.readUInt32BE(at + 6); head = 10; }
    out.push({ op: (buf[at] as number) & 0x0f, payload: buf.subarray(at + head, at + head + len) });
    at += head + len;
  }
  return out;
}

describe('reference ws backend on the wire (plain ws client and raw bytes)', () => {
  let backend: RunningBackend;
  before(async () => {
    backend = await startBackend({ id: 'wire1', host: '127.0.0.1', port: 0 });
  });
  after(() => backend.close());

  test('the 101 names the backend, the hello comes first, the first offered subprotocol is chosen', async () => {
    const o = await open(backend.port, ['p1', 'p2']);
    assert.equal(o.headers[BACKEND_HEADER], 'wire1');
    assert.deepEqual(JSON.parse(o.hello), { wsherd: 'hello', backend: 'wire1', pid: process.pid });
    assert.equal(o.protocol, 'p1');
    o.ws.close();
    assert.equal((await closeOf(o.ws)).code, 1005);
  });

  test('echoes text and binary byte for byte: small, 126..65535, 64 KiB+ and 1 MiB, fragmented', async () => {
    const { ws } = await open(backend.port);
    const text = 'héllo ✓ wsherd';
    ws.send(text);
    let m = await next(ws);
    assert.equal(m.isBinary, false);
    assert.equal(m.data.toString('utf8'), text);
    for (const size of [0, 125, 126, 65535, 65536, 70000, 1 << 20]) {
      const bytes = randomBytes(size);
      ws.send(bytes);
      m = await next(ws);
      assert.equal(m.isBinary, true, `binary of ${size}`);
      assert.ok(m.data.equals(bytes), `binary of ${size} bytes echoed verbatim`);
    }
    const long = 'x'.repeat(100_000) + '✓';
    ws.send(long);
    m = await next(ws);
    assert.equal(m.data.toString('utf8'), long);
    // Fragmented: three frames of one message, text and binary; the echo is one message of the joined bytes.
    ws.send('frag-', { fin: false });
    ws.send('ment', { fin: false });
    ws.send('ed ✓', { fin: true });
    m = await next(ws);
    assert.deepEqual([m.data.toString('utf8'), m.isBinary], ['frag-mented ✓', false]);
    const parts = [randomBytes(70000), randomBytes(10), randomBytes(3)];
    parts.forEach((p, i) => ws.send(p, { binary: true, fin: i === parts.length - 1 }));
    m = await next(ws);
    assert.ok(m.data.equals(Buffer.concat(parts)), 'fragmented binary echoed as one message');
    ws.close(1000);
    await closeOf(ws);
  });

  test('answers a ping with a pong of the same payload', async () => {
    const { ws } = await open(backend.port);
    const payload = Buffer.from('are you there');
    ws.ping(payload);
    const [pong] = (await once(ws, 'pong')) as [Buffer];
    assert.ok(pong.equals(payload));
    ws.ping();
    const [empty] = (await once(ws, 'pong')) as [Buffer];
    assert.equal(empty.length, 0);
    ws.terminate();
  });

  test('close codes: echoes the client\'s code and reason; 1000 on the close request', async () => {
    const a = await open(backend.port);
    a.ws.close(4001, 'bye now');
    assert.deepEqual(await closeOf(a.ws), { code: 4001, reason: 'bye now' });
    const b = await open(backend.port);
    b.ws.send(CLOSE_REQUEST);
    assert.deepEqual(await closeOf(b.ws), { code: 1000, reason: 'close requested' });
  });

  test('protocol errors close with the RFC code: 1002 unmasked/bad opcode/bad close code, 1007 bad UTF-8, 1009 too big', async () => {
    const cases: Array<[string, Buffer, number]> = [
      ['an unknown opcode', clientFrame(0x83, Buffer.from('x')), 1002],
      ['a continuation without a start', clientFrame(0x80, Buffer.from('x')), 1002],
      ['text that is not UTF-8', clientFrame(0x81, Buffer.from([0xc3, 0x28])), 1007],
      ['a close code never sent on the wire', clientFrame(0x88, Buffer.from([0x03, 0xed])), 1002],
      ['a frame over 16 MiB', clientFrame(0x82, Buffer.alloc(0), 16 * 1024 * 1024 + 1), 1009],
    ];
    for (const [what, frame, code] of cases) {
      const r = await raw(backend.port);
      r.sock.write(frame);
      await r.ended;
      const frames = serverFrames(r.received());
      const close = frames.find((f) => f.op === 0x8);
      assert.ok(close !== undefined, `${what}: a close frame`);
      assert.equal(close.payload.readUInt16BE(0), code, what);
    }
  });

  test('frames split over many reads and several frames in one read are all echoed', async () => {
    const r = await raw(backend.port);
    const frames = Buffer.concat([clientFrame(0x81, Buffer.from('one')), clientFrame(0x82, Buffer.from([1, 2, 3])), clientFrame(0x81, Buffer.from('three'))]);
    for (let i = 0; i < frames.length; i++) r.sock.write(frames.subarray(i, i + 1));
    r.sock.write(clientFrame(0x88, Buffer.from([0x03, 0xe8])));
    await r.ended;
    const got = serverFrames(r.received()).map((f) => [f.op, f.payload.toString('latin1')]);
    assert.deepEqual(got.slice(1), [[1, 'one'], [2, '\x01\x02\x03'], [1, 'three'], [8, '\x03\xe8']]);
  });
});
