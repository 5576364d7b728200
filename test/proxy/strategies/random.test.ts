import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { PowerOfTwoChoices } from '../../../src/proxy/strategies/power-of-two-choices.js';
import { RandomPick } from '../../../src/proxy/strategies/random.js';
import { backends, ctx, holdPicks, peakToAverage } from './helpers.js';

describe('random and power-of-two-choices', () => {
  test('a seed makes the sequence reproducible; different seeds differ', () => {
    for (const make of [(seed: number) => new RandomPick(seed), (seed: number) => new PowerOfTwoChoices(seed)]) {
      const seq = (seed: number): string[] => {
        const s = make(seed);
        s.setBackends(backends(8));
        return Array.from({ length: 50 }, () => s.pick(ctx('10.0.0.1'))?.id ?? '');
      };
      assert.deepEqual(seq(42), seq(42));
      assert.notDeepEqual(seq(42), seq(43));
    }
  });

  test('random follows weights', () => {
    const s = new RandomPick(1);
    s.setBackends(backends(3, [1, 2, 5]));
    const counts = new Map<string, number>();
    for (let i = 0; i < 16_000; i++) {
      const id = s.pick(ctx('10.0.0.1'))?.id ?? '';
      counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    // Expected 2000, 4000, 10000; sd at most ~63, so ±300 is a wide margin at a fixed seed.
    assert.ok(Math.abs((counts.get('b1') ?? 0) - 2000) < 300, JSON.stringify([...counts]));
    assert.ok(Math.abs((counts.get('b2') ?? 0) - 4000) < 300, JSON.stringify([...counts]));
    assert.ok(Math.abs((counts.get('b3') ?? 0) - 10_000) < 300, JSON.stringify([...counts]));
  });

  test('p2c draws two distinct backends and keeps the less loaded one', () => {
    const s = new PowerOfTwoChoices(3);
    s.setBackends(backends(2));
    // With two backends both are always drawn, so the idle one always wins.
    const load = new Map([['b1', 5]]);
    for (let i = 0; i < 20; i++) assert.equal(s.pick(ctx('10.0.0.1', { load }))?.id, 'b2');
    // The most loaded of three is never picked: it can only be drawn with a less loaded one.
    s.setBackends(backends(3));
    const three = new Map([['b1', 9], ['b2', 1], ['b3', 2]]);
    for (let i = 0; i < 50; i++) assert.notEqual(s.pick(ctx('10.0.0.1', { load: three }))?.id, 'b1');
  });

  test('p2c beats random on peak-to-average with connections held', () => {
    for (const [n, picks] of [[10, 1000], [20, 400], [50, 5000]] as const) {
      for (const seed of [1, 2, 3]) {
        const random = new RandomPick(seed);
        const p2c = new PowerOfTwoChoices(seed);
        random.setBackends(backends(n));
        p2c.setBackends(backends(n));
        const r = peakToAverage(holdPicks((c) => random.pick(c), picks), n);
        const p = peakToAverage(holdPicks((c) => p2c.pick(c), picks), n);
        assert.ok(p < r, `n=${n} picks=${picks} seed=${seed}: p2c ${p.toFixed(3)} vs random ${r.toFixed(3)}`);
        // Two choices keep the peak within a couple of connections of the average (ln ln n / ln 2 + O(1)).
        assert.ok(p * (picks / n) - picks / n <= 3, `n=${n}: p2c peak ${p * (picks / n)} over average ${picks / n}`);
      }
    }
  });
});
