/**
 * Scale-out and failure remapping, the property that separates the hash strategies (DESIGN "Facts": modulo hashing
 * remaps N/(N+1) of keys on scale-out, consistent/rendezvous/Maglev about 1/(N+1)).
 *
 * Tolerances, for K = 10,000 random IPv4 keys:
 * - sampling alone: a share p measured on K keys has sd sqrt(p(1-p)/K) <= 0.005, so ±0.02 is 4 sd;
 * - consistent-hash: the newcomer's ring share itself varies, by about 1/sqrt(points) of its fair share (160
 *   points: 8%); 3 sd of that, 0.24/(N+1), is added to the sampling allowance;
 * - Maglev: the newcomer gets its exact share of slots, but the refill also moves a few slots between old
 *   backends (the paper's "small disruption"; about 0.3% of keys at M = 65537 for these N), allowed 1%.
 * Keys come from fast-check; backends are b1..bN, so the ring and the table are fixed for each N.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { createStrategy } from '../../../src/proxy/strategies/index.js';
import type { Strategy } from '../../../src/proxy/strategies/types.js';
import { backends, ctx, ipv4 } from './helpers.js';

const KEYS = 10_000;
const SAMPLING = 0.02;
const keys = fc.array(ipv4, { minLength: KEYS, maxLength: KEYS });

interface Moves {
  moved: number;
  /** Moved keys that went somewhere other than the added backend. */
  elsewhere: number;
}

function scaleOut(name: string, n: number, addresses: readonly string[]): Moves {
  const before = createStrategy(name);
  const after = createStrategy(name);
  before.setBackends(backends(n));
  after.setBackends(backends(n + 1));
  const added = `b${n + 1}`;
  let moved = 0;
  let elsewhere = 0;
  for (const a of addresses) {
    const x = before.pick(ctx(a))?.id;
    const y = after.pick(ctx(a))?.id;
    if (x === y) continue;
    moved++;
    if (y !== added) elsewhere++;
  }
  return { moved: moved / addresses.length, elsewhere: elsewhere / addresses.length };
}

const cases: [name: string, tolerance: (n: number) => number, elsewhere: number][] = [
  ['consistent-hash', (n) => SAMPLING + 0.24 / (n + 1), 0],
  ['rendezvous', () => SAMPLING, 0],
  ['maglev', () => SAMPLING + 0.01, 0.01],
];

describe('adding a backend', () => {
  for (const [name, tolerance, elsewhere] of cases) {
    test(`${name} moves about 1/(N+1) of the keys, all of them to the new backend`, () => {
      fc.assert(
        fc.property(fc.integer({ min: 3, max: 10 }), keys, (n, addresses) => {
          const m = scaleOut(name, n, addresses);
          const ideal = 1 / (n + 1);
          assert.ok(Math.abs(m.moved - ideal) <= tolerance(n), `N=${n}: moved ${m.moved.toFixed(4)}, ideal ${ideal.toFixed(4)} ± ${tolerance(n).toFixed(4)}`);
          assert.ok(m.elsewhere <= elsewhere, `N=${n}: ${m.elsewhere} of the keys moved between old backends`);
        }),
        { numRuns: 8 },
      );
    });
  }

  for (const name of ['source-ip-hash', 'source-ip-port-hash']) {
    test(`${name} (modulo) moves about N/(N+1) of the keys`, () => {
      fc.assert(
        fc.property(fc.integer({ min: 3, max: 10 }), keys, (n, addresses) => {
          const m = scaleOut(name, n, addresses);
          const expected = n / (n + 1);
          assert.ok(Math.abs(m.moved - expected) <= SAMPLING, `N=${n}: moved ${m.moved.toFixed(4)}, expected ${expected.toFixed(4)}`);
        }),
        { numRuns: 8 },
      );
    });
  }
});

function downMoves(s: Strategy, n: number, addresses: readonly string[]): { ownMoved: number; othersMoved: number; own: number } {
  const list = backends(n);
  s.setBackends(list);
  const before = addresses.map((a) => s.pick(ctx(a))?.id);
  const down = list[n - 1];
  assert.ok(down);
  down.healthy = false;
  let ownMoved = 0;
  let othersMoved = 0;
  let own = 0;
  addresses.forEach((a, i) => {
    const now = s.pick(ctx(a))?.id;
    if (before[i] === down.id) {
      own++;
      if (now !== down.id) ownMoved++;
    } else if (now !== before[i]) othersMoved++;
  });
  return { ownMoved, othersMoved, own };
}

describe('a backend going down', () => {
  for (const name of ['consistent-hash', 'rendezvous', 'maglev']) {
    test(`${name} moves only the down backend's keys, and all of them`, () => {
      fc.assert(
        fc.property(fc.integer({ min: 2, max: 10 }), fc.array(ipv4, { minLength: 2000, maxLength: 2000 }), (n, addresses) => {
          const m = downMoves(createStrategy(name), n, addresses);
          assert.equal(m.othersMoved, 0);
          assert.equal(m.ownMoved, m.own);
        }),
        { numRuns: 10 },
      );
    });
  }

  test('source-ip-hash (modulo over the healthy list) moves most of the others too', () => {
    const m = downMoves(createStrategy('source-ip-hash'), 5, Array.from({ length: 5000 }, (_, i) => `10.${i >> 8}.${i & 255}.1`));
    // Keys stay only where h mod 5 == h mod 4 (1/5 of them): ~4/5 × 4000 others move.
    assert.ok(m.othersMoved > 2800, `${m.othersMoved} others moved`);
  });

  test('a recovered backend gets its keys back (no state left behind)', () => {
    for (const name of ['consistent-hash', 'rendezvous', 'maglev', 'ip-hash', 'source-ip-hash']) {
      const list = backends(4);
      const s = createStrategy(name);
      s.setBackends(list);
      const addresses = Array.from({ length: 500 }, (_, i) => `172.16.${i}.9`);
      const before = addresses.map((a) => s.pick(ctx(a))?.id);
      (list[2] as { healthy: boolean }).healthy = false;
      for (const a of addresses) s.pick(ctx(a));
      (list[2] as { healthy: boolean }).healthy = true;
      assert.deepEqual(addresses.map((a) => s.pick(ctx(a))?.id), before, name);
    }
  });
});
