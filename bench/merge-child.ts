/**
 * The merge bench's timed child (bench/merge.ts forks one per measurement, so its memory is its own): `mergeShards`
 * over the shard files — read, check, merge, analyze, write results.json and the HTML report — then its own peak RSS
 * (VmHWM). Prints one JSON line: {mergeMs, cpuMs, hwmBytes, established, rttCount, seconds, status}.
 *
 *   node dist/bench/merge-child.js '{"inputs": [...], "outDir": "...", "path": "sparse" | "library"}'
 *
 * path "library": the per-second histograms are merged by the library's decode + add, one part at a time (what
 * src/metrics/aggregate.ts did before src/metrics/hdr-sparse.ts), the peer the bench sets the fast path against. The
 * switch lives here, in the bench's own process, not in src/: CountsAccumulator's methods are replaced on its
 * prototype, so every caller of mergeEncoded and percentilesOfEncoded (the series' percentiles) takes it.
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { mergeShards } from '../src/merge/merge.js';
import { CountsAccumulator } from '../src/metrics/hdr-sparse.js';
import { addEncoded, newHistogram, type Histogram } from '../src/metrics/hdr.js';

interface ChildArgs {
  inputs: string[];
  outDir: string;
  path: 'sparse' | 'library';
}

/** Peak resident set size of this process, bytes (VmHWM in /proc/self/status). */
function peakRssBytes(pid: number | 'self' = 'self'): number {
  const m = /^VmHWM:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m === null ? NaN : Number(m[1]) * 1024;
}

/** The library's path: each part decoded into a whole histogram and added, as before hdr-sparse. */
function useLibraryPath(): void {
  type Parts = { benchParts?: string[] };
  const proto = CountsAccumulator.prototype as unknown as {
    add(this: Parts, e: string): void; histogram(this: Parts): Histogram; reset(this: Parts): void;
    valuesAt(this: Parts, ps: readonly number[]): (number | null)[];
  };
  proto.add = function add(this: Parts, encoded: string): void {
    (this.benchParts ??= []).push(encoded);
  };
  proto.histogram = function histogram(this: Parts): Histogram {
    const h = newHistogram();
    for (const e of this.benchParts ?? []) addEncoded(h, e);
    return h;
  };
  proto.reset = function reset(this: Parts): void {
    this.benchParts = [];
  };
  proto.valuesAt = function valuesAt(this: Parts, ps: readonly number[]): (number | null)[] {
    const h = proto.histogram.call(this);
    return ps.map((p) => (h.totalCount === 0 ? null : h.getValueAtPercentile(p)));
  };
}

const args = JSON.parse(process.argv[2] ?? '{}') as ChildArgs;
if (args.path === 'library') useLibraryPath();
const t0 = performance.now();
const cpu0 = process.cpuUsage();
const { results } = await mergeShards({ inputs: args.inputs, outDir: args.outDir });
const mergeMs = performance.now() - t0;
const cpu = process.cpuUsage(cpu0);
process.stdout.write(`${JSON.stringify({
  mergeMs, cpuMs: (cpu.user + cpu.system) / 1000, hwmBytes: peakRssBytes(), established: results.summary.counters.established,
  rttCount: results.summary.latency.rtt.count, seconds: results.series.length, status: results.status,
})}\n`);
