/**
 * What `wsherd merge` refuses before it adds anything: files that are not shards, shards of different runs or
 * scenarios, of different shard counts, the same shard twice. Every problem names the files involved (exit 2).
 */
import path from 'node:path';
import { WsherdError } from '../errors.js';
import type { Scenario } from '../scenario/types.js';
import type { Results } from '../results/types.js';
import type { ShardInfo } from '../results/shard-types.js';
import type { RawMetrics } from '../metrics/types.js';

/** One shard's results, as read. */
export interface ShardFile {
  file: string;
  results: Results & { shard: ShardInfo; raw: RawMetrics };
}

export function checkShards(inputs: ReadonlyArray<{ file: string; results: Results }>): ShardFile[] {
  if (inputs.length === 0) throw refuse('no shard results given', 'give each shard\'s results folder or results.json: wsherd merge shard-0 shard-1 … --out merged');
  const shards: ShardFile[] = [];
  for (const { file, results } of inputs) {
    if (results.shard === undefined) {
      throw refuse(`${file} is not a shard's results (it has no \`shard\` section)`, 'merge takes the results of `wsherd run --shard i/N`; a whole run needs no merge.');
    }
    if (!validRaw(results.raw)) {
      throw refuse(`${file} has no usable \`raw\` section, which the exact merge adds up`, 'it was written by a wsherd without sharding support, or edited; run the shard again with this version.');
    }
    shards.push({ file, results: results as ShardFile['results'] });
  }
  const first = shards[0] as ShardFile;
  const differ = (what: string, key: (s: ShardFile) => string, fix: string): void => {
    const groups = new Map<string, string[]>();
    for (const s of shards) groups.set(key(s), [...(groups.get(key(s)) ?? []), s.file]);
    if (groups.size <= 1) return;
    const listed = [...groups.entries()].map(([k, files]) => `${k}: ${files.join(', ')}`).join('; ');
    throw refuse(`the shards are of different ${what} (${listed})`, fix);
  };
  differ('runs', (s) => s.results.shard.runId ?? '(no run id)', 'merge the shards of one run: they share --run-id (or WSHERD_RUN_ID, or the CI run\'s id).');
  differ('shard counts', (s) => `of ${s.results.shard.count}`, 'every shard of a run is started with the same N in --shard i/N.');
  const base = comparable(first.results.scenario);
  differ('scenarios', (s) => (comparable(s.results.scenario) === base ? `that of ${first.file}` : `another: ${firstDifference(s.results.scenario, first.results.scenario)}`),
    'run every shard with the same scenario file and the same -e variables.');
  const seen = new Map<number, string>();
  for (const s of shards) {
    const twice = seen.get(s.results.shard.index);
    if (twice !== undefined) throw refuse(`shard ${s.results.shard.index} is given twice (${twice} and ${s.file})`, 'give each shard\'s results once.');
    seen.set(s.results.shard.index, s.file);
  }
  return shards.sort((a, b) => a.results.shard.index - b.results.shard.index);
}

/**
 * The scenario as text to compare across hosts: the scenario file's own path and the files it names (data, scripts,
 * each setting's source location) relative to its folder, so shards run from different checkouts (CI runners, pods)
 * are the same scenario while a different data file is not.
 */
function comparable(scenario: Scenario): string {
  const dir = scenario.file === undefined ? undefined : path.dirname(scenario.file);
  return JSON.stringify(scenario, (key, value: unknown) =>
    dir !== undefined && (key === 'file' || key === 'module') && typeof value === 'string' && path.isAbsolute(value) ? path.relative(dir, value) : value);
}

/** The first path at which two scenario objects differ, for the refusal's message. */
function firstDifference(a: unknown, b: unknown, at = 'scenario'): string {
  if (JSON.stringify(a) === JSON.stringify(b) || /\.(file|module)$/.test(at)) return at;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return `${at} differs`;
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const k of keys) {
    const x = (a as Record<string, unknown>)[k];
    const y = (b as Record<string, unknown>)[k];
    if (JSON.stringify(x) !== JSON.stringify(y)) return firstDifference(x, y, `${at}.${k}`);
  }
  return `${at} differs`;
}

function validRaw(raw: unknown): raw is RawMetrics {
  if (typeof raw !== 'object' || raw === null) return false;
  const r = raw as Partial<RawMetrics>;
  return Array.isArray(r.seconds) && r.seconds.every((s) => Number.isInteger(s.t) && s.t >= 0 && typeof s.counters === 'object')
    && typeof r.hist === 'object' && typeof r.errorSamples === 'object' && typeof r.groupBackends === 'object';
}

function refuse(what: string, fix: string): WsherdError {
  return new WsherdError('WSH_ERR_INVALID_INPUT', `Cannot merge: ${what}.`, { hint: fix });
}
