import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { addressAt, assignPopulation, groupCounts, intToIpv4, ipv4ToInt } from '../../src/load/population.js';
import { parseScenario } from '../../src/scenario/load.js';
import type { PopulationSpec } from '../../src/scenario/types.js';

const spec = (yaml: string): PopulationSpec => {
  const s = parseScenario(`name: p\nclients: 10\nlab: {backends: {count: 1}}\npopulation: ${yaml}\n`, 'p.yaml');
  assert.ok(s.population);
  return s.population;
};

describe('population assignment', () => {
  test('addresses convert both ways', () => {
    assert.equal(ipv4ToInt('127.16.0.1'), 0x7f100001);
    assert.equal(intToIpv4(0x7f100001), '127.16.0.1');
    assert.equal(intToIpv4(ipv4ToInt('255.255.255.255')), '255.255.255.255');
  });

  test('group counts are exact: floors, then the largest remainders', () => {
    assert.deepEqual(groupCounts([0.4, 0.6], 2000), [800, 1200]);
    assert.deepEqual(groupCounts([1 / 3, 1 / 3, 1 / 3], 10), [4, 3, 3]);
    assert.equal(groupCounts([0.1, 0.2, 0.7], 7).reduce((a, b) => a + b), 7);
  });

  test('40% behind one address: exact shares, interleaved from the first slots on, stable per slot', () => {
    const p = spec('[{name: nat, share: 0.4, addresses: 1}, {share: 0.6, addresses: 500}]');
    const a = assignPopulation(p, 2000);
    const nat = [...a.group].filter((g) => g === 0).length;
    assert.equal(nat, 800);
    // Every 10 consecutive slots hold 4 of the NAT group: a ramp brings both groups in at their share.
    for (let s = 0; s + 10 <= 2000; s += 10) assert.equal([...a.group.slice(s, s + 10)].filter((g) => g === 0).length, 4, `slots ${s}..${s + 9}`);
    assert.equal(new Set(a.address.filter((_, s) => a.group[s] === 0)).size, 1);
    assert.equal(new Set(a.address.filter((_, s) => a.group[s] === 1)).size, 500, 'uniform: 1,200 clients use all 500 addresses');
    assert.deepEqual(assignPopulation(p, 2000).address, a.address, 'the same scenario gives the same addresses');
  });

  test('automatic addresses: one per /24, groups one after another', () => {
    const p = spec('[{share: 0.5, addresses: 3}, {share: 0.5, addresses: 2}]');
    const g1 = p.groups[0]?.addresses;
    const g2 = p.groups[1]?.addresses;
    assert.ok(g1 && g2);
    assert.deepEqual([0, 1, 2].map((i) => addressAt(g1, i)), ['127.16.0.1', '127.16.1.1', '127.16.2.1']);
    assert.deepEqual([0, 1].map((i) => addressAt(g2, i)), ['127.16.3.1', '127.16.4.1']);
  });

  test('a cidr block alone is every host of it (one /24 looks like one client to ip_hash); with a count, spread', () => {
    const all = spec('{cidr: 127.30.0.0/24}').groups[0]?.addresses;
    assert.ok(all && 'count' in all);
    assert.equal(all.count, 254);
    assert.equal(addressAt(all, 0), '127.30.0.1');
    assert.equal(addressAt(all, 253), '127.30.0.254');
    const spread = spec('{cidr: 127.40.0.0/16, addresses: 256}').groups[0]?.addresses;
    assert.ok(spread);
    assert.deepEqual([0, 1, 255].map((i) => addressAt(spread, i)), ['127.40.0.1', '127.40.1.1', '127.40.255.1']);
  });

  test('zipf: the first address carries the most clients, the tail few', () => {
    const a = assignPopulation(spec('{addresses: 100, distribution: zipf, zipf_s: 1.2}'), 10_000);
    const counts = new Map<string, number>();
    for (const x of a.address) counts.set(x, (counts.get(x) ?? 0) + 1);
    const top = counts.get('127.16.0.1') ?? 0;
    // P(rank 1) = 1 / H(100, 1.2) ≈ 1 / 3.6 ≈ 0.28 of the clients.
    assert.ok(top > 2500 && top < 3100, `rank 1 got ${top}`);
    assert.ok((counts.get('127.16.99.1') ?? 0) < 100);
  });
});
