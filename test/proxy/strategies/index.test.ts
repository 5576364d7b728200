import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { WsherdError } from '../../../src/errors.js';
import { ALL_STRATEGY_NAMES, STRATEGIES, STRATEGY_NAMES, createStrategy, describeStrategies, isSticky, strategyInfo } from '../../../src/proxy/strategies/index.js';
import { isPrime, nextPrime } from '../../../src/proxy/strategies/options.js';

const invalid = (fn: () => unknown, message: RegExp): void => {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof WsherdError);
    assert.equal(err.code, 'WSH_ERR_INVALID_INPUT');
    assert.match(err.message, message);
    return true;
  });
};

describe('strategy registry', () => {
  test('every available name builds a strategy whose name and layers match its metadata', () => {
    assert.deepEqual([...STRATEGY_NAMES], [
      'round-robin',
      'weighted-round-robin',
      'least-connections',
      'random',
      'power-of-two-choices',
      'source-ip-hash',
      'ip-hash',
      'source-ip-port-hash',
      'consistent-hash',
      'maglev',
      'rendezvous',
      'cookie',
      'stick-table',
      'engineio-sid',
    ]);
    for (const name of STRATEGY_NAMES.filter((n) => strategyInfo(n)?.layers.includes('l4'))) {
      const s = createStrategy(name);
      assert.equal(s.name, name);
      assert.deepEqual([...s.layers], [...(strategyInfo(name)?.layers ?? [])]);
      assert.ok(s.layers.includes('l4'), `${name} works at L4`);
    }
  });

  test('the L7-only names build sticky strategies that place clients by their fallback', () => {
    for (const name of ['cookie', 'stick-table', 'engineio-sid']) {
      assert.ok(STRATEGY_NAMES.includes(name));
      assert.deepEqual(strategyInfo(name)?.layers, ['l7']);
      const s = createStrategy(name);
      assert.ok(isSticky(s), `${name} is sticky`);
      assert.deepEqual([...s.layers], ['l7']);
    }
    invalid(() => createStrategy('cookie', { fallback: 'stick-table' }), /fallback must be a strategy that places clients by itself, got "stick-table"/);
    invalid(() => createStrategy('cookie', { cookieName: 'bad name' }), /cookieName must be an HTTP token/);
    invalid(() => createStrategy('cookie', { cookieSecret: 'short' }), /cookieSecret must be a string of at least 16 characters/);
    invalid(() => createStrategy('stick-table', { expireSeconds: 0 }), /expireSeconds must be an integer from 1/);
    invalid(() => createStrategy('engineio-sid', { cookieName: 'X' }), /option cookieName does not apply \(it takes: fallback, expireSeconds\)/);
    assert.equal(createStrategy('stick-table', { fallback: 'least-connections', expireSeconds: 60 }).name, 'stick-table');
  });

  test('an unknown name lists the valid ones; inherited object keys are not names', () => {
    invalid(() => createStrategy('leastconn'), /^Unknown strategy "leastconn"\. Valid strategies: round-robin, weighted-round-robin, .*engineio-sid\.$/);
    invalid(() => createStrategy('toString'), /Unknown strategy "toString"/);
    assert.equal(strategyInfo('constructor'), undefined);
  });

  test('options: only the ones a strategy lists, in range', () => {
    invalid(() => createStrategy('round-robin', { seed: 1 }), /option seed does not apply \(it takes no options\)/);
    invalid(() => createStrategy('maglev', { pointsPerBackend: 10 }), /option pointsPerBackend does not apply \(it takes: hashKey, tableSize\)/);
    invalid(() => createStrategy('consistent-hash', { pointsPerBackend: 0 }), /pointsPerBackend must be an integer from 1 to 10000, got 0/);
    invalid(() => createStrategy('consistent-hash', { balanceFactor: 99 }), /balanceFactor must be 0 \(off\) or an integer >= 100, got 99/);
    invalid(() => createStrategy('consistent-hash', { balanceFactor: 125.5 }), /balanceFactor/);
    invalid(() => createStrategy('maglev', { tableSize: 65536 }), /tableSize must be a prime, got 65536/);
    invalid(() => createStrategy('maglev', { tableSize: 10_000_019 }), /tableSize must be an integer from 2 to 10000000/);
    invalid(() => createStrategy('random', { seed: 1.5 }), /seed must be an integer/);
    invalid(() => createStrategy('rendezvous', { hashKey: 'cookie' as never }), /hashKey must be source-ip, source-ip-port, uri, path, query:NAME or header:NAME, got "cookie"/);
    assert.equal(createStrategy('consistent-hash', { pointsPerBackend: 40, balanceFactor: 0, hashKey: 'source-ip-port' }).name, 'consistent-hash');
    assert.equal(createStrategy('round-robin', { seed: undefined }).name, 'round-robin');
  });

  test('metadata: every name described, one --help line each', () => {
    const lines = describeStrategies();
    assert.equal(lines.length, ALL_STRATEGY_NAMES.length);
    for (const [i, name] of ALL_STRATEGY_NAMES.entries()) {
      const info = strategyInfo(name);
      assert.ok(info && info.description.length > 10 && !info.description.includes('\n'));
      assert.ok(lines[i]?.startsWith(name));
    }
    assert.equal(Object.keys(STRATEGIES).length, ALL_STRATEGY_NAMES.length);
  });

  test('primes', () => {
    assert.deepEqual([2, 3, 5, 7, 65537].map(isPrime), [true, true, true, true, true]);
    assert.deepEqual([0, 1, 4, 9, 65535, 1.5].map(isPrime), [false, false, false, false, false, false]);
    assert.equal(nextPrime(1000), 1009);
    assert.equal(nextPrime(65537), 65537);
  });
});
