import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ConsistentHash, boundedLoadCap } from '../../../src/proxy/strategies/consistent-hash.js';
import { backends, ctx, ipv4, ipv4Keys } from './helpers.js';

describe('consistent-hash', () => {
  test('points follow weight: a weight-3 backend owns about three times the keys of a weight-1 one', () => {
    const s = new ConsistentHash();
    s.setBackends(backends(3, [1, 3, 1]));
    const counts = new Map<string, number>();
    for (const a of ipv4Keys(20_000, 1)) {
      const id = s.pick(ctx(a))?.id ?? '';
      counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    const ratio = (counts.get('b2') ?? 0) / (((counts.get('b1') ?? 0) + (counts.get('b3') ?? 0)) / 2);
    // Ring shares vary by ~8% per backend at 160 points per weight unit: 3 ± 0.75 is a wide, stable band.
    assert.ok(ratio > 2.25 && ratio < 3.75, `ratio ${ratio}`);
  });

  test('the hash key: source-ip keeps every port of a client together, source-ip-port spreads them', () => {
    const byIp = new ConsistentHash();
    const byPort = new ConsistentHash({ hashKey: 'source-ip-port' });
    byIp.setBackends(backends(4));
    byPort.setBackends(backends(4));
    const ip = new Set<string>();
    const port = new Set<string>();
    for (let p = 1000; p < 1100; p++) {
      ip.add(byIp.pick(ctx('203.0.113.5', { port: p }))?.id ?? '');
      port.add(byPort.pick(ctx('203.0.113.5', { port: p }))?.id ?? '');
    }
    assert.equal(ip.size, 1);
    assert.equal(port.size, 4);
  });

  test('bounded-load cap: ceil((total + 1) × factor/100 × weight share)', () => {
    assert.equal(boundedLoadCap(0, 125, 1, 4), 1);
    assert.equal(boundedLoadCap(99, 125, 1, 4), 32); // 100 × 1.25 / 4 = 31.25
    assert.equal(boundedLoadCap(99, 100, 1, 4), 25);
    assert.equal(boundedLoadCap(99, 100, 2, 5), 40);
    // A whole-number quotient is not rounded up by floating-point error.
    assert.equal(boundedLoadCap(29, 110, 1, 1), 33);
  });

  test('property: with bounded load no backend ever exceeds its cap, under arrivals and departures', () => {
    const op = fc.oneof(fc.record({ add: ipv4 }), fc.record({ release: fc.nat() }));
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 100, max: 300 }),
        fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 8, maxLength: 8 }),
        fc.array(op, { minLength: 1, maxLength: 400 }),
        (n, factor, weights, ops) => {
          const list = backends(n, weights);
          const totalWeight = list.reduce((a, b) => a + b.weight, 0);
          const s = new ConsistentHash({ balanceFactor: factor, pointsPerBackend: 40 });
          s.setBackends(list);
          const load = new Map<string, number>();
          const held: string[] = [];
          for (const o of ops) {
            if ('release' in o) {
              if (held.length === 0) continue;
              const [id] = held.splice(o.release % held.length, 1);
              if (id !== undefined) load.set(id, (load.get(id) ?? 0) - 1);
              continue;
            }
            const total = held.length;
            const b = s.pick(ctx(o.add, { load }));
            assert.ok(b, 'bounded load always finds room');
            const after = (load.get(b.id) ?? 0) + 1;
            const cap = boundedLoadCap(total, factor, b.weight, totalWeight);
            assert.ok(after <= cap, `${b.id} would hold ${after} > cap ${cap} (total ${total}, factor ${factor})`);
            load.set(b.id, after);
            held.push(b.id);
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  test('a hot key spills over: all clients from one address fill backends in ring order up to the cap', () => {
    const s = new ConsistentHash({ balanceFactor: 150 });
    s.setBackends(backends(4));
    const load = new Map<string, number>();
    for (let i = 0; i < 400; i++) {
      const b = s.pick(ctx('198.51.100.1', { load }));
      assert.ok(b);
      load.set(b.id, (load.get(b.id) ?? 0) + 1);
    }
    // Unbounded, all 400 would sit on one backend; capped at ceil(400 × 1.5 / 4) = 150.
    assert.ok(Math.max(...load.values()) <= 150, JSON.stringify([...load]));
    assert.equal([...load.values()].reduce((a, b) => a + b, 0), 400);
  });

  test('an empty or all-drained backend set picks nothing', () => {
    const s = new ConsistentHash();
    s.setBackends([]);
    assert.equal(s.pick(ctx('10.0.0.1')), undefined);
    s.setBackends(backends(2, [0, 0]));
    assert.equal(s.pick(ctx('10.0.0.1')), undefined);
  });
});
