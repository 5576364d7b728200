import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { WeightedRoundRobin } from '../../../src/proxy/strategies/weighted-round-robin.js';
import { backends, ctx } from './helpers.js';

const sequence = (weights: readonly number[], count: number): string[] => {
  const s = new WeightedRoundRobin();
  s.setBackends(backends(weights.length, weights));
  return Array.from({ length: count }, () => s.pick(ctx('10.0.0.1'))?.id ?? '');
};

const weightsArb = fc.array(fc.integer({ min: 1, max: 10 }), { minLength: 1, maxLength: 6 });

describe('weighted-round-robin (smooth, nginx)', () => {
  test('nginx example: weights 5,1,1 give a a b a c a a', () => {
    assert.deepEqual(sequence([5, 1, 1], 7), ['b1', 'b1', 'b2', 'b1', 'b3', 'b1', 'b1']);
  });

  test('property: every cycle of sum(weights) picks holds each backend exactly weight times, and cycles repeat', () => {
    fc.assert(
      fc.property(weightsArb, (weights) => {
        const total = weights.reduce((a, b) => a + b, 0);
        const seq = sequence(weights, total * 3);
        for (let cycle = 0; cycle < 3; cycle++) {
          const part = seq.slice(cycle * total, (cycle + 1) * total);
          weights.forEach((w, i) => assert.equal(part.filter((id) => id === `b${i + 1}`).length, w));
        }
        assert.deepEqual(seq.slice(total, total * 2), seq.slice(0, total));
      }),
    );
  });

  test('property: smooth — no backend is picked more than weight times in a row, even across cycles', () => {
    fc.assert(
      fc.property(weightsArb.filter((w) => w.length > 1), (weights) => {
        const total = weights.reduce((a, b) => a + b, 0);
        const seq = sequence(weights, total * 3);
        let run = 0;
        for (let i = 0; i < seq.length; i++) {
          run = i > 0 && seq[i] === seq[i - 1] ? run + 1 : 1;
          const w = weights[Number(seq[i]?.slice(1)) - 1] ?? 0;
          assert.ok(run <= w, `${seq[i]} picked ${run} times in a row with weight ${w}: ${seq.join(' ')}`);
        }
        // The sequence has period sum(weights), so every window of that length holds exact counts, wherever it starts.
        for (let start = 0; start + total <= seq.length; start++) {
          const window = seq.slice(start, start + total);
          weights.forEach((w, i) => assert.equal(window.filter((id) => id === `b${i + 1}`).length, w));
        }
      }),
    );
  });

  test('an unhealthy backend sits out; the others keep their proportions', () => {
    const list = backends(3, [3, 2, 1]);
    const s = new WeightedRoundRobin();
    s.setBackends(list);
    (list[0] as { healthy: boolean }).healthy = false;
    const seq = Array.from({ length: 9 }, () => s.pick(ctx('10.0.0.1'))?.id);
    assert.equal(seq.filter((id) => id === 'b2').length, 6);
    assert.equal(seq.filter((id) => id === 'b3').length, 3);
    assert.equal(s.pick(ctx('10.0.0.1', { exclude: ['b2', 'b3'] })), undefined);
  });
});
