/** Scripts, data rows and roles on the ws engine, and flows on the socketio engine, against servers written here. */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import http from 'node:http';
import type { Socket as NetSocket } from 'node:net';
import { Server, type Socket } from 'socket.io';
import { flowFixtures, step, path, LOC } from './helpers/flow-run.js';
import { roleCounts } from '../../src/load/flow/roles.js';

const { cleanups, wsServer, run } = flowFixtures();

const dir = mkdtempSync(join(tmpdir(), 'wsherd-flow-'));

describe('roles and data rows', () => {
  test('each client sends its own role and row; the server logs them; secret values never reach a sample', async () => {
    const seen: Array<{ role: string; user: string; token: string }> = [];
    const url = await wsServer((ws) => ws.on('message', (d) => seen.push(JSON.parse(String(d)) as { role: string; user: string; token: string })));
    const file = join(dir, 'users.csv');
    writeFileSync(file, ['user,token', ...Array.from({ length: 10 }, (_, i) => `u${i},tok${i}`)].join('\n'));
    const flow = [step({ kind: 'send', payload: { kind: 'json', value: { role: '{{ role }}', user: '{{ data.user }}', token: '{{ data.token }}' } }, correlate: false })];
    const t = await run(url, 10, 500, {
      data: { file, format: 'csv', order: 'sequential', secret: ['token'], columns: ['user', 'token'], rows: 10, location: LOC },
      roles: [{ name: 'a', share: 0.3, flow, location: LOC }, { name: 'b', share: 0.7, flow, location: LOC }],
    }).done;
    assert.equal(seen.length, 10);
    const [a, b] = roleCounts(10, [0.3, 0.7]);
    assert.equal(seen.filter((s) => s.role === 'a').length, a);
    assert.equal(seen.filter((s) => s.role === 'b').length, b);
    assert.deepEqual(t.roles, { a, b });
    // Sequential rows: client n got row n, whatever its role.
    assert.deepEqual(seen.map((s) => s.user).sort(), Array.from({ length: 10 }, (_, i) => `u${i}`).sort());
    for (const s of seen) assert.equal(s.token, `tok${s.user.slice(1)}`);
  });
});

describe('script', () => {
  test('send / request / expect / step / throw are counted, the throw with its client number and redacted secrets', async () => {
    let requests = 0;
    let hellos = 0;
    const url = await wsServer((ws) => ws.on('message', (d) => {
      const m = JSON.parse(String(d)) as { type: string; id?: string };
      if (m.type === 'request') {
        requests++;
        ws.send(JSON.stringify({ type: 'response', re: m.id }));
      } else if (m.type === 'hi') {
        hellos++;
        ws.send(JSON.stringify({ type: 'welcome' }));
      }
    }));
    const module = join(dir, 'flow.mjs');
    writeFileSync(module, `export default async function (s) {
  s.send({ type: 'hi' });
  const w = await s.expect((m) => m.type === 'welcome', { step: 'welcome', timeout: 2000 });
  if (w?.type !== 'welcome') throw new Error('no welcome');
  for (let i = 0; i < 3; i++) await s.request({ type: 'request' }, { step: 'req' });
  await s.expect({ path: '$.type', equals: 'never' }, { step: 'never', timeout: 100 });
  await s.sleep(20);
  await s.step('boom', async () => { throw new Error('bad token ' + s.data.token); });
}
`);
    const file = join(dir, 'tokens.json');
    writeFileSync(file, JSON.stringify(Array.from({ length: 4 }, (_, i) => ({ token: `secret${i}` }))));
    const t = await run(url, 4, 900, {
      correlate: { send: path('$.id'), receive: path('$.re') },
      data: { file, format: 'json', order: 'sequential', secret: ['token'], columns: ['token'], rows: 4, location: LOC },
      script: { module, location: LOC },
    }).done;
    assert.equal(hellos, 4);
    assert.equal(requests, 12);
    assert.equal(t.steps['welcome']?.ok, 4);
    assert.equal(t.steps['req']?.ok, 12);
    assert.deepEqual(t.steps['never']?.errors, { timeout: 4 });
    assert.deepEqual(t.steps['boom']?.errors, { script_error: 4 });
    assert.equal(t.steps['script'], undefined, 'an error counted by step() is not counted again');
    const sample = t.steps['boom']?.samples[0] ?? '';
    assert.match(sample, /^client \d: bad token <redacted>$/);
    assert.equal(t.counters.messagesReceived, 12);
  });
});

