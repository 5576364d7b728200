import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { DnsCache, DnsCacheSet, type DnsCacheOptions } from '../../src/dns/cache.js';
import { DnsLookupError, type DnsAnswer } from '../../src/dns/resolver.js';

/** A query function whose answers the test releases by hand, counting the questions it got. */
class FakeServer {
  asked: string[] = [];
  private pending: { resolve: (a: DnsAnswer) => void; reject: (e: Error) => void }[] = [];
  ttlSeconds = 10;
  private n = 0;
  query = (name: string): Promise<DnsAnswer> => {
    this.asked.push(name);
    return new Promise((resolve, reject) => this.pending.push({ resolve, reject }));
  };
  /** Answer every waiting query with a rotated pair, as the real server would. */
  answerAll(): void {
    for (const p of this.pending.splice(0)) {
      const first = this.n++ % 2 === 0 ? '127.0.0.2' : '127.0.0.3';
      p.resolve({ addresses: [first, first === '127.0.0.2' ? '127.0.0.3' : '127.0.0.2'], ttlSeconds: this.ttlSeconds });
    }
  }
  failAll(): void {
    for (const p of this.pending.splice(0)) p.reject(new DnsLookupError('dns_servfail', 'boom'));
  }
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

function cache(fake: FakeServer, opts: Partial<DnsCacheOptions> = {}): DnsCache {
  return new DnsCache({ mode: 'ttl', query: fake.query, now: () => 0, ...opts });
}

describe('DnsCache', () => {
  test('concurrent misses for one name make one query; all get the same answer', async () => {
    const fake = new FakeServer();
    const c = cache(fake);
    const lookups = Array.from({ length: 50 }, () => c.lookup('app.lab.test', 0));
    await tick();
    assert.equal(fake.asked.length, 1);
    fake.answerAll();
    const results = await Promise.all(lookups);
    assert.ok(results.every((r) => r.addresses[0] === '127.0.0.2' && !r.fromCache));
    assert.deepEqual(c.counts(), { hits: 0, misses: 50, queries: 1, failures: 0 });
  });

  test('ttl: hits until the TTL runs out (counted from the question), then asks again', async () => {
    const fake = new FakeServer();
    const c = cache(fake);
    const first = c.lookup('App.lab.test', 1000);
    fake.answerAll();
    assert.equal((await first).fromCache, false);
    const hit = await c.lookup('app.lab.test', 10_999);
    assert.deepEqual(hit, { addresses: ['127.0.0.2', '127.0.0.3'], fromCache: true });
    const again = c.lookup('app.lab.test', 11_000);
    await tick();
    assert.equal(fake.asked.length, 2);
    fake.answerAll();
    assert.deepEqual(await again, { addresses: ['127.0.0.3', '127.0.0.2'], fromCache: false });
    assert.deepEqual(c.counts(), { hits: 1, misses: 2, queries: 2, failures: 0 });
  });

  test('staleMs keeps an answer that much longer past its TTL', async () => {
    const fake = new FakeServer();
    const c = cache(fake, { staleMs: 5000 });
    const p = c.lookup('app.lab.test', 0);
    fake.answerAll();
    await p;
    assert.equal((await c.lookup('app.lab.test', 14_999)).fromCache, true);
    void c.lookup('app.lab.test', 15_000);
    await tick();
    assert.equal(fake.asked.length, 2);
    fake.answerAll();
  });

  test('a TTL of 0 is never stored (but concurrent misses still share the query)', async () => {
    const fake = new FakeServer();
    fake.ttlSeconds = 0;
    const c = cache(fake);
    const a = [c.lookup('x.test', 0), c.lookup('x.test', 0)];
    fake.answerAll();
    await Promise.all(a);
    void c.lookup('x.test', 0);
    await tick();
    assert.equal(fake.asked.length, 2);
    fake.answerAll();
  });

  test('none: every lookup is a query, even concurrent ones', async () => {
    const fake = new FakeServer();
    const c = cache(fake, { mode: 'none' });
    const a = [c.lookup('app.lab.test', 0), c.lookup('app.lab.test', 0)];
    fake.answerAll();
    const [r1, r2] = await Promise.all(a);
    assert.notEqual(r1?.addresses[0], r2?.addresses[0], 'each client saw the rotation');
  });

  test('forever: the first answer is kept whatever the clock says', async () => {
    const fake = new FakeServer();
    const c = cache(fake, { mode: 'forever' });
    const p = c.lookup('app.lab.test', 0);
    fake.answerAll();
    await p;
    const late = await c.lookup('app.lab.test', 1e12);
    assert.deepEqual(late, { addresses: ['127.0.0.2', '127.0.0.3'], fromCache: true });
    assert.equal(fake.asked.length, 1);
  });

  test('failures reject every waiter, are counted once, and are not cached', async () => {
    const fake = new FakeServer();
    const c = cache(fake);
    const a = [c.lookup('app.lab.test', 0), c.lookup('app.lab.test', 0)];
    fake.failAll();
    for (const p of a) await assert.rejects(p, { code: 'dns_servfail' });
    const retry = c.lookup('app.lab.test', 0);
    await tick();
    fake.answerAll();
    assert.equal((await retry).fromCache, false);
    assert.deepEqual(c.counts(), { hits: 0, misses: 3, queries: 2, failures: 1 });
  });

  test('the injected clock is used when a lookup passes none', async () => {
    const fake = new FakeServer();
    let now = 0;
    const c = cache(fake, { now: () => now });
    const p = c.lookup('app.lab.test');
    fake.answerAll();
    await p;
    now = 9_999;
    assert.equal((await c.lookup('app.lab.test')).fromCache, true);
    now = 10_000;
    void c.lookup('app.lab.test');
    await tick();
    assert.equal(fake.asked.length, 2);
    fake.answerAll();
  });
});

describe('DnsCacheSet', () => {
  test('one cache per group, sharing options; the query learns the group', async () => {
    const asked: string[] = [];
    const set = new DnsCacheSet({
      mode: 'ttl',
      now: () => 0,
      query: async (name, group) => {
        asked.push(`${group}:${name}`);
        return { addresses: ['127.0.0.2'], ttlSeconds: 60 };
      },
    });
    assert.equal(set.get('office'), set.get('office'));
    await set.get('office').lookup('app.lab.test');
    await set.get('office').lookup('app.lab.test');
    await set.get('mobile').lookup('app.lab.test');
    assert.deepEqual(asked, ['office:app.lab.test', 'mobile:app.lab.test']);
    assert.deepEqual(set.counts(), {
      office: { hits: 1, misses: 1, queries: 1, failures: 0 },
      mobile: { hits: 0, misses: 1, queries: 1, failures: 0 },
    });
    assert.deepEqual(set.totals(), { hits: 1, misses: 2, queries: 2, failures: 0 });
  });
});
