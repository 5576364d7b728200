/** Properties every strategy shares: who may be picked, and (for hash strategies) the same answer everywhere. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { STRATEGY_NAMES, createStrategy } from '../../../src/proxy/strategies/index.js';
import { compareIds, sortById } from '../../../src/proxy/strategies/common.js';
import { backends, ctx, ipv4 } from './helpers.js';

const HASHES = ['source-ip-hash', 'ip-hash', 'source-ip-port-hash', 'consistent-hash', 'maglev', 'rendezvous'];
const options = (name: string) =>
  name === 'random' || name === 'power-of-two-choices' ? { seed: 7 } : name === 'maglev' ? { tableSize: 1009 } : name === 'consistent-hash' ? { balanceFactor: 125 } : {};

const scenario = fc.record({
  n: fc.integer({ min: 0, max: 10 }),
  healthy: fc.array(fc.boolean(), { minLength: 10, maxLength: 10 }),
  excluded: fc.array(fc.boolean(), { minLength: 10, maxLength: 10 }),
  drained: fc.array(fc.nat(9).map((x) => x === 0), { minLength: 10, maxLength: 10 }),
  load: fc.array(fc.nat(20), { minLength: 10, maxLength: 10 }),
  clients: fc.array(fc.tuple(ipv4, fc.integer({ min: 1, max: 65535 })), { minLength: 1, maxLength: 20 }),
});

describe('every strategy', () => {
  for (const name of STRATEGY_NAMES) {
    test(`${name}: never picks an unhealthy, excluded or weight-0 backend; undefined exactly when none is left`, () => {
      fc.assert(
        fc.property(scenario, ({ n, healthy, excluded, drained, load, clients }) => {
          const list = backends(n).map((b, i) => ({ ...b, healthy: healthy[i] ?? true, weight: drained[i] ? 0 : 1 + (i % 3) }));
          const exclude = list.filter((_, i) => excluded[i]).map((b) => b.id);
          const loads = new Map(list.map((b, i) => [b.id, load[i] ?? 0]));
          const s = createStrategy(name, options(name));
          s.setBackends(list);
          const anyLeft = list.some((b) => b.healthy && b.weight > 0 && !exclude.includes(b.id));
          for (const [address, port] of clients) {
            const b = s.pick(ctx(address, { port, load: loads, exclude }));
            if (!anyLeft) assert.equal(b, undefined);
            else {
              assert.ok(b, 'a backend while one is eligible');
              assert.ok(b.healthy && b.weight > 0 && !exclude.includes(b.id), `picked ${b.id}`);
            }
          }
        }),
        { numRuns: 60 },
      );
    });
  }

  test('health flipped in place (as the proxy does) is honoured without setBackends', () => {
    for (const name of STRATEGY_NAMES) {
      const list = backends(3);
      const s = createStrategy(name, options(name));
      s.setBackends(list);
      for (const b of list) b.healthy = false;
      assert.equal(s.pick(ctx('10.0.0.1')), undefined, name);
      (list[1] as { healthy: boolean }).healthy = true;
      for (let i = 0; i < 20; i++) assert.equal(s.pick(ctx(`10.0.${i}.1`))?.id, 'b2', name);
    }
  });
});

describe('hash strategies agree across instances and listing orders', () => {
  for (const name of HASHES) {
    test(`${name}: two instances (two proxy workers) and a shuffled backend list give the same picks`, () => {
      fc.assert(
        fc.property(fc.integer({ min: 1, max: 12 }), fc.array(fc.tuple(ipv4, fc.integer({ min: 1, max: 65535 })), { minLength: 1, maxLength: 30 }), fc.nat(), (n, clients, shuffleSeed) => {
          const list = backends(n, Array.from({ length: n }, (_, i) => 1 + (i % 2)));
          const shuffled = [...list].sort((a, b) => ((a.port * 7919 + shuffleSeed) % 101) - ((b.port * 7919 + shuffleSeed) % 101));
          const one = createStrategy(name, options(name));
          const two = createStrategy(name, options(name));
          one.setBackends(list);
          two.setBackends(shuffled);
          for (const [address, port] of clients) {
            assert.equal(one.pick(ctx(address, { port }))?.id, two.pick(ctx(address, { port }))?.id);
          }
        }),
        { numRuns: 40 },
      );
    });
  }

  test('ip and port strategies: the same client address and port always lands on the same backend', () => {
    for (const name of HASHES) {
      const s = createStrategy(name, options(name));
      s.setBackends(backends(5));
      const first = s.pick(ctx('192.0.2.7', { port: 5000 }))?.id;
      for (let i = 0; i < 5; i++) assert.equal(s.pick(ctx('192.0.2.7', { port: 5000 }))?.id, first, name);
    }
  });
});

describe('id order', () => {
  test('natural: b2 before b10; digits compare by value; plain strings lexically', () => {
    assert.deepEqual(sortById(backends(12)).map((b) => b.id), backends(12).map((b) => b.id));
    assert.ok(compareIds('b2', 'b10') < 0);
    assert.ok(compareIds('b02', 'b2') !== 0);
    assert.ok(compareIds('a', 'b') < 0 && compareIds('b', 'a') > 0 && compareIds('x', 'x') === 0);
    assert.ok(compareIds('web1', 'web1a') < 0);
  });
});
