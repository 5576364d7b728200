/**
 * `wsherd run`'s sharding flags (docs/sharding.md) and what they mean as run options: which shard, the run's id, and
 * when second 0 begins. Resolved once, before the lab or any socket, so a bad `--shard` or `--start-at` is invalid
 * input rather than a failed run.
 */
import { Flags } from '@oclif/core';
import { WsherdError } from '../errors.js';
import type { RunOptions } from '../run/run.js';
import { resolveShard } from '../shard/spec.js';
import { parseDurationFlag } from '../shard/duration-flag.js';
import { parseStartAt } from '../shard/start-at.js';

const helpGroup = 'SHARDING';

export const shardFlags = {
  shard: Flags.string({ description: 'Run shard i of N of the scenario (i from 0): its clients s with s % N = i, its share of every phase\'s arrival rate. Also WSHERD_SHARD=i/N. Merge the shards\' results with `wsherd merge`. See docs/sharding.md.', helpGroup }),
  shards: Flags.integer({ description: 'The shard count N, the index coming from JOB_COMPLETION_INDEX (a Kubernetes Indexed Job\'s pods).', min: 1, helpGroup }),
  'run-id': Flags.string({ description: 'Names the run, the same on every shard: the barrier groups shards by it and merge refuses shards of other runs. Default: WSHERD_RUN_ID, else the CI run (GITHUB_RUN_ID, CI_PIPELINE_ID).', env: 'WSHERD_RUN_ID', helpGroup }),
  barrier: Flags.string({ description: 'Start when every shard has joined this barrier: http://host:port (a `wsherd barrier`) or redis://host:port.', helpGroup, exclusive: ['start-at'] }),
  'barrier-timeout': Flags.string({ description: 'How long to wait at the barrier for every shard (e.g. 2m).', default: '10m', helpGroup }),
  'start-at': Flags.string({ description: 'Begin second 0 at this instant, RFC 3339 with its zone (e.g. 2026-12-07T21:30:00Z): every shard given the same time starts together.', helpGroup }),
};

export interface ShardFlagValues {
  shard?: string | undefined;
  shards?: number | undefined;
  'run-id'?: string | undefined;
  barrier?: string | undefined;
  'barrier-timeout': string;
  'start-at'?: string | undefined;
}

/** The sharding flags as run options; refuses contradictions (exit 2). */
export function shardRunOptions(flags: ShardFlagValues, scenarioName: string, env: NodeJS.ProcessEnv, now: number): Pick<RunOptions, 'shard' | 'runId' | 'sync'> {
  const shard = resolveShard({ shard: flags.shard, shards: flags.shards, env });
  if (flags.barrier !== undefined && shard === undefined) {
    throw new WsherdError('WSH_ERR_INVALID_INPUT', '--barrier synchronises the shards of a run, and this run is not sharded.', { hint: 'add --shard i/N (or --shards N in a Kubernetes Indexed Job), or drop --barrier.' });
  }
  const sync = flags.barrier !== undefined
    ? { barrier: flags.barrier, timeoutMs: parseDurationFlag('--barrier-timeout', flags['barrier-timeout'], 1000) }
    : flags['start-at'] !== undefined ? { startAt: parseStartAt(flags['start-at'], now) } : undefined;
  const runId = flags['run-id'] ?? ciRunId(env) ?? (flags['start-at'] === undefined ? undefined : `${scenarioName}@${flags['start-at']}`);
  return { ...(shard === undefined ? {} : { shard }), ...(runId === undefined ? {} : { runId }), ...(sync === undefined ? {} : { sync }) };
}

/** The CI system's id of this pipeline run, which every job of a matrix shares. */
function ciRunId(env: NodeJS.ProcessEnv): string | undefined {
  if (env['GITHUB_RUN_ID'] !== undefined) return `github-${env['GITHUB_RUN_ID']}-${env['GITHUB_RUN_ATTEMPT'] ?? '1'}`;
  if (env['CI_PIPELINE_ID'] !== undefined) return `gitlab-${env['CI_PIPELINE_ID']}`;
  return undefined;
}
