/**
 * The hand-written codec against `ws` as the oracle: frames wsherd writes must be what a `ws` server reads, and frames
 * a `ws` peer writes (masked or not, small, 16-bit and 64-bit lengths, fragmented, split across reads at every byte)
 * must be what readFrames reads.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { WebSocketServer, WebSocket } from 'ws';
import { encodeFrame, readFrames, closePayload, closeCode, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, type ReaderState } from '../../src/wsproto/frame.js';
import { acceptFor, newKey, upgradeRequest, parseHead, checkUpgradeResponse } from '../../src/wsproto/handshake.js';
import { until } from '../helpers/until.js';

interface Got { op: number; data: Buffer }

function reader(): { state: ReaderState; got: Got[]; errors: string[]; feed(b: Buffer): void } {
  const state: ReaderState = { pending: undefined, pendingFill: 0, fragOp: 0, frags: undefined };
  const got: Got[] = [];
  const errors: string[] = [];
  const sink = { onFrame: (op: number, data: Buffer) => got.push({ op, data: Buffer.from(data) }), onProtocolError: (r: string) => errors.push(r) };
  return { state, got, errors, feed: (b) => readFrames(state, b, sink, 1 << 24) };
}

const SIZES = [0, 1, 125, 126, 127, 65535, 65536, 200_000];

test('frames written by encodeFrame (masked) are what a ws server receives, byte for byte', async () => {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise((r) => wss.once('listening', r));
  const received: Array<{ data: Buffer; binary: boolean }> = [];
  wss.on('connection', (ws) => ws.on('message', (data, binary) => received.push({ data: data as Buffer, binary })));
  const port = (wss.address() as net.AddressInfo).port;
  const sock = net.connect(port, '127.0.0.1');
  const key = newKey();
  sock.write(upgradeRequest({ host: `127.0.0.1:${port}`, path: '/', key }));
  const head = await new Promise<Buffer>((resolve) => sock.once('data', resolve));
  const parsed = parseHead(head);
  assert.ok(parsed);
  assert.equal(checkUpgradeResponse(parsed, key), undefined);
  const sent: Buffer[] = SIZES.map((n, i) => Buffer.alloc(n, i + 1));
  for (const b of sent) sock.write(encodeFrame(OP_BINARY, b, true));
  sock.write(encodeFrame(OP_TEXT, 'héllo', true));
  await until('the ws server to receive every frame', () => received.length === SIZES.length + 1);
  for (const [i, b] of sent.entries()) assert.deepEqual(received[i]?.data, b);
  assert.equal(received[SIZES.length]?.data.toString('utf8'), 'héllo');
  assert.equal(received[SIZES.length]?.binary, false);
  sock.destroy();
  wss.close();
});

test('readFrames reads what a ws client writes (masked, every length) and what a ws server writes, split at every byte', async () => {
  const server = net.createServer();
  const chunks: Buffer[] = [];
  server.on('connection', (s) => {
    s.once('data', (d) => {
      const head = parseHead(d);
      const key = head?.headers['sec-websocket-key'] ?? '';
      s.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${acceptFor(key)}\r\n\r\n`);
      s.on('data', (c) => chunks.push(c));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  const ws = new WebSocket(`ws://127.0.0.1:${port}/`, { perMessageDeflate: false });
  await new Promise((r) => ws.once('open', r));
  const payloads = SIZES.map((n, i) => Buffer.alloc(n, 0x41 + i));
  for (const p of payloads) ws.send(p);
  ws.send('text ☃', { fin: false });
  ws.send(' and more', { fin: true });
  ws.ping(Buffer.from('p'));
  const total = payloads.reduce((n, p) => n + p.length, 0);
  await until('every byte at the raw server', () => chunks.reduce((n, c) => n + c.length, 0) >= total + 20);
  const all = Buffer.concat(chunks);
  // One feed, then the same bytes a byte at a time: the reader must not care where reads split.
  for (const step of [all.length, 1, 7]) {
    const r = reader();
    const copy = Buffer.from(all);
    for (let at = 0; at < copy.length; at += step) r.feed(copy.subarray(at, Math.min(copy.length, at + step)));
    assert.deepEqual(r.errors, []);
    assert.equal(r.got.length, SIZES.length + 2);
    for (const [i, p] of payloads.entries()) assert.deepEqual(r.got[i]?.data, p, `frame ${i} with step ${step}`);
    assert.equal(r.got[SIZES.length]?.op, OP_TEXT);
    assert.equal(r.got[SIZES.length]?.data.toString('utf8'), 'text ☃ and more');
    assert.equal(r.got[SIZES.length + 1]?.op, OP_PING);
  }
  ws.terminate();
  server.close();
});

test('close payloads round-trip and protocol errors are reported, not thrown', () => {
  assert.equal(closeCode(closePayload(4001, 'bye')), 4001);
  assert.equal(closeCode(Buffer.alloc(0)), 1005);
  const r = reader();
  r.feed(Buffer.from([0x81 | 0x40, 0x00]));
  assert.equal(r.errors.length, 1);
  const c = reader();
  c.feed(encodeFrame(OP_CLOSE, closePayload(1000), false));
  assert.equal(c.got[0]?.op, OP_CLOSE);
  const big = reader();
  readFrames(big.state, encodeFrame(OP_BINARY, Buffer.alloc(300), false), { onFrame: () => {}, onProtocolError: (m, code) => big.errors.push(`${code} ${m}`) }, 100);
  assert.match(big.errors[0] ?? '', /^1009 /);
});

