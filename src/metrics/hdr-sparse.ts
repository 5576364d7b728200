/**
 * Merging many encoded HDR histograms fast: the per-second percentiles of a run merged from many sources (64 shards ×
 * 600 s is 77k parts). The library's decode builds a whole histogram per part (a 90 kB counts array) and its `add`
 * walks every bucket: ~260 µs a part, 20 s for such a merge. Here each part's counts are read straight off its V2
 * encoding (zlib, then ZigZag LEB128 words, a negative word a run of empty buckets) into one accumulator, and one
 * histogram is built from the sum. Exact: the same bucket counts as the library's decode + add (checked against the
 * library in test/metrics/hdr-sparse.test.ts). An encoding of another shape than wsherd's falls back to the library.
 */
import { inflateSync } from 'node:zlib';
import type { JsHistogram } from 'hdr-histogram-js';
import { HDR_DIGITS, HDR_HIGHEST, HDR_LOWEST, addEncoded, newHistogram, type Histogram } from './hdr.js';

const COMPRESSED_COOKIE_BASE = 0x1c849304;
const ENCODING_COOKIE_BASE = 0x1c849303;
/** cookie, payload length, normalizing offset, digits (4 bytes each), lowest, highest, ratio (8 bytes each). */
const HEADER_BYTES = 40;

/** One histogram of wsherd's shape for its bucket arithmetic (index → value), shared: it is never recorded into. */
let shape: JsHistogram | undefined;
const template = (): JsHistogram => (shape ??= newHistogram() as unknown as JsHistogram);

/**
 * Sums the bucket counts of encoded histograms of wsherd's one shape (src/metrics/hdr.ts). Reusable: `reset()` clears
 * only the buckets used, so one accumulator serves every second of a merge without a 190 kB array each.
 */
export class CountsAccumulator {
  private readonly counts = new Float64Array(template().countsArrayLength);
  /** Highest bucket index with a count, +1. */
  private end = 0;
  /** Parts of another shape, merged by the library. */
  private readonly others: string[] = [];

  add(encoded: string): void {
    if (!this.addSparse(encoded)) this.others.push(encoded);
  }

  reset(): void {
    this.counts.fill(0, 0, this.end);
    this.end = 0;
    this.others.length = 0;
  }

  /**
   * The values (µs) at these percentiles of the merged histogram, null when it is empty: the library's
   * getValueAtPercentile on the sum, computed from the counts without building it.
   */
  valuesAt(percentiles: readonly number[]): (number | null)[] {
    if (this.others.length > 0) {
      const h = this.histogram();
      return percentiles.map((p) => (h.totalCount === 0 ? null : h.getValueAtPercentile(p)));
    }
    const counts = this.counts;
    let total = 0;
    for (let i = 0; i < this.end; i++) total += counts[i] as number;
    if (total === 0) return percentiles.map(() => null);
    const t = template();
    return percentiles.map((p) => {
      // The library's rounding (JsHistogram.getValueAtPercentile): up, less one ulp of float error, at least 1.
      const fp = (Math.min(p, 100) / 100) * total;
      const wanted = Math.max(Math.ceil(fp - (fp > 0 ? 2 ** (Math.floor(Math.log2(fp)) - 52) : 0)), 1);
      let sum = 0;
      for (let i = 0; i < this.end; i++) {
        sum += counts[i] as number;
        if (sum >= wanted) {
          const v = t.valueFromIndex(i);
          return p === 0 ? t.lowestEquivalentValue(v) : t.highestEquivalentValue(v);
        }
      }
      return null;
    });
  }

  /** The merged histogram (a new one each call). */
  histogram(): Histogram {
    const h = newHistogram() as unknown as JsHistogram;
    const counts = this.counts;
    let last = -1;
    for (let i = 0; i < this.end; i++) if ((counts[i] as number) > 0) last = i;
    for (let i = 0; i <= last; i++) {
      const c = counts[i] as number;
      if (c === 0) continue;
      // The top bucket at its highest value, as the library's decode sets the maximum; any value of a bucket counts
      // into that bucket alone.
      const v = h.valueFromIndex(i);
      h.recordValueWithCount(i === last ? h.highestEquivalentValue(v) : v, c);
    }
    const out = h as unknown as Histogram;
    for (const e of this.others) addEncoded(out, e);
    return out;
  }

  private addSparse(encoded: string): boolean {
    const outer = Buffer.from(encoded, 'base64');
    if (outer.length < 8 || (outer.readInt32BE(0) & ~0xf0) !== COMPRESSED_COOKIE_BASE) return false;
    const inner = inflateSync(outer.subarray(8, 8 + outer.readInt32BE(4)));
    if (inner.length < HEADER_BYTES || (inner.readInt32BE(0) & ~0xf0) !== ENCODING_COOKIE_BASE) return false;
    // Bucket indexes mean the same only between histograms of the same shape.
    if (inner.readInt32BE(12) !== HDR_DIGITS || Number(inner.readBigInt64BE(16)) !== HDR_LOWEST || Number(inner.readBigInt64BE(24)) !== HDR_HIGHEST) return false;
    const payloadEnd = Math.min(inner.length, HEADER_BYTES + inner.readInt32BE(4));
    const counts = this.counts;
    let index = 0;
    let pos = HEADER_BYTES;
    while (pos < payloadEnd) {
      // ZigZag LEB128, at most 9 bytes (the ninth carries 8 bits); counts stay far below 2^53.
      let value = 0;
      let scale = 1;
      let b = 0;
      for (let k = 0; k < 9; k++) {
        b = inner[pos++] as number;
        if (k === 8) {
          value += b * scale;
          break;
        }
        value += (b & 0x7f) * scale;
        scale *= 128;
        if (b < 0x80) break;
      }
      const word = value % 2 === 0 ? value / 2 : -(value + 1) / 2;
      if (word < 0) index -= word;
      else {
        if (index >= counts.length) return false;
        counts[index] = (counts[index] as number) + word;
        index++;
      }
    }
    if (index > this.end) this.end = Math.min(index, counts.length);
    return true;
  }
}

/** One accumulator for the per-second merges of a process: they run one at a time (synchronously). */
let scratch: CountsAccumulator | undefined;

/** The values (µs) at `percentiles` of the merge of `parts` (null when empty), with one reused accumulator. */
export function percentilesOfEncoded(parts: readonly string[], percentiles: readonly number[]): (number | null)[] {
  const acc = (scratch ??= new CountsAccumulator());
  acc.reset();
  for (const p of parts) acc.add(p);
  return acc.valuesAt(percentiles);
}

/** The exact merge of encoded histograms (empty list: an empty histogram). */
export function mergeEncoded(parts: readonly string[]): Histogram {
  const acc = new CountsAccumulator();
  for (const p of parts) acc.add(p);
  return acc.histogram();
}
