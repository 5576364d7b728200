/**
 * Which part of a scenario one generator host runs: shard i of N (i from 0, as Kubernetes numbers an Indexed Job's
 * completions). Shard i owns the client slots s with s % N === i: the slots are the scenario's, numbered over the whole
 * run, so `{{ client }}`, data-file rows, populations and roles give every client what it would get unsharded, and
 * each phase's arrival rate splits N ways because every slot keeps the opening time the whole curve gives it
 * (src/load/schedule.ts). Inside a shard its W workers split its slots again (worker w owns s % (N·W) === i + N·w),
 * so N shards of W workers are, slot for slot, one host of N·W workers.
 */
import type { Scenario } from '../scenario/types.js';
import { WsherdError } from '../errors.js';
import { ownCount } from '../load/own-schedule.js';

export interface ShardSpec {
  index: number;
  count: number;
}

/** Where the shard came from, for messages: the flag, or the environment variable that gave it. */
export type ShardSource = '--shard' | 'WSHERD_SHARD' | 'JOB_COMPLETION_INDEX';

const SHARD_RE = /^\s*(\d+)\s*\/\s*(\d+)\s*$/;

/** `i/N` → {index, count}; refused unless 0 ≤ i < N. */
export function parseShard(text: string, source: ShardSource = '--shard'): ShardSpec {
  const m = SHARD_RE.exec(text);
  if (m === null) throw invalid(`${source} "${text}" is not of the form i/N`, 'e.g. --shard 0/4 for the first of four shards (shards count from 0, as Kubernetes numbers completion indexes).');
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (count < 1) throw invalid(`${source} ${text}: the shard count must be at least 1`, 'e.g. --shard 0/4.');
  if (index >= count) throw invalid(`${source} ${text}: shard ${index} does not exist among ${count} (they are 0 to ${count - 1})`, `shards count from 0: the last of ${count} is ${count - 1}/${count}.`);
  return { index, count };
}

/**
 * The shard of this run from, in order: `--shard i/N`; `--shards N` with JOB_COMPLETION_INDEX (a Kubernetes
 * Indexed Job's pod); WSHERD_SHARD=i/N. Undefined: not sharded.
 */
export function resolveShard(o: { shard?: string | undefined; shards?: number | undefined; env: NodeJS.ProcessEnv }): ShardSpec | undefined {
  if (o.shard !== undefined) {
    if (o.shards !== undefined) {
      const s = parseShard(o.shard);
      if (s.count !== o.shards) throw invalid(`--shard ${o.shard} and --shards ${o.shards} disagree on the shard count`, 'give one of them: --shard i/N, or --shards N with JOB_COMPLETION_INDEX set.');
      return s;
    }
    return parseShard(o.shard);
  }
  if (o.shards !== undefined) {
    const index = o.env['JOB_COMPLETION_INDEX'];
    if (index === undefined || index.trim() === '') {
      throw invalid(`--shards ${o.shards} needs this shard's index, and JOB_COMPLETION_INDEX is not set`, 'Kubernetes sets it in the pods of an Indexed Job (completionMode: Indexed); elsewhere use --shard i/N or WSHERD_SHARD=i/N.');
    }
    return parseShard(`${index}/${o.shards}`, 'JOB_COMPLETION_INDEX');
  }
  const env = o.env['WSHERD_SHARD'];
  return env === undefined || env.trim() === '' ? undefined : parseShard(env, 'WSHERD_SHARD');
}

/** The client slots shard `s` owns. */
export function shardClients(clients: number, s: ShardSpec): number {
  return ownCount({ clients, workerId: s.index, workerCount: s.count });
}

/**
 * The scenario as shard `s` runs it: the same clients, phases and thresholds (the slots it skips are the other
 * shards'), its faults only on shard 0 so each is applied once. Refused: a lab scenario (each shard would start a lab
 * of its own, N labs instead of one: start it once, `wsherd lab up`, and point `target:` at it), and more shards
 * than clients (a shard with no client measures nothing).
 */
export function shardScenario(scenario: Scenario, s: ShardSpec, where: string): Scenario {
  if (scenario.lab !== undefined) {
    throw invalid(`${where}: a sharded run needs a \`target:\`; this scenario starts a \`lab:\`, and every shard would start a lab of its own`, 'start the lab once (wsherd lab up) or deploy the target, and point `target: url:` at it.');
  }
  if (scenario.clients < s.count) {
    throw invalid(`${where}: ${s.count} shards for ${scenario.clients} clients leaves shard ${scenario.clients} and later with none`, `use at most ${scenario.clients} shards.`);
  }
  if (s.index === 0 || scenario.faults === undefined) return scenario;
  const { faults: _faults, ...rest } = scenario;
  return rest;
}

function invalid(what: string, fix: string): WsherdError {
  return new WsherdError('WSH_ERR_INVALID_INPUT', `${what}; ${fix}`);
}
