/**
 * The socket.io backend's rooms over the real @socket.io/redis-adapter on a real redis-server: 30 plain
 * socket.io-client clients on three backends in three rooms, every chat counted by the test at every receiver —
 * each must reach every other member of its room exactly once, across backends, and never its sender.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { io, type Socket as ClientSocket } from 'socket.io-client';
import { startSocketIoBackend, type RunningSocketIoBackend } from '../../src/backend/socketio-server.js';
import { REDIS_SKIP, RedisChild, freePort } from '../proxy/store/redis-server.js';
import { until } from '../helpers/until.js';

const CLIENTS = 30;
const ROOMS = 3;

interface Chat {
  room: string;
  text: string;
  from: number;
  backend: string;
}

interface Member {
  k: number;
  socket: ClientSocket;
  backend: string;
  room: string;
  chats: Chat[];
  responses: unknown[];
}

async function connect(port: number): Promise<{ socket: ClientSocket; backend: string }> {
  const socket = io(`http://127.0.0.1:${port}`, { transports: ['websocket'], forceNew: true, reconnection: false });
  const hello = await new Promise<{ backend: string }>((resolve) => socket.once('hello', resolve));
  return { socket, backend: hello.backend };
}

describe('socket.io app: rooms across backends through @socket.io/redis-adapter', { timeout: 40_000, skip: REDIS_SKIP }, () => {
  let redis: RedisChild;
  let backends: RunningSocketIoBackend[] = [];
  const members: Member[] = [];
  before(async () => {
    redis = new RedisChild(await freePort());
    await redis.start();
    backends = await Promise.all(['b1', 'b2', 'b3'].map((id) => startSocketIoBackend({ id, bus: redis.url })));
  });
  after(async () => {
    for (const m of members) m.socket.close();
    await Promise.all(backends.map((b) => b.close()));
    await redis?.kill();
  });

  test('each chat reaches every other member of its room exactly once', async () => {
    for (let k = 0; k < CLIENTS; k++) {
      const b = backends[k % backends.length] as RunningSocketIoBackend;
      const { socket, backend } = await connect(b.port);
      const m: Member = { k, socket, backend, room: `room-${Math.floor(k / (CLIENTS / ROOMS))}`, chats: [], responses: [] };
      socket.on('chat', (c: Chat) => m.chats.push(c));
      socket.on('response', (r: unknown) => m.responses.push(r));
      members.push(m);
    }
    // Both shapes of join: with an acknowledgement, and without (then a request's ack is the barrier: one socket's
    // events are handled in order).
    await Promise.all(members.map(async (m) => {
      if (m.k % 2 === 0) {
        assert.deepEqual(await m.socket.timeout(5000).emitWithAck('join', m.room), { room: m.room, backend: m.backend });
      } else {
        m.socket.emit('join', m.room);
        assert.deepEqual(await m.socket.timeout(5000).emitWithAck('request', { id: `r${m.k}` }), { re: `r${m.k}`, backend: m.backend });
      }
    }));
    await Promise.all(members.map(async (m) => {
      const chat = { room: m.room, text: `hi from ${m.k}`, from: m.k };
      if (m.k % 2 === 0) m.socket.emit('chat', chat);
      else assert.deepEqual(await m.socket.timeout(5000).emitWithAck('chat', chat), { ok: true, backend: m.backend });
    }));
    const perRoom = CLIENTS / ROOMS;
    const expected = CLIENTS * (perRoom - 1);
    await until(`${expected} chat receipts`, () => members.reduce((n, m) => n + m.chats.length, 0) >= expected, 15_000);
    assert.equal(members.reduce((n, m) => n + m.chats.length, 0), expected);
    let crossBackend = 0;
    for (const m of members) {
      const senders = m.chats.map((c) => c.from).sort((a, b) => a - b);
      const others = members.filter((o) => o.room === m.room && o.k !== m.k).map((o) => o.k);
      assert.deepEqual(senders, others, `client ${m.k} got each room-mate's chat once and not its own`);
      for (const c of m.chats) {
        const sender = members[c.from] as Member;
        assert.deepEqual(c, { room: m.room, text: `hi from ${c.from}`, from: c.from, backend: sender.backend });
        if (sender.backend !== m.backend) crossBackend++;
      }
    }
    assert.ok(crossBackend > expected / 2, 'most receipts crossed backends through Redis');
    const stats = backends.map((b) => b.stats());
    assert.equal(stats.reduce((n, s) => n + s.chatsReceived, 0), CLIENTS);
    assert.equal(stats.reduce((n, s) => n + s.roomsJoined, 0), CLIENTS);
    assert.equal(stats.reduce((n, s) => n + s.requests, 0), CLIENTS / 2);
  });

  test('a request without an acknowledgement is answered by a response event; leave ends the membership', async () => {
    const [a, b] = [members[0] as Member, members[3] as Member];
    a.socket.emit('request', { id: 'no-ack' });
    await until('the response event', () => a.responses.length === 1);
    assert.deepEqual(a.responses[0], { re: 'no-ack', backend: a.backend });
    assert.deepEqual(await b.socket.timeout(5000).emitWithAck('leave', b.room), { room: b.room, backend: b.backend });
    const before = b.chats.length;
    const third = members[6] as Member;
    await a.socket.timeout(5000).emitWithAck('chat', { room: a.room, text: 'after leave', from: a.k });
    await until('a room-mate still in the room gets it', () => third.chats.some((c) => c.text === 'after leave'));
    assert.equal(b.chats.length, before);
  });
});
