import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Maglev, buildTable } from '../../../src/proxy/strategies/maglev.js';
import { Rendezvous } from '../../../src/proxy/strategies/rendezvous.js';
import { backends, ctx, ipv4Keys } from './helpers.js';

const slotCounts = (weights: readonly number[], size: number): number[] => {
  const table = buildTable(backends(weights.length, weights), size);
  const counts = weights.map(() => 0);
  for (const i of table.slots) counts[i] = (counts[i] ?? 0) + 1;
  return counts;
};

describe('maglev', () => {
  test('the table is full and split within one slot of even', () => {
    for (const n of [1, 3, 7, 10]) {
      const counts = slotCounts(Array.from({ length: n }, () => 1), 65_537);
      assert.equal(counts.reduce((a, b) => a + b, 0), 65_537);
      assert.ok(Math.max(...counts) - Math.min(...counts) <= 1, `n=${n}: ${counts.join(',')}`);
    }
  });

  test('weights split the slots in proportion', () => {
    const counts = slotCounts([1, 2, 4], 10_007);
    const total = 10_007;
    [1, 2, 4].forEach((w, i) => assert.ok(Math.abs((counts[i] ?? 0) / total - w / 7) < 0.002, `${counts.join(',')}`));
  });

  test('table size: the default 65537, raised to a prime >= 100 × backends when too small', () => {
    const m = new Maglev({ tableSize: 101 });
    m.setBackends(backends(1));
    assert.equal(m.tableSize, 101);
    m.setBackends(backends(5));
    assert.equal(m.tableSize, 503);
    const d = new Maglev();
    d.setBackends(backends(10));
    assert.equal(d.tableSize, 65_537);
  });
});

describe('rendezvous', () => {
  test('weights by the logarithmic method give shares in proportion', () => {
    const s = new Rendezvous();
    s.setBackends(backends(3, [1, 2, 5]));
    const counts = new Map<string, number>();
    for (const a of ipv4Keys(16_000, 9)) {
      const id = s.pick(ctx(a))?.id ?? '';
      counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    // Expected 2000, 4000, 10000 (sd ≤ 63): ±300.
    assert.ok(Math.abs((counts.get('b1') ?? 0) - 2000) < 300, JSON.stringify([...counts]));
    assert.ok(Math.abs((counts.get('b2') ?? 0) - 4000) < 300, JSON.stringify([...counts]));
    assert.ok(Math.abs((counts.get('b3') ?? 0) - 10_000) < 300, JSON.stringify([...counts]));
  });
});
