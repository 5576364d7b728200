/** The fast merge of encoded histograms against the library's own decode + add: the same histogram, figure by figure. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addEncoded, encodeHistogram, latencyStats, newHistogram } from '../../src/metrics/hdr.js';
import { mergeEncoded, percentilesOfEncoded } from '../../src/metrics/hdr-sparse.js';
import { build, encodeIntoCompressedBase64 } from 'hdr-histogram-js';

function rng(seed: number): () => number {
  let x = seed;
  return () => {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    return x / 2 ** 31;
  };
}

test('mergeEncoded equals the library\'s decode and add over many shapes of data', () => {
  const r = rng(7);
  for (let round = 0; round < 40; round++) {
    const parts: string[] = [];
    const lib = newHistogram();
    const n = 1 + Math.floor(r() * 20);
    for (let p = 0; p < n; p++) {
      const h = newHistogram();
      const spread = 10 ** (1 + Math.floor(r() * 9));
      const count = Math.floor(r() * 3000);
      // Single samples, repeated values (large counts in one bucket), the 1 h clamp at the top of the range.
      for (let i = 0; i < count; i++) h.recordValue(Math.min(3_600_000_000, 1 + Math.floor(r() ** 4 * spread)));
      if (r() < 0.3) h.recordValueWithCount(1 + Math.floor(r() * 1000), 1 + Math.floor(r() * 1e6));
      const enc = encodeHistogram(h);
      parts.push(enc);
      addEncoded(lib, enc);
    }
    const fast = mergeEncoded(parts);
    assert.deepEqual(latencyStats(fast), latencyStats(lib), `round ${round}`);
    assert.equal(encodeHistogram(fast), encodeHistogram(lib), `round ${round}`);
  }
});

test('an encoding of another shape falls back to the library and still merges', () => {
  const other = build({ lowestDiscernibleValue: 1, highestTrackableValue: 10_000, numberOfSignificantValueDigits: 2, useWebAssembly: false });
  for (let v = 1; v < 5000; v += 7) other.recordValue(v);
  const own = newHistogram();
  own.recordValue(123);
  const merged = mergeEncoded([encodeIntoCompressedBase64(other), encodeHistogram(own)]);
  assert.equal(merged.totalCount, other.totalCount + 1);
});

test('an empty list is an empty histogram', () => {
  assert.equal(mergeEncoded([]).totalCount, 0);
});

test('percentilesOfEncoded gives the library\'s getValueAtPercentile on the merge, at every percentile, reused second after second', () => {
  const r = rng(11);
  const ps = [0, 0.1, 1, 10, 25, 50, 75, 90, 95, 99, 99.9, 99.99, 100];
  for (let round = 0; round < 60; round++) {
    const parts: string[] = [];
    const lib = newHistogram();
    for (let p = 0, n = 1 + Math.floor(r() * 8); p < n; p++) {
      const h = newHistogram();
      const spread = 10 ** (1 + Math.floor(r() * 8));
      for (let i = 0, count = Math.floor(r() * 500); i < count; i++) h.recordValue(1 + Math.floor(r() ** 3 * spread));
      const enc = encodeHistogram(h);
      parts.push(enc);
      addEncoded(lib, enc);
    }
    const expected = ps.map((p) => (lib.totalCount === 0 ? null : lib.getValueAtPercentile(p)));
    assert.deepEqual(percentilesOfEncoded(parts, ps), expected, `round ${round}`);
  }
});
