import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStore } from '../../../src/proxy/store/memory.js';
import { openStore } from '../../../src/proxy/store/index.js';

/** A store on a hand-driven clock: expiry without sleeping. */
function clocked(opts: { sweepBatch?: number } = {}): { store: MemoryStore; advance: (ms: number) => void } {
  let t = 1_000_000;
  const store = new MemoryStore({ now: () => t, sweepIntervalMs: 0, ...opts });
  return { store, advance: (ms) => (t += ms) };
}

describe('memory store', () => {
  test('openStore(undefined) and openStore("memory") give a memory store', async () => {
    for (const url of [undefined, 'memory']) {
      const s = await openStore(url);
      assert.equal(s.kind, 'memory');
      await s.close();
    }
  });

  test('get/set per table; a later set replaces the value and refreshes the ttl', async () => {
    const { store, advance } = clocked();
    assert.equal(await store.get('stick', '10.0.0.1'), undefined);
    await store.set('stick', '10.0.0.1', 'b1', 1000);
    await store.set('sid', '10.0.0.1', 'b2', 1000);
    assert.equal(await store.get('stick', '10.0.0.1'), 'b1');
    assert.equal(await store.get('sid', '10.0.0.1'), 'b2', 'tables are separate');
    advance(900);
    await store.set('stick', '10.0.0.1', 'b3', 1000);
    advance(900);
    assert.equal(await store.get('stick', '10.0.0.1'), 'b3', 'refreshed: still there 1800 ms after the first set');
    assert.equal(await store.get('sid', '10.0.0.1'), undefined, 'not refreshed: expired');
    await store.close();
  });

  test('expiry is exact at the deadline and get drops the entry', async () => {
    const { store, advance } = clocked();
    await store.set('stick', 'k', 'b1', 200);
    advance(199);
    assert.equal(await store.get('stick', 'k'), 'b1');
    assert.deepEqual(store.sizes(), { stick: 1 });
    advance(1);
    assert.equal(await store.get('stick', 'k'), undefined);
    assert.deepEqual(store.sizes(), { stick: 0 }, 'dropped lazily by get');
    await store.close();
  });

  test('delete removes the key; deleting a missing key or table is fine', async () => {
    const { store } = clocked();
    await store.set('stick', 'a', 'b1', 1000);
    await store.set('stick', 'b', 'b2', 1000);
    await store.delete('stick', 'a');
    await store.delete('stick', 'nope');
    await store.delete('nope', 'a');
    assert.equal(await store.get('stick', 'a'), undefined);
    assert.equal(await store.get('stick', 'b'), 'b2');
    assert.deepEqual(store.sizes(), { stick: 1 });
    assert.deepEqual(store.errors(), {});
    await store.close();
  });

  test('the sweep removes expired entries in bounded batches, round-robin across tables', async () => {
    const { store, advance } = clocked({ sweepBatch: 4 });
    for (let i = 0; i < 6; i++) await store.set('stick', `ip${i}`, 'b1', i < 5 ? 100 : 10_000);
    for (let i = 0; i < 3; i++) await store.set('sid', `sid${i}`, 'b2', 100);
    advance(100);
    assert.deepEqual(store.sizes(), { stick: 6, sid: 3 });
    assert.equal(store.sweep(), 4, 'first tick: at most 4 entries examined');
    assert.deepEqual(store.sizes(), { stick: 2, sid: 3 });
    assert.equal(store.sweep(), 1 + 2, 'second tick: rest of stick (2 examined, 1 expired) then 2 of sid');
    assert.deepEqual(store.sizes(), { stick: 1, sid: 1 });
    store.sweep();
    assert.deepEqual(store.sizes(), { stick: 1, sid: 0 });
    assert.equal(await store.get('stick', 'ip5'), 'b1');
    await store.close();
  });

  test('the background sweep runs on its own (short real ttl)', async () => {
    const store = new MemoryStore({ sweepIntervalMs: 20 });
    try {
      await store.set('stick', 'k', 'b1', 30);
      // Stored, checked without get(): a get could itself run past the 30 ms on a slow machine, and would drop
      // the entry lazily, passing the test without the sweep.
      assert.deepEqual(store.sizes(), { stick: 1 });
      const deadline = Date.now() + 5000;
      while (store.sizes()['stick'] !== 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      assert.deepEqual(store.sizes(), { stick: 0 });
    } finally {
      await store.close();
    }
  });

  test('get/set return promises that are already settled (no timers, no I/O)', async () => {
    const { store } = clocked();
    const order: string[] = [];
    void store.set('t', 'k', 'v', 1000).then(() => order.push('set'));
    void store.get('t', 'k').then((v) => order.push(`get:${v}`));
    await Promise.resolve();
    await Promise.resolve();
    assert.deepEqual(order, ['set', 'get:v']);
    await store.close();
  });
});
