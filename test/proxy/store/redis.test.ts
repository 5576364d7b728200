import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { openStore, type StickyStore } from '../../../src/proxy/store/index.js';
import { RedisStore } from '../../../src/proxy/store/redis.js';
import { REDIS_SKIP, RedisChild, freePort } from './redis-server.js';

const redis = new RedisChild(await freePort());
const stores: StickyStore[] = [];

before(() => (REDIS_SKIP === false ? redis.start() : undefined));
after(async () => {
  await Promise.all(stores.map((s) => s.close()));
  await redis.kill();
});

async function open(prefix: string, tables?: string[]): Promise<RedisStore> {
  const s = await openStore(redis.url, { prefix, tables, commandTimeoutMs: 1000 });
  stores.push(s);
  assert.equal(s.kind, 'redis');
  return s as RedisStore;
}

const prefix = (): string => `wsherd-test-${randomBytes(4).toString('hex')}:`;

async function eventually(check: () => Promise<boolean> | boolean, ms = 5000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return check();
}

const sum = (r: Record<string, number>): number => Object.values(r).reduce((a, b) => a + b, 0);

describe('redis store (real redis-server)', { timeout: 30_000, skip: REDIS_SKIP }, () => {
  test('two instances on one server see each other’s sets and deletes', async () => {
    const p = prefix();
    const [a, b] = [await open(p), await open(p)];
    assert.equal(await b.get('stick', '10.0.0.1'), undefined);
    await a.set('stick', '10.0.0.1', 'b1', 60_000);
    assert.equal(await b.get('stick', '10.0.0.1'), 'b1');
    await b.set('stick', '10.0.0.1', 'b2', 60_000);
    assert.equal(await a.get('stick', '10.0.0.1'), 'b2', 'a later set wins');
    await a.set('sid', 'Zx9_abc', 'b3', 60_000);
    assert.equal(await b.get('sid', 'Zx9_abc'), 'b3');
    assert.equal(await b.get('stick', 'Zx9_abc'), undefined, 'tables are separate');
    await b.delete('sid', 'Zx9_abc');
    assert.equal(await a.get('sid', 'Zx9_abc'), undefined);
    const other = await open(prefix());
    assert.equal(await other.get('stick', '10.0.0.1'), undefined, 'another prefix is another namespace');
    assert.deepEqual(a.errors(), {});
  });

  test('pipelined commands resolve in order', async () => {
    const s = await open(prefix());
    const keys = Array.from({ length: 200 }, (_, i) => `k${i}`);
    await Promise.all(keys.map((k, i) => s.set('stick', k, `b${i}`, 60_000)));
    assert.deepEqual(await Promise.all(keys.map((k) => s.get('stick', k))), keys.map((_, i) => `b${i}`));
  });

  test('ttl: an entry set with 200 ms is gone shortly after', async () => {
    const s = await open(prefix());
    const t0 = Date.now();
    await s.set('stick', 'short', 'b1', 200);
    await s.set('stick', 'long', 'b1', 60_000);
    const got = await s.get('stick', 'short');
    if (Date.now() - t0 < 150) assert.equal(got, 'b1');
    assert.ok(await eventually(async () => (await s.get('stick', 'short')) === undefined, 3000), 'expired');
    assert.ok(Date.now() - t0 >= 190, 'not before its ttl');
    assert.equal(await s.get('stick', 'long'), 'b1');
  });

  test('sizes() follow the index after a refresh, expired entries excluded; another instance sees them', async () => {
    const p = prefix();
    const s = await open(p);
    for (let i = 0; i < 3; i++) await s.set('stick', `ip${i}`, 'b1', 60_000);
    await s.set('stick', 'soon', 'b1', 100);
    await s.set('sid', 'sid0', 'b2', 60_000);
    await s.refreshSizes();
    assert.deepEqual(s.sizes(), { stick: 4, sid: 1 });
    await s.delete('stick', 'ip0');
    assert.ok(await eventually(async () => (await s.get('stick', 'soon')) === undefined, 3000));
    await s.refreshSizes();
    assert.deepEqual(s.sizes(), { stick: 2, sid: 1 });
    const peer = await open(p, ['stick', 'sid']);
    assert.ok(await eventually(() => peer.sizes()['stick'] === 2 && peer.sizes()['sid'] === 1, 3000), 'the periodic refresh of a peer that only knows the table names');
  });

  test('the /db in the URL selects the database; a password Redis does not expect is a clear start-up error', async () => {
    const p = prefix();
    const db0 = await open(p);
    const db1 = await openStore(`${redis.url}/1`, { prefix: p });
    stores.push(db1);
    await db1.set('stick', 'k', 'b1', 60_000);
    assert.equal(await db1.get('stick', 'k'), 'b1');
    assert.equal(await db0.get('stick', 'k'), undefined);
    await assert.rejects(openStore(`redis://:nope@127.0.0.1:${redis.port}`), {
      code: 'WSH_ERR_INVALID_INPUT',
      message: /^Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:\d+ refused the connection set-up: ERR /,
    });
  });

  test('redis killed: commands reject quickly and are counted; restarted on its port: the store reconnects', async () => {
    const s = await open(prefix());
    await s.set('stick', 'k', 'b1', 60_000);
    assert.equal(await s.get('stick', 'k'), 'b1');
    await redis.kill();
    await assert.rejects(s.get('stick', 'k'), (err: Error & { code?: string }) => typeof err.code === 'string');
    await assert.rejects(s.set('stick', 'k', 'b2', 60_000));
    const errs = s.errors();
    assert.ok(sum(errs) >= 2, `errors counted: ${JSON.stringify(errs)}`);
    assert.ok((errs['UNAVAILABLE'] ?? 0) + (errs['TIMEOUT'] ?? 0) + (errs['ECONNRESET'] ?? 0) + (errs['CLOSED'] ?? 0) >= 1);

    await redis.start();
    assert.ok(
      await eventually(async () => {
        try {
          await s.set('stick', 'k', 'b2', 60_000);
          return (await s.get('stick', 'k')) === 'b2';
        } catch {
          return false;
        }
      }, 10_000),
      'works again after the restart',
    );
  });
});
