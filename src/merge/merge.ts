/**
 * `wsherd merge` as a library call: the results of a run's shards → one results.json and report, exact. Each shard's
 * raw metrics (counters, per-second HDR histograms, sessions, flow) are added into one Aggregator — the same one a
 * single host's workers feed — on one clock, and the same `analyze` that `run` calls recomputes every derived figure
 * (skew, sessions, cliffs, diagnosis, thresholds) from the merged data. Percentiles are never averaged.
 *
 * The clock: each shard's second 0 is placed on the barrier's clock where the barrier measured the shard's offset,
 * else on the shard's own; shards are aligned to the earliest by whole seconds. A missing, failed or aborted shard
 * makes the merged run partial (status failed, saying which), and its figures are those of the shards present.
 */
import path from 'node:path';
import { Aggregator } from '../metrics/aggregate.js';
import type { WorkerInfo } from '../metrics/types.js';
import { analyze } from '../analysis/analyze.js';
import type { Results, RunStatus } from '../results/types.js';
import type { MergeInfo, MergedShard } from '../results/shard-types.js';
import { readResults, resolveResultsFile } from '../results/read.js';
import { prepareOutDir } from '../results/write.js';
import { writeRunFiles, type RunFiles } from '../report/run-files.js';
import { checkShards, type ShardFile } from './check.js';

/** Shards whose second 0 lie further apart than this (ms) are warned about: their seconds do not line up. */
export const DEFAULT_TOLERANCE_MS = 1_000;

export interface MergeOptions {
  /** Shard results: results.json files or the folders holding them. */
  inputs: string[];
  outDir: string;
  /** Start spread (and clock spread) above this is warned in the results and the report, ms. */
  toleranceMs?: number;
  now?: () => Date;
}

export interface MergeOutcome {
  results: Results;
  outDir: string;
  files: RunFiles;
}

export async function mergeShards(opts: MergeOptions): Promise<MergeOutcome> {
  const read: Array<{ file: string; results: Results }> = [];
  for (const input of opts.inputs) {
    const file = await resolveResultsFile(input);
    read.push({ file, results: await readResults(file) });
  }
  const shards = checkShards(read);
  const outDir = path.resolve(opts.outDir);
  await prepareOutDir(outDir);
  const results = mergeResults(shards, opts.toleranceMs ?? DEFAULT_TOLERANCE_MS);
  const files = await writeRunFiles(outDir, results);
  return { results, outDir, files };
}

/** The merged results of checked shards (pure: no I/O). */
export function mergeResults(shards: readonly ShardFile[], toleranceMs: number): Results {
  const first = (shards[0] as ShardFile).results;
  // Second 0 of each shard on one clock: the barrier's where it measured the shard's offset.
  const starts = shards.map((s) => s.results.shard.loadStartMs + (s.results.shard.clockOffsetMs ?? 0));
  const earliest = Math.min(...starts);
  const aggregator = new Aggregator();
  const workers: WorkerInfo[] = [];
  const merged: MergedShard[] = shards.map((s, i) => {
    const r = s.results;
    const startOffsetMs = (starts[i] as number) - earliest;
    const shiftSeconds = Math.round(startOffsetMs / 1000);
    aggregator.addRaw(r.raw, shiftSeconds);
    for (const w of r.generator.workers) workers.push(onMergedClock(w, workers.length, shiftSeconds));
    return {
      index: r.shard.index, file: s.file, status: r.status, ...(r.statusReason === undefined ? {} : { statusReason: r.statusReason }),
      host: r.shard.host, startOffsetMs, shiftSeconds,
      ...(r.shard.clockOffsetMs === undefined ? {} : { clockOffsetMs: r.shard.clockOffsetMs }),
      ...(r.shard.clockUncertaintyMs === undefined ? {} : { clockUncertaintyMs: r.shard.clockUncertaintyMs }),
      clients: r.shard.clients, established: r.summary.counters.established, workers: r.generator.workers.length,
    };
  });
  const info = mergeInfo(first.shard.count, first.shard.runId, merged, toleranceMs);
  const { status, statusReason } = mergedStatus(info);
  const shard0 = shards.find((s) => s.results.shard.index === 0)?.results;
  return analyze({
    scenario: first.scenario,
    status,
    ...(statusReason === undefined ? {} : { statusReason }),
    startedAt: new Date(Math.min(...shards.map((s) => Date.parse(s.results.startedAt)))),
    endedAt: new Date(Math.max(...shards.map((s) => Date.parse(s.results.endedAt)))),
    environment: { ...first.environment, workers: workers.length },
    target: first.target,
    aggregator,
    workers,
    // Faults are applied by shard 0 alone (src/shard/spec.ts).
    ...(shard0?.faults === undefined ? {} : { faults: shard0.faults }),
    merge: info,
  });
}

