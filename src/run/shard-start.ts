/**
 * When a sharded run's second 0 begins: at once, at an agreed instant (`--start-at`), or when every shard has joined
 * the barrier (`--barrier`). It runs after the workers are ready and before they get their plan, so every shard
 * starts as soon as its slowest peer could, and records how it was synchronised (results.shard.sync).
 */
import { joinBarrier } from '../shard/barrier.js';
import { redactUrl } from '../shard/barrier-common.js';
import type { ShardSync } from '../results/shard-types.js';
import type { ShardSpec } from '../shard/spec.js';

export type RunSync = { startAt: number } | { barrier: string; timeoutMs: number };

export interface GateRecord {
  sync: ShardSync;
  clockOffsetMs?: number;
  clockUncertaintyMs?: number;
}

/** Leeway on top of the time the workers need between their plan and second 0, for every shard to get the release. */
const BARRIER_MARGIN_MS = 1_000;

export function shardGate(
  opts: { shard?: ShardSpec | undefined; runId?: string | undefined; sync?: RunSync | undefined },
  signal: AbortSignal,
): { startGate(earliestAt: number): Promise<number>; record(): GateRecord | undefined } {
  let record: GateRecord | undefined;
  const startGate = async (earliestAt: number): Promise<number> => {
    const sync = opts.sync;
    if (sync === undefined) {
      record = { sync: { kind: 'none' } };
      return earliestAt;
    }
    // What the workers need between their plan and second 0 (START_DELAY_MS, the warm-up): the plan goes out that long
    // before the agreed instant.
    const lead = Math.max(0, earliestAt - Date.now());
    if ('startAt' in sync) {
      await sleep(sync.startAt - lead - Date.now(), signal);
      record = { sync: { kind: 'start-at', startAt: new Date(sync.startAt).toISOString(), lateMs: Math.max(0, earliestAt - sync.startAt) } };
      return sync.startAt;
    }
    const shard = opts.shard ?? { index: 0, count: 1 };
    const o = await joinBarrier({
      url: sync.barrier, runId: opts.runId ?? 'wsherd', shard: shard.index, shards: shard.count,
      timeoutMs: sync.timeoutMs, leadMs: lead + BARRIER_MARGIN_MS, signal,
    });
    record = {
      sync: { kind: 'barrier', url: redactUrl(sync.barrier), arrived: o.arrived, waitedMs: Math.round(o.waitedMs) },
      ...(o.clockOffsetMs === undefined ? {} : { clockOffsetMs: o.clockOffsetMs }),
      ...(o.clockUncertaintyMs === undefined ? {} : { clockUncertaintyMs: o.clockUncertaintyMs }),
    };
    return o.startAt;
  };
  return { startGate, record: () => record };
}

/** Resolves after `ms` (at once when ≤ 0), or as soon as `signal` aborts: the caller checks it. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0 || signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
