import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { LeastConnections } from '../../../src/proxy/strategies/least-connections.js';
import { backends, ctx, holdPicks } from './helpers.js';

describe('least-connections', () => {
  test('picks the least loaded backend', () => {
    const s = new LeastConnections();
    s.setBackends(backends(4));
    const load = new Map([['b1', 4], ['b2', 2], ['b3', 7], ['b4', 3]]);
    assert.equal(s.pick(ctx('10.0.0.1', { load }))?.id, 'b2');
    assert.equal(s.pick(ctx('10.0.0.1', { load, exclude: ['b2'] }))?.id, 'b4');
  });

  test('property: the pick has the lowest active/weight among eligible backends', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ load: fc.nat(50), weight: fc.integer({ min: 1, max: 5 }), healthy: fc.boolean() }), { minLength: 1, maxLength: 12 }),
        (spec) => {
          const list = backends(spec.length, spec.map((x) => x.weight)).map((b, i) => ({ ...b, healthy: spec[i]?.healthy ?? true }));
          const load = new Map(list.map((b, i) => [b.id, spec[i]?.load ?? 0]));
          const s = new LeastConnections();
          s.setBackends(list);
          const b = s.pick(ctx('10.0.0.1', { load }));
          const healthy = list.filter((x) => x.healthy);
          if (healthy.length === 0) return assert.equal(b, undefined);
          assert.ok(b);
          const ratio = (x: { id: string; weight: number }): number => (load.get(x.id) ?? 0) / x.weight;
          assert.equal(ratio(b), Math.min(...healthy.map(ratio)));
        },
      ),
    );
  });

  test('ties go round robin, so an idle pool fills evenly', () => {
    const s = new LeastConnections();
    s.setBackends(backends(3));
    assert.deepEqual(Array.from({ length: 6 }, () => s.pick(ctx('10.0.0.1'))?.id), ['b1', 'b2', 'b3', 'b1', 'b2', 'b3']);
    const load = holdPicks((c) => s.pick(c), 300);
    assert.deepEqual([...load.values()], [100, 100, 100]);
  });

  test('weights: held connections end up in proportion to weight', () => {
    const s = new LeastConnections();
    s.setBackends(backends(3, [1, 2, 3]));
    const load = holdPicks((c) => s.pick(c), 600);
    assert.deepEqual([load.get('b1'), load.get('b2'), load.get('b3')], [100, 200, 300]);
  });
});