/** A shard's worker, numbered in the merged run, its stall times moved onto the merged clock. */
function onMergedClock(w: WorkerInfo, id: number, shiftSeconds: number): WorkerInfo {
  const shift = (list: WorkerInfo['stalls']): WorkerInfo['stalls'] => list?.map((x) => ({ ...x, atMs: x.atMs + shiftSeconds * 1000 }));
  return {
    ...w,
    id,
    ...(w.stalls === undefined ? {} : { stalls: shift(w.stalls) }),
    ...(w.compactions === undefined ? {} : { compactions: shift(w.compactions) }),
  };
}

function mergeInfo(count: number, runId: string | undefined, shards: MergedShard[], toleranceMs: number): MergeInfo {
  const present = new Set(shards.map((s) => s.index));
  const missing = Array.from({ length: count }, (_, i) => i).filter((i) => !present.has(i));
  const offsets = shards.flatMap((s) => (s.clockOffsetMs === undefined ? [] : [s.clockOffsetMs]));
  const startSpreadMs = Math.max(...shards.map((s) => s.startOffsetMs));
  const clockSpreadMs = offsets.length < 2 ? undefined : Math.max(...offsets) - Math.min(...offsets);
  // Each measured offset is right within its uncertainty, so two corrected starts are within the sum of theirs.
  const bounds = shards.flatMap((s) => (s.clockUncertaintyMs === undefined ? [] : [s.clockUncertaintyMs])).sort((a, b) => b - a);
  const startSpreadUncertaintyMs = bounds.length === 0 ? undefined : (bounds[0] ?? 0) + (bounds[1] ?? 0);
  const warnings: string[] = [];
  if (startSpreadMs > toleranceMs) {
    warnings.push(`The shards' second 0 spread over ${fmtMs(startSpreadMs)} (tolerance ${fmtMs(toleranceMs)}): their seconds are aligned to the nearest whole second, so per-second figures mix up to half a second of different moments. Start them with --barrier or --start-at.`);
  }
  if (clockSpreadMs !== undefined && clockSpreadMs > toleranceMs) {
    warnings.push(`The shards' clocks disagree by up to ${fmtMs(clockSpreadMs)} (measured against the barrier; tolerance ${fmtMs(toleranceMs)}): the merge used the barrier's clock, but timestamps inside each shard's results are its own. Synchronise the hosts' clocks (NTP).`);
  }
  if (offsets.length < shards.length && shards.length > 1) {
    warnings.push(`${shards.length - offsets.length} of ${shards.length} shards measured no clock offset (no barrier): their start spread is as their own clocks say.`);
  }
  return {
    count, ...(runId === undefined ? {} : { runId }), shards, missing, startSpreadMs,
    ...(startSpreadUncertaintyMs === undefined ? {} : { startSpreadUncertaintyMs }),
    ...(clockSpreadMs === undefined ? {} : { clockSpreadMs }), warnings,
  };
}

/** Complete only when every shard is present and complete; otherwise partial, saying which and why. */
function mergedStatus(info: MergeInfo): { status: RunStatus; statusReason?: string } {
  const why: string[] = [];
  if (info.missing.length > 0) why.push(`${info.missing.length === 1 ? 'shard' : 'shards'} ${info.missing.join(', ')} of ${info.count} missing`);
  for (const s of info.shards) if (s.status !== 'complete') why.push(`shard ${s.index} ${s.status}${s.statusReason === undefined ? '' : ` (${s.statusReason})`}`);
  return why.length === 0 ? { status: 'complete' } : { status: 'failed', statusReason: `partial merge: ${why.join('; ')}` };
}

function fmtMs(ms: number): string {
  return ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms).toLocaleString('en-US')} ms`;
}
