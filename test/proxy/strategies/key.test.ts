import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { addressBytes, hashKeyOf, normalizeAddress } from '../../../src/proxy/strategies/key.js';
import { ipHashKey } from '../../../src/proxy/strategies/ip-hash.js';
import { ipv4 } from './helpers.js';

describe('hash keys', () => {
  test('IPv4-mapped IPv6 becomes IPv4; zones are dropped; undefined is empty', () => {
    assert.equal(normalizeAddress('::ffff:10.1.2.3'), '10.1.2.3');
    assert.equal(normalizeAddress('::FFFF:10.1.2.3'), '10.1.2.3');
    assert.equal(normalizeAddress('fe80::1%eth0'), 'fe80::1');
    assert.equal(normalizeAddress('2001:DB8::1'), '2001:db8::1');
    assert.equal(normalizeAddress(undefined), '');
    assert.equal(hashKeyOf('::ffff:10.1.2.3', 5, 'source-ip'), '10.1.2.3');
    assert.equal(hashKeyOf('::1', 5, 'source-ip-port'), '::1|5');
  });

  test('address bytes: IPv4, compressed IPv6, embedded IPv4 tails', () => {
    assert.deepEqual([...(addressBytes('10.1.2.3') ?? [])], [10, 1, 2, 3]);
    const v6 = (s: string): string => Buffer.from(addressBytes(s) ?? []).toString('hex');
    assert.equal(v6('::1'), '00000000000000000000000000000001');
    assert.equal(v6('::'), '00000000000000000000000000000000');
    assert.equal(v6('2001:db8::ff00:42:8329'), '20010db8000000000000ff0000428329');
    assert.equal(v6('2001:db8:0:0:1:0:0:1'), '20010db8000000000001000000000001');
    assert.equal(v6('fe80::'), 'fe800000000000000000000000000000');
    assert.equal(v6('64:ff9b::192.0.2.33'), '0064ff9b0000000000000000c0000221');
    assert.equal(v6('::192.0.2.33'), '000000000000000000000000c0000221');
    assert.equal(addressBytes('not an address'), undefined);
  });

  test('IPv6 parsing agrees with the URL parser on any address', () => {
    const group = fc.nat(0xffff).map((g) => g.toString(16));
    fc.assert(
      fc.property(fc.array(group, { minLength: 8, maxLength: 8 }), (groups) => {
        // WHATWG URL canonicalizes (compresses) IPv6; both spellings must give the same bytes.
        const canonical = new URL(`http://[${groups.join(':')}]/`).hostname.slice(1, -1);
        const expected = groups.map((g) => g.padStart(4, '0')).join('');
        assert.equal(Buffer.from(addressBytes(canonical) ?? []).toString('hex'), expected, canonical);
      }),
    );
  });

  test('ip-hash key: three octets of IPv4 (also when mapped), 16 bytes of IPv6, pseudo 0.0.0 otherwise', () => {
    fc.assert(
      fc.property(ipv4, (a) => {
        assert.deepEqual([...ipHashKey(a)], a.split('.').slice(0, 3).map(Number));
        assert.deepEqual([...ipHashKey(`::ffff:${a}`)], [...ipHashKey(a)]);
      }),
    );
    assert.equal(ipHashKey('2001:db8::1').length, 16);
    assert.deepEqual([...ipHashKey(undefined)], [0, 0, 0]);
    assert.deepEqual([...ipHashKey('/tmp/sock')], [0, 0, 0]);
  });
});
