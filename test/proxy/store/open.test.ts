import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { once } from 'node:events';
import { openStore, parseRedisUrl } from '../../../src/proxy/store/index.js';
import { freePort } from './redis-server.js';

const servers: net.Server[] = [];
const sockets = new Set<net.Socket>();
after(async () => {
  for (const s of sockets) s.destroy();
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
});

describe('openStore: start-up fails fast with a clear message', { timeout: 20_000 }, () => {
  test('a refused port', async () => {
    const port = await freePort();
    await assert.rejects(openStore(`redis://127.0.0.1:${port}`), {
      name: 'WsherdError',
      code: 'WSH_ERR_INVALID_INPUT',
      message: `Redis at redis://127.0.0.1:${port} did not answer: ECONNREFUSED`,
    });
  });

  test('a port that accepts but never answers fails at the timeout instead of hanging', async () => {
    const srv = net.createServer((sock) => {
      sockets.add(sock);
      sock.on('error', () => undefined);
      sock.resume(); // read and ignore everything, like a wedged server
    });
    servers.push(srv);
    srv.listen(0, '127.0.0.1');
    await once(srv, 'listening');
    const port = (srv.address() as net.AddressInfo).port;
    const t0 = Date.now();
    await assert.rejects(openStore(`redis://127.0.0.1:${port}/2`, { connectTimeoutMs: 300 }), {
      code: 'WSH_ERR_INVALID_INPUT',
      message: `Redis at redis://127.0.0.1:${port}/2 did not answer within 300 ms`,
    });
    assert.ok(Date.now() - t0 < 5000, 'failed at the timeout, not later');
  });

  test('the password is never shown', async () => {
    const port = await freePort();
    await assert.rejects(openStore(`redis://:s3cret@127.0.0.1:${port}`), (err: Error) => {
      assert.equal(err.message, `Redis at redis://:***@127.0.0.1:${port} did not answer: ECONNREFUSED`);
      return true;
    });
  });

  test('rediss:// and other schemes are refused with a hint', async () => {
    await assert.rejects(openStore('rediss://127.0.0.1:6380'), (err: Error & { code?: string; hint?: string }) => {
      assert.equal(err.code, 'WSH_ERR_INVALID_INPUT');
      assert.equal(err.message, 'Invalid store URL "rediss://127.0.0.1:6380": TLS to Redis (rediss://) is not supported.');
      assert.match(err.hint ?? '', /redis:\/\//);
      return true;
    });
    await assert.rejects(openStore('http://127.0.0.1:6379'), {
      code: 'WSH_ERR_INVALID_INPUT',
      message: 'Invalid store URL "http://127.0.0.1:6379": scheme http is not supported.',
    });
  });

  test('unparseable URLs and bad databases are refused', async () => {
    await assert.rejects(openStore('127.0.0.1:6379'), { code: 'WSH_ERR_INVALID_INPUT' });
    await assert.rejects(openStore('not a url'), { code: 'WSH_ERR_INVALID_INPUT', message: 'Invalid store URL "not a url": not a URL.' });
    await assert.rejects(openStore('redis://h:99999'), { code: 'WSH_ERR_INVALID_INPUT' });
    await assert.rejects(openStore('redis://h:6379/zero'), {
      code: 'WSH_ERR_INVALID_INPUT',
      message: 'Invalid store URL "redis://h:6379/zero": the path must be a database number, got "/zero".',
    });
  });

  test('URL parts: default port, db, credentials', () => {
    assert.deepEqual(parseRedisUrl('redis://localhost'), { host: 'localhost', port: 6379, db: 0, display: 'redis://localhost' });
    assert.deepEqual(parseRedisUrl('redis://u:p%40ss@[::1]:7000/3'), {
      host: '::1',
      port: 7000,
      db: 3,
      username: 'u',
      password: 'p@ss',
      display: 'redis://u:***@[::1]:7000/3',
    });
  });
});

describe('after start-up: a server that stops answering', { timeout: 20_000 }, () => {
  test('a command unanswered within commandTimeoutMs rejects with TIMEOUT and is counted; later commands do not hang', async () => {
    // Answers the start-up PING, then reads and ignores everything: a wedged Redis.
    const srv = net.createServer((sock) => {
      sockets.add(sock);
      sock.on('error', () => undefined);
      sock.once('data', () => {
        sock.write('+PONG\r\n');
        sock.resume();
      });
    });
    servers.push(srv);
    srv.listen(0, '127.0.0.1');
    await once(srv, 'listening');
    const port = (srv.address() as net.AddressInfo).port;
    const store = await openStore(`redis://127.0.0.1:${port}`, { commandTimeoutMs: 200, connectTimeoutMs: 200 });
    try {
      await assert.rejects(store.get('stick', 'k'), { name: 'StoreError', code: 'TIMEOUT' });
      assert.ok((store.errors()['TIMEOUT'] ?? 0) >= 1, JSON.stringify(store.errors()));
      // Whether it is reconnecting (UNAVAILABLE) or reconnected to the same wedged server (TIMEOUT), it rejects.
      await assert.rejects(store.set('stick', 'k', 'b1', 1000), { name: 'StoreError' });
    } finally {
      await store.close();
    }
  });
});
