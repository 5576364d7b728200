/**
 * What a sharded run (`wsherd run --shard i/N`) and a merge of shards (`wsherd merge`) add to results.json
 * (docs/results.md, docs/sharding.md).
 */

/** How the shards agreed on second 0. */
export type ShardSync =
  | { kind: 'barrier'; url: string; arrived: number; waitedMs: number }
  /** `lateMs`: how far past the agreed time this shard's second 0 came (it could not start earlier), 0 when on time. */
  | { kind: 'start-at'; startAt: string; lateMs: number }
  | { kind: 'none' };

export interface ShardInfo {
  index: number;
  count: number;
  /** The run's name, the same on every shard (--run-id, WSHERD_RUN_ID): merge refuses shards of different runs. */
  runId?: string;
  /** This host's name, for the merge's table of shards. */
  host: string;
  /** When this shard's second 0 began, epoch ms, on its own clock. */
  loadStartMs: number;
  sync: ShardSync;
  /** The barrier's clock minus this host's, ms, and the bound on its error (half the best round trip): absent
   *  unless a barrier measured it. */
  clockOffsetMs?: number;
  clockUncertaintyMs?: number;
  /** Client slots this shard owned (s % count === index). */
  clients: number;
}

/** One shard as the merge found it. */
export interface MergedShard {
  index: number;
  /** The results file it came from, as given. */
  file: string;
  /** The shard's own RunStatus. */
  status: 'complete' | 'aborted' | 'failed';
  statusReason?: string;
  host: string;
  /** Its second 0 on the merged clock (the barrier's where measured), ms after the earliest shard's. */
  startOffsetMs: number;
  /** Seconds its series was moved to align with the earliest shard's second 0. */
  shiftSeconds: number;
  clockOffsetMs?: number;
  clockUncertaintyMs?: number;
  clients: number;
  established: number;
  workers: number;
}

export interface MergeInfo {
  count: number;
  runId?: string;
  shards: MergedShard[];
  /** Shard indexes with no results: the merged run is partial. */
  missing: number[];
  /** Latest second 0 minus earliest, ms, on the merged clock. */
  startSpreadMs: number;
  /** How far off startSpreadMs may be from the offsets' measurement error: the two largest clockUncertaintyMs added
   *  (absent when no offset was measured). */
  startSpreadUncertaintyMs?: number;
  /** Largest minus smallest measured clock offset, ms (absent when fewer than two were measured). */
  clockSpreadMs?: number;
  /** What the report must say: a start spread above tolerance, clocks not measured, shards that failed. */
  warnings: string[];
}
