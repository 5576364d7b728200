import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { skewStats } from '../../src/analysis/skew.js';

const counts = fc.array(fc.nat({ max: 1_000_000 }), { minLength: 1, maxLength: 64 }).filter((a) => a.some((x) => x > 0));
const close = (a: number, b: number, eps = 1e-9): boolean => Math.abs(a - b) <= eps * Math.max(1, Math.abs(b));

describe('skewStats', () => {
  test('null for no backends or nothing counted', () => {
    assert.equal(skewStats([]), null);
    assert.equal(skewStats([0, 0, 0]), null);
  });

  test('Jain index lies in [1/n, 1], shares in [0, 1], peak/avg in [1, n], cv >= 0', () => {
    fc.assert(fc.property(counts, (c) => {
      const s = skewStats(c);
      assert.ok(s);
      const n = c.length;
      assert.ok(s.jain >= 1 / n && s.jain <= 1, `jain ${s.jain} for n=${n}`);
      assert.ok(s.minShare >= 0 && s.minShare <= s.maxShare && s.maxShare <= 1);
      assert.ok(s.peakToAverage >= 1 - 1e-12 && s.peakToAverage <= n + 1e-9);
      assert.ok(s.cv >= 0);
    }));
  });

  test('equal counts: peak/avg 1, cv 0, jain 1, every share 1/n', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 64 }), fc.integer({ min: 1, max: 1_000_000 }), (n, v) => {
      const s = skewStats(Array.from({ length: n }, () => v));
      assert.ok(s);
      assert.equal(s.peakToAverage, 1);
      assert.equal(s.cv, 0);
      assert.ok(close(s.jain, 1));
      assert.ok(close(s.minShare, 1 / n) && close(s.maxShare, 1 / n));
    }));
  });

  test('all on one backend: jain 1/n, peak/avg n, min share 0, max share 1', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 64 }), fc.integer({ min: 1, max: 1_000_000 }), fc.nat(), (n, v, at) => {
      const c = Array.from({ length: n }, () => 0);
      c[at % n] = v;
      const s = skewStats(c);
      assert.ok(s);
      assert.ok(close(s.jain, 1 / n));
      assert.ok(close(s.peakToAverage, n));
      assert.equal(s.maxShare, 1);
      assert.equal(s.minShare, n === 1 ? 1 : 0);
    }));
  });

  test('scale invariant: multiplying every count by k changes nothing', () => {
    fc.assert(fc.property(counts, fc.integer({ min: 2, max: 1000 }), (c, k) => {
      const a = skewStats(c);
      const b = skewStats(c.map((x) => x * k));
      assert.ok(a && b);
      assert.ok(close(a.jain, b.jain) && close(a.cv, b.cv, 1e-7) && close(a.peakToAverage, b.peakToAverage));
    }));
  });

  test('known values: [3, 1] gives peak/avg 1.5, cv 0.5, jain 0.8', () => {
    const s = skewStats([3, 1]);
    assert.deepEqual(s, { peakToAverage: 1.5, cv: 0.5, jain: 0.8, minShare: 0.25, maxShare: 0.75 });
  });
});
