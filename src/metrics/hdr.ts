/**
 * Thin helpers around hdr-histogram-js. Every latency histogram in wsherd has the same shape (µs, 1 µs to 1 h,
 * 3 significant digits) so that any two of them merge exactly, and the pure-JS implementation is used (no
 * WebAssembly: nothing to initialise in workers, and encodings are identical either way).
 */
import { build, decodeFromCompressedBase64, encodeIntoCompressedBase64, type Histogram } from 'hdr-histogram-js';
import type { LatencyStats } from '../results/derived.js';

export type { Histogram };

/** Lowest discernible value, µs. */
export const HDR_LOWEST = 1;
/** Highest trackable value, µs (one hour): anything slower is clamped to it rather than resizing. */
export const HDR_HIGHEST = 3_600_000_000;
export const HDR_DIGITS = 3;

export function newHistogram(): Histogram {
  return build({
    lowestDiscernibleValue: HDR_LOWEST,
    highestTrackableValue: HDR_HIGHEST,
    numberOfSignificantValueDigits: HDR_DIGITS,
    bitBucketSize: 32,
    useWebAssembly: false,
  });
}

/** Clamp a measured duration (µs, maybe fractional or out of range) to what every histogram can hold. */
export function clampMicros(micros: number): number {
  if (!(micros >= HDR_LOWEST)) return HDR_LOWEST; // also catches NaN
  if (micros > HDR_HIGHEST) return HDR_HIGHEST;
  return Math.round(micros);
}

export function encodeHistogram(h: Histogram): string {
  return encodeIntoCompressedBase64(h);
}

export function decodeHistogram(encoded: string): Histogram {
  return decodeFromCompressedBase64(encoded, 32, false);
}

/** Add an encoded histogram into `into` (exact: counts per bucket are summed). */
export function addEncoded(into: Histogram, encoded: string): void {
  into.add(decodeHistogram(encoded));
}

const US_PER_MS = 1000;

/** Value at `percentile` (0–100) in ms, or null when the histogram is empty. */
export function percentileMs(h: Histogram, percentile: number): number | null {
  return h.totalCount === 0 ? null : h.getValueAtPercentile(percentile) / US_PER_MS;
}

/** Summary of a µs histogram in milliseconds; all zeros (count 0) when empty. */
export function latencyStats(h: Histogram): LatencyStats {
  if (h.totalCount === 0) {
    return { count: 0, min: 0, mean: 0, stddev: 0, p50: 0, p90: 0, p95: 0, p99: 0, p999: 0, max: 0 };
  }
  const at = (p: number): number => h.getValueAtPercentile(p) / US_PER_MS;
  return {
    count: h.totalCount,
    min: h.minNonZeroValue / US_PER_MS,
    mean: h.mean / US_PER_MS,
    stddev: h.stdDeviation / US_PER_MS,
    p50: at(50),
    p90: at(90),
    p95: at(95),
    p99: at(99),
    p999: at(99.9),
    max: h.maxValue / US_PER_MS,
  };
}