describe('flows on the socketio engine', () => {
  test('emit with ack joins a room, stamped chat events are deliveries, counted as the server counts them', async () => {
    const httpServer = http.createServer();
    const io = new Server(httpServer);
    let delivered = 0;
    let joins = 0;
    io.on('connection', (socket) => {
      socket.emit('hello', { backend: 'sio-test' });
      socket.on('join', (room: string, ack?: (v: unknown) => void) => {
        void socket.join(room);
        joins++;
        ack?.({ room });
      });
      socket.on('chat', (payload: { room: string }) => {
        const members = io.sockets.adapter.rooms.get(payload.room) ?? new Set();
        delivered += members.size - (members.has(socket.id) ? 1 : 0);
        // The publisher sends its chats in bursts: each member's relays of one burst leave in ONE write, so they
        // arrive in one read, as under load — socket.io then hands the events on a tick after their packets.
        for (const id of members) if (id !== socket.id) corkUntilNextTick(io.sockets.sockets.get(id));
        socket.to(payload.room).emit('chat', payload);
      });
      socket.on('ping2', () => socket.emit('pong2', { ok: true }));
    });
    httpServer.listen(0, '127.0.0.1');
    await once(httpServer, 'listening');
    cleanups.push(() => new Promise<void>((r) => {
      void io.close();
      httpServer.close(() => r());
    }));
    const url = `ws://127.0.0.1:${(httpServer.address() as { port: number }).port}`;
    const t = await run(url, 6, 3500, {
      engine: 'socketio',
      deliveryTimeoutMs: 500,
      roles: [
        {
          name: 'pub', share: 1 / 6, location: LOC,
          flow: [
            step({ kind: 'think', ms: 1300 }),
            step({ kind: 'loop', count: 2, everyMs: 200, steps: [step({ kind: 'loop', count: 5, steps: [step({ kind: 'emit', event: 'chat', args: [{ room: 'r1', text: '{{ stamp }}' }], ack: false, timeoutMs: 1000, publish: 'r1' })] })] }),
          ],
        },
        {
          name: 'sub', share: 5 / 6, location: LOC,
          flow: [
            step({ kind: 'emit', name: 'join', event: 'join', args: ['r1'], ack: true, timeoutMs: 2000, join: 'r1' }),
            step({ kind: 'emit', event: 'ping2', args: [], ack: false, timeoutMs: 1000 }),
            step({ kind: 'on', name: 'pong', event: 'pong2', match: { path: path('$.ok'), equals: true }, timeoutMs: 2000 }),
          ],
        },
      ],
    }).done;
    assert.equal(joins, 5);
    assert.equal(t.steps['join']?.ok, 5);
    assert.equal(t.steps['pong']?.ok, 5);
    assert.equal(delivered, 50);
    assert.equal(t.deliveries.received, delivered);
    assert.equal(t.deliveries.accounted, delivered);
    assert.equal(t.deliveries.lost, 0);
    // Frames: 5 acks and 5 pongs solicited, the deliveries unsolicited; hello is not a frame.
    assert.equal(t.frames.solicited, 10);
    assert.equal(t.frames.unsolicited, delivered);
  });
});

/** Holds a socket.io socket's TCP writes until the next tick, so what it is sent meanwhile leaves in one write. */
function corkUntilNextTick(socket: Socket | undefined): void {
  const raw = (socket?.conn.transport as unknown as { socket?: { _socket?: NetSocket } } | undefined)?.socket?._socket;
  if (raw === undefined || raw.writableCorked > 0) return;
  raw.cork();
  process.nextTick(() => raw.uncork());
}
