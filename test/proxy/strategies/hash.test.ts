import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { encodeKey, fmix32, hashString, murmur3 } from '../../../src/proxy/strategies/hash.js';

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('murmur3 x86_32', () => {
  test('matches the published test vectors', () => {
    // The widely used vectors for MurmurHash3_x86_32 (SMHasher's reference implementation).
    const vectors: [Uint8Array, number, number][] = [
      [bytes(''), 0, 0],
      [bytes(''), 1, 0x514e28b7],
      [bytes(''), 0xffffffff, 0x81f16f39],
      [new Uint8Array(4), 0, 0x2362f9de],
      [bytes('aaaa'), 0x9747b28c, 0x5a97808a],
      [bytes('Hello, world!'), 0x9747b28c, 0x24884cba],
      [bytes('The quick brown fox jumps over the lazy dog'), 0x9747b28c, 0x2fa826cd],
      [bytes('test'), 0, 0xba6bd213],
    ];
    for (const [input, seed, expected] of vectors) assert.equal(murmur3(input, seed), expected, `${Buffer.from(input).toString()} seed ${seed}`);
  });

  test('every tail length (0..3 extra bytes) is hashed; a length argument limits the input', () => {
    const input = bytes('abcdefg');
    const seen = new Set<number>();
    for (let len = 0; len <= input.length; len++) {
      seen.add(murmur3(input, 0, len));
      assert.equal(murmur3(input, 0, len), murmur3(input.subarray(0, len), 0));
    }
    assert.equal(seen.size, input.length + 1);
  });

  test('hashString is murmur3 of the UTF-8 bytes, for any string', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 200 }), fc.nat(), (s, seed) => {
        assert.equal(hashString(s, seed), murmur3(bytes(s), seed));
      }),
    );
    const long = 'x'.repeat(5000);
    assert.equal(hashString(long), murmur3(bytes(long)));
    assert.equal(encodeKey('é').length, 2);
  });

  test('fmix32 is unsigned and injective on a sample', () => {
    const out = new Set<number>();
    for (let i = 0; i < 10_000; i++) {
      const h = fmix32(i);
      assert.ok(h >= 0 && h <= 0xffffffff);
      out.add(h);
    }
    assert.equal(out.size, 10_000);
  });

  test('IPv4 keys spread evenly over the low bits (modulo use)', () => {
    const buckets = new Array<number>(16).fill(0);
    for (let i = 0; i < 16_000; i++) {
      const h = hashString(`10.0.${i >> 8}.${i & 255}`);
      buckets[h % 16] = (buckets[h % 16] ?? 0) + 1;
    }
    // 1000 expected per bucket, sd ≈ 31: ±150 is almost 5 sd.
    for (const count of buckets) assert.ok(Math.abs(count - 1000) < 150, `bucket count ${count}`);
  });

  test('a separate process computes the same hashes (no per-process seed)', () => {
    const keys = ['127.0.0.1', '10.1.2.3|40000', '::1', 'b1-0', 'b7-159'];
    const url = new URL('../../../src/proxy/strategies/hash.js', import.meta.url).href;
    const script = `import(${JSON.stringify(url)}).then((m) => process.stdout.write(JSON.stringify(${JSON.stringify(keys)}.map((k) => m.hashString(k, 7)))))`;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', cwd: fileURLToPath(new URL('.', import.meta.url)) });
    assert.deepEqual(JSON.parse(out), keys.map((k) => hashString(k, 7)));
  });
});
