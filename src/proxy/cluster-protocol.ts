/** Messages between the proxy's cluster primary (cluster.ts) and its workers (cluster-worker.ts). */
import type { ProxyStats } from '../results/lab-types.js';
import type { BackendsCommand } from './admin-backends.js';
import type { ProxyOptions } from './server.js';

/** What a worker is started with: the primary's first IPC message (never argv, which other users can read). */
export interface WorkerConfig {
  opts: ProxyOptions;
  /** The primary loads or makes the certificate once, so every worker serves the same one. */
  tlsPem?: { cert: string; key: string };
  /** `primary`: sticky tables live in the primary's memory (asked over IPC); `own`: the worker opens opts.store. */
  store: 'none' | 'primary' | 'own';
  /** Workers in the cluster (opts.workers is 1 in a worker): each names source ports of its own share of the range. */
  clusterSize: number;
}

export type StoreOp =
  | { op: 'get'; table: string; key: string }
  | { op: 'set'; table: string; key: string; value: string; ttlMs: number }
  | { op: 'delete'; table: string; key: string };

export type ToPrimary =
  | { t: 'awaiting-config' }
  | { t: 'ready'; port: number }
  | { t: 'failed'; message: string; code?: string }
  | { t: 'reply'; id: number; value: unknown }
  | ({ t: 'store'; id: number } & StoreOp);

export type ToWorker =
  | { t: 'config'; config: WorkerConfig }
  | { t: 'stats'; id: number }
  | { t: 'backends'; id: number; cmd: BackendsCommand }
  | { t: 'store-reply'; id: number; value?: string; error?: string }
  | { t: 'shutdown' };

export type WorkerStats = ProxyStats;
