/**
 * The flow oracle's own apps (apps.ts), checked with plain `ws` and `socket.io-client` clients before wsherd is set
 * beside them: what each client saw must equal what the app counted, across instances sharing a real redis-server.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { IncomingMessage } from 'node:http';
import WebSocket from 'ws';
import { io as ioc, type Socket } from 'socket.io-client';
import { until } from '../helpers/until.js';
import { REDIS_SKIP, startChatApp, startRedis, startWsApp, type RedisServer } from './apps.js';

interface Client { ws: WebSocket; backend: string | undefined; frames: Record<string, unknown>[] }

async function connect(url: string): Promise<Client> {
  const ws = new WebSocket(url);
  const c: Client = { ws, backend: undefined, frames: [] };
  ws.on('upgrade', (res: IncomingMessage) => (c.backend = res.headers['x-wsherd-backend'] as string | undefined));
  ws.on('message', (d) => {
    try {
      c.frames.push(JSON.parse(d.toString()) as Record<string, unknown>);
    } catch {
      c.frames.push({ text: d.toString() });
    }
  });
  await once(ws, 'open');
  return c;
}

const ofType = (c: Client, type: string): Record<string, unknown>[] => c.frames.filter((f) => f.type === type);

describe('oracle apps', { skip: REDIS_SKIP }, () => {
  let redis: RedisServer;
  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    await redis?.stop();
  });

  test('ws app: answers, pushes and fan-out across instances through Redis, each counted', async () => {
    const app = await startWsApp({ instances: 3, redisUrl: redis.url, pushIntervalMs: 30, pushLimit: 3 });
    const clients: Client[] = [];
    try {
      for (let i = 0; i < 6; i++) clients.push(await connect(app.url));
      assert.deepEqual(clients.map((c) => c.backend), ['w1', 'w2', 'w3', 'w1', 'w2', 'w3'], 'round robin, each instance named on the 101');
      clients.forEach((c, i) => c.ws.send(JSON.stringify({ type: 'auth', token: `t${i}`, id: `a${i}` })));
      clients.forEach((c, i) => c.ws.send(JSON.stringify({ type: 'request', id: `r${i}`, data: i })));
      const subs = clients.slice(1);
      subs.forEach((c, i) => c.ws.send(JSON.stringify({ type: 'subscribe', topic: 'news', id: `s${i}` })));
      await until('subscribed', () => subs.every((c) => ofType(c, 'subscribed').length === 1));
      const pub = clients[0] as Client;
      pub.ws.send(JSON.stringify({ type: 'publish', topic: 'news', data: 'x1', id: 'p1' }));
      pub.ws.send(JSON.stringify({ type: 'publish', topic: 'news', data: 'x2' }));
      pub.ws.send('not json');
      await until('deliveries', () => subs.every((c) => ofType(c, 'message').length === 2));
      await until('pushes', () => clients.every((c) => ofType(c, 'push').length === 3));
      await until('the echo', () => pub.frames.some((f) => f.text === 'not json'));

      assert.deepEqual(ofType(clients[2] as Client, 'welcome')[0], { type: 'welcome', user: 'user-t2', backend: 'w3', re: 'a2' });
      assert.deepEqual(ofType(clients[4] as Client, 'response')[0], { type: 'response', re: 'r4', data: 4, backend: 'w2' });
      assert.deepEqual(ofType(clients[1] as Client, 'message')[0], { type: 'message', topic: 'news', data: 'x1', backend: 'w1' });
      assert.equal(ofType(pub, 'message').length, 0, 'the publisher gets no copy of its own publish');
      assert.deepEqual(ofType(pub, 'published'), [{ type: 'published', topic: 'news', re: 'p1' }]);
      const t = app.totals();
      assert.equal(t.connections, 6);
      assert.deepEqual(t.received, { auth: 6, request: 6, subscribe: 5, publish: 2, text: 1 });
      assert.equal(t.welcomes, 6);
      assert.equal(t.responses, 6);
      // welcome, response, subscribed for everyone who gave an id, and one published.
      assert.equal(t.answered, 6 + 6 + 5 + 1);
      assert.equal(t.published, 2);
      assert.equal(t.deliveries, 10);
      assert.equal(t.dropped, 0);
      assert.deepEqual(t.deliveriesByTopic, { news: 10 });
      assert.deepEqual(t.deliveriesByPair, { 'w1\tw1': 2, 'w1\tw2': 4, 'w1\tw3': 4 });
      assert.equal(t.pushes, 18);
      assert.equal(t.echoed, 1);
      assert.deepEqual(app.instances.map((i) => i.perConnection), [[0, 2], [2, 2], [2, 2]]);
    } finally {
      for (const c of clients) c.ws.terminate();
      await app.close();
    }
  });

  test('ws app: deliberately dropped deliveries are counted, not written; without identity no header', async () => {
    const app = await startWsApp({ instances: 2, redisUrl: redis.url, identity: false, drop: (n) => n % 3 === 0 });
    const clients: Client[] = [];
    try {
      for (let i = 0; i < 4; i++) clients.push(await connect(app.url));
      assert.deepEqual(clients.map((c) => c.backend), [undefined, undefined, undefined, undefined]);
      const subs = clients.slice(1);
      subs.forEach((c) => c.ws.send(JSON.stringify({ type: 'subscribe', topic: 't', id: 1 })));
      await until('subscribed', () => subs.every((c) => ofType(c, 'subscribed').length === 1));
      for (let i = 0; i < 4; i++) clients[0]?.ws.send(JSON.stringify({ type: 'publish', topic: 't', data: i }));
      // 4 publishes × 3 subscribers = 12 attempts, every third dropped.
      await until('fan-out done', () => app.totals().deliveries + app.totals().dropped === 12);
      await until('received', () => subs.reduce((n, c) => n + ofType(c, 'message').length, 0) === 8);
      assert.equal(app.totals().dropped, 4);
      assert.equal(app.totals().deliveries, 8);
    } finally {
      for (const c of clients) c.ws.terminate();
      await app.close();
    }
  });

  test('socket.io chat app: rooms across 3 instances through the relay, every emit counted', async () => {
    const app = await startChatApp({ instances: 3, redisUrl: redis.url });
    const sockets: Socket[] = [];
    try {
      for (let i = 0; i < 6; i++) {
        // Default transports: polling, then the upgrade — the front must keep each session on its instance.
        const s = ioc(app.url, { reconnection: false, forceNew: true });
        sockets.push(s);
        await new Promise((resolve) => s.once('connect', () => resolve(undefined)));
      }
      const joined = await Promise.all(sockets.map((s) => s.timeout(5000).emitWithAck('join', 'r1') as Promise<{ backend: string }>));
      assert.deepEqual(joined.map((j) => j.backend).sort(), ['s1', 's1', 's2', 's2', 's3', 's3']);
      const got: unknown[][] = sockets.map(() => []);
      sockets.forEach((s, i) => s.on('chat', (m: unknown) => got[i]?.push(m)));
      const ack = (await (sockets[0] as Socket).timeout(5000).emitWithAck('chat', { room: 'r1', text: 'hi' })) as { ok: boolean; backend: string };
      assert.equal(ack.ok, true);
      await until('relayed to the 5 others', () => got.slice(1).every((g) => g.length === 1));
      assert.equal(got[0]?.length, 0, 'not to the sender');
      assert.deepEqual(got[1]?.[0], { room: 'r1', text: 'hi', backend: ack.backend });
      const r = (await (sockets[1] as Socket).timeout(5000).emitWithAck('request', { id: 'q1' })) as { re: string };
      assert.equal(r.re, 'q1');
      const response = new Promise<{ re: string }>((resolve) => sockets[2]?.once('response', resolve));
      (sockets[2] as Socket).emit('request', { id: 'q2' });
      assert.equal((await response).re, 'q2');
      const t = app.totals();
      assert.equal(t.connections, 6);
      assert.equal(t.joins, 6);
      assert.equal(t.joinAcks, 6);
      assert.equal(t.chats, 1);
      assert.equal(t.chatAcks, 1);
      assert.equal(t.relayed, 5);
      assert.deepEqual(t.relayedByRoom, { r1: 5 });
      assert.equal(Object.values(t.relayedByPair).reduce((a, b) => a + b, 0), 5);
      assert.equal(t.relayedByPair[`${ack.backend}\t${ack.backend}`], 1, 'one other member on the sender\'s own instance');
      assert.deepEqual([t.requests, t.requestAcks, t.responses], [2, 1, 1]);
    } finally {
      for (const s of sockets) s.disconnect();
      await app.close();
    }
  });
});
