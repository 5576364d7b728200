import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { IpHash } from '../../../src/proxy/strategies/ip-hash.js';
import { backends, ctx } from './helpers.js';

const octet = fc.nat(255);

describe('ip-hash (nginx ip_hash)', () => {
  test('every address of a /24 goes to one backend', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 12 }), octet, octet, octet, (n, a, b, c) => {
        const s = new IpHash();
        s.setBackends(backends(n));
        const first = s.pick(ctx(`${a}.${b}.${c}.0`))?.id;
        for (let d = 1; d < 256; d++) assert.equal(s.pick(ctx(`${a}.${b}.${c}.${d}`, { port: 1000 + d }))?.id, first);
        assert.equal(s.pick(ctx(`::ffff:${a}.${b}.${c}.77`))?.id, first, 'IPv4-mapped IPv6 is the same client');
      }),
      { numRuns: 50 },
    );
  });

  test('different /24s spread over the backends', () => {
    const s = new IpHash();
    s.setBackends(backends(4));
    const counts = new Map<string, number>();
    for (let i = 0; i < 4096; i++) {
      const id = s.pick(ctx(`10.${i >> 8}.${i & 255}.1`))?.id ?? '';
      counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    assert.equal(counts.size, 4);
    // nginx's hash (mod 6271) is coarse but even enough: each backend gets 25% ± 5%.
    for (const [id, c] of counts) assert.ok(c > 820 && c < 1230, `${id}: ${c}`);
  });

  test('nginx arithmetic: 1.2.3.x over three peers is peer 2; with peer 2 down the rehash gives peer 3', () => {
    // hash = 89 → (89·113+1) mod 6271 = 3787 → 1505 → 751; 751 mod 3 = 1 (b2).
    // Rehash: 751 → 3341 → 1275 → 6116; 6116 mod 3 = 2 (b3).
    const list = backends(3);
    const s = new IpHash();
    s.setBackends(list);
    assert.equal(s.pick(ctx('1.2.3.4'))?.id, 'b2');
    assert.equal(s.pick(ctx('1.2.3.4', { exclude: ['b2'] }))?.id, 'b3');
    (list[1] as { healthy: boolean }).healthy = false;
    assert.equal(s.pick(ctx('1.2.3.200'))?.id, 'b3');
  });

  test('weights: nginx walks hash mod total_weight through the weights', () => {
    // 751 mod (1 + 2) = 1 → the second unit of weight, which belongs to b1 when b1 has weight 2.
    const s = new IpHash();
    s.setBackends(backends(2, [2, 1]));
    assert.equal(s.pick(ctx('1.2.3.4'))?.id, 'b1');
    const counts = new Map<string, number>();
    for (let i = 0; i < 3000; i++) {
      const id = s.pick(ctx(`10.${i >> 8}.${i & 255}.1`))?.id ?? '';
      counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    const share = (counts.get('b1') ?? 0) / 3000;
    assert.ok(share > 0.6 && share < 0.73, `b1 share ${share}`);
  });

  test('IPv6 hashes the whole address; the pseudo address covers unknown ones', () => {
    const s = new IpHash();
    s.setBackends(backends(8));
    const ids = new Set<string>();
    for (let i = 0; i < 64; i++) ids.add(s.pick(ctx(`2001:db8::${i.toString(16)}`))?.id ?? '');
    assert.ok(ids.size > 1, 'addresses differing in the last group spread');
    assert.ok(s.pick(ctx(undefined)));
  });

  test('after 20 rehashes it falls back deterministically to the next eligible backend', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 16 }), fc.nat(15), octet, octet, (n, up, a, b) => {
        const list = backends(n).map((x, i) => ({ ...x, healthy: i === up % n }));
        const one = new IpHash();
        const two = new IpHash();
        one.setBackends(list);
        two.setBackends([...list].reverse());
        const picked = one.pick(ctx(`${a}.${b}.0.1`));
        assert.equal(picked?.id, `b${(up % n) + 1}`);
        assert.equal(two.pick(ctx(`${a}.${b}.0.1`))?.id, picked?.id);
      }),
      { numRuns: 100 },
    );
  });
});
