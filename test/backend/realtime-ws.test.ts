/**
 * The ws backend's JSON app (docs/lab-app.md) against plain `ws` clients: pub/sub across two backends through a
 * real redis-server (each receipt counted by the test and compared with the backends' own stats), the same locally
 * without a bus, auth/welcome, correlated request/response, pushes, and the echo path left exactly as it was.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startBackend, type RunningBackend } from '../../src/backend/server.js';
import { userOf } from '../../src/backend/ws-app.js';
import { REDIS_SKIP, RedisChild, freePort } from '../proxy/store/redis-server.js';
import { until } from '../helpers/until.js';
import { AppClient } from './realtime-client.js';

const N = 25;

describe('ws app: topics across backends through a real redis-server', { timeout: 30_000, skip: REDIS_SKIP }, () => {
  let redis: RedisChild;
  let b1: RunningBackend;
  let b2: RunningBackend;
  before(async () => {
    redis = new RedisChild(await freePort());
    await redis.start();
    [b1, b2] = await Promise.all([startBackend({ id: 'b1', bus: redis.url }), startBackend({ id: 'b2', bus: redis.url })]);
  });
  after(async () => {
    await Promise.all([b1?.close(), b2?.close()]);
    await redis?.kill();
  });

  test('a subscriber on b2 gets exactly what a publisher on b1 published, the publisher none of its own', async () => {
    const [sub, local, pub, other] = await Promise.all([AppClient.open(b2.port), AppClient.open(b1.port), AppClient.open(b1.port), AppClient.open(b1.port)]);
    // The publisher subscribes too: the skip of the sending connection is what is under test.
    for (const [c, i] of [[sub, 's'], [local, 'l'], [pub, 'p']] as const) c.send({ type: 'subscribe', topic: 'news', id: i });
    assert.deepEqual(await sub.answer('subscribed', 's'), { type: 'subscribed', topic: 'news', re: 's', backend: 'b2' });
    await local.answer('subscribed', 'l');
    await pub.answer('subscribed', 'p');
    assert.equal(sub.backend, 'b2');
    assert.equal(pub.backend, 'b1');
    for (let i = 0; i < N; i++) pub.send({ type: 'publish', topic: 'news', data: { n: i }, ...(i % 2 === 0 ? { id: `m${i}` } : {}) });
    // Another connection's message, published after the last: once it has arrived everywhere, so has all of pub's
    // (one Redis channel, one publishing connection per backend, delivered in order).
    await until('the publisher acks', () => pub.of('published').length === Math.ceil(N / 2));
    other.send({ type: 'publish', topic: 'news', data: 'end' });
    for (const c of [sub, local, pub]) await until('the end marker', () => c.of('message').some((f) => f.data === 'end'));

    const fromPub = (c: AppClient): Array<Record<string, unknown>> => c.of('message').filter((f) => f.data !== 'end');
    assert.deepEqual(fromPub(sub), Array.from({ length: N }, (_, i) => ({ type: 'message', topic: 'news', data: { n: i }, backend: 'b1' })));
    assert.deepEqual(fromPub(local).map((f) => f.data), Array.from({ length: N }, (_, i) => ({ n: i })));
    assert.equal(fromPub(pub).length, 0, 'the publishing connection is skipped');
    assert.deepEqual(pub.of('published')[0], { type: 'published', topic: 'news', re: 'm0' });
    // The backends' own counts equal the test's.
    const [s1, s2] = [b1.stats(), b2.stats()];
    assert.equal(s1.published, N + 1);
    assert.equal(s2.published, 0);
    assert.equal(s2.delivered, sub.of('message').length);
    assert.equal(s1.delivered, local.of('message').length + pub.of('message').length);
    assert.equal(s1.subscriptions, 2);
    assert.equal(s2.subscriptions, 1);

    // Unsubscribed: nothing more arrives; and a closed connection's subscriptions end with it.
    sub.send({ type: 'unsubscribe', topic: 'news', id: 'u' });
    assert.deepEqual(await sub.answer('unsubscribed', 'u'), { type: 'unsubscribed', topic: 'news', re: 'u', backend: 'b2' });
    assert.equal(b2.stats().subscriptions, 0);
    await local.close();
    await until('b1 drops the closed subscriber', () => b1.stats().subscriptions === 1);
    other.send({ type: 'publish', topic: 'news', data: 'after', id: 'a' });
    await other.answer('published', 'a');
    await until('the publisher gets the late message', () => pub.of('message').some((f) => f.data === 'after'));
    assert.equal(sub.of('message').some((f) => f.data === 'after'), false);
    await Promise.all([sub, pub, other].map((c) => c.close()));
  });
});

describe('ws app without a bus', { timeout: 20_000 }, () => {
  let b: RunningBackend;
  let other: RunningBackend;
  before(async () => {
    [b, other] = await Promise.all([startBackend({ id: 'b1', pushIntervalMs: 40 }), startBackend({ id: 'b2' })]);
  });
  after(() => Promise.all([b.close(), other.close()]));

  test('topics are per backend', async () => {
    const [sub, pub, elsewhere] = await Promise.all([AppClient.open(b.port), AppClient.open(b.port), AppClient.open(other.port)]);
    sub.send({ type: 'subscribe', topic: 't', id: 1 });
    elsewhere.send({ type: 'subscribe', topic: 't', id: 1 });
    await sub.answer('subscribed', 1);
    await elsewhere.answer('subscribed', 1);
    pub.send({ type: 'publish', topic: 't', data: 'x', id: 2 });
    await pub.answer('published', 2);
    assert.deepEqual(sub.of('message'), [{ type: 'message', topic: 't', data: 'x', backend: 'b1' }]);
    elsewhere.send({ type: 'request', id: 'r' });
    await elsewhere.answer('response', 'r');
    assert.equal(elsewhere.of('message').length, 0);
    assert.equal(b.stats().delivered, 1);
    await Promise.all([sub, pub, elsewhere].map((c) => c.close()));
  });

  test('auth is welcomed, requests answered by id, pushes follow auth only', async () => {
    const [c, idle] = await Promise.all([AppClient.open(b.port), AppClient.open(b.port)]);
    c.send({ type: 'auth', token: 'secret-1', id: 'a1' });
    const welcome = await c.answer('welcome', 'a1');
    assert.deepEqual(welcome, { type: 'welcome', user: userOf('secret-1'), backend: 'b1', re: 'a1' });
    assert.equal(JSON.stringify(welcome).includes('secret-1'), false, 'the token is not echoed');
    c.send({ type: 'request', id: 'q7', data: { k: [1, 2] } });
    assert.deepEqual(await c.answer('response', 'q7'), { type: 'response', re: 'q7', data: { k: [1, 2] }, backend: 'b1' });
    await until('three pushes', () => c.of('push').length >= 3);
    assert.deepEqual(c.of('push').slice(0, 3), [1, 2, 3].map((seq) => ({ type: 'push', seq, backend: 'b1' })));
    // Every tick pushes to all authenticated connections at once: the idle one would have had its pushes by now.
    idle.send({ type: 'request', id: 'q8' });
    await idle.answer('response', 'q8');
    assert.equal(idle.of('push').length, 0);
    c.send({ type: 'auth', id: 'bad' });
    assert.equal((await c.answer('error', 'bad')).error, 'auth needs a token (a non-empty string)');
    await c.close();
    const pushes = b.stats().pushes;
    assert.ok(pushes >= 3);
    await idle.close();
  });

  test('anything that is not the app protocol is echoed as before', async () => {
    const c = await AppClient.open(b.port);
    const texts = ['{"type":"chat","x":1}', '{"type":', '{"no":"type"}', '[1,2]', '{"type":"subscribe"'];
    for (const t of texts) c.send(t);
    await until('the echoes', () => c.frames.length + c.texts.length === texts.length);
    assert.deepEqual(c.frames, [{ type: 'chat', x: 1 }, { no: 'type' }]);
    assert.deepEqual(c.texts, ['{"type":', '[1,2]', '{"type":"subscribe"']);
    const before = b.stats();
    assert.ok(before.messagesEchoed >= texts.length);
    await c.close();
  });
});
