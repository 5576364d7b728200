/**
 * What one shard's pod needs, estimated from the scenario before anything runs: memory (from the generator's measured
 * cost per held connection), local ports (the pre-flight budget of src/run/preflight.ts, per shard) and the results
 * volume's size. Each figure says where it comes from, because a user sizing a cluster will want to check it.
 */
import { WsherdError } from '../errors.js';
import { clientsPerWorker } from '../load/worker-count.js';
import { budgetOf } from '../run/preflight.js';
import { WORKER_RSS_BYTES } from '../run/worker-budget.js';
import type { Scenario } from '../scenario/types.js';

/**
 * Bytes one held ws connection costs the whole generator (coordinator and workers): 6,686, from docs/engine.md ("The
 * whole generator", the 10,000-connection bench before the idle-hold compaction). Loads that send messages keep V8's
 * own collection and sit near that figure; idle holds compact to ~2 kB, so this errs on the safe side.
 */
export const BYTES_PER_CONNECTION = 6_686;
/**
 * The session engines (socketio, engineio) run a library client per session; no bench measures them per session yet,
 * so this is an estimate (4× the ws figure) to be replaced by `generator.tree.bytesPerConnection` from a one-shard run.
 */
export const BYTES_PER_SESSION = 4 * BYTES_PER_CONNECTION;
/** Garbage between collections and the ramp's handshakes come on top of the settled figure. */
export const MEMORY_HEADROOM = 1.5;
/** The kernel's default net.ipv4.ip_local_port_range, 32768-60999: 28,232 ports per (source, destination). */
export const DEFAULT_PORT_RANGE: [number, number] = [32768, 60999];
/** What the sysctl widens it to when a shard needs more: the whole unprivileged range. */
export const WIDE_PORT_RANGE: [number, number] = [1024, 65535];
/**
 * RLIMIT_NOFILE a container gets from common runtimes (containerd 2.x and Docker 25+ follow systemd's default,
 * soft 1,024 / hard 524,288). Node raises its soft limit to the hard one at start, so each wsherd process gets the
 * hard limit; a runtime configured with a hard limit of 1,024 would leave each worker ~600 clients.
 */
export const RUNTIME_NOFILE = { soft: 1024, hard: 524_288 } as const;
/** results.json and index.html of one shard grow by ~5-8 kB a second each (the per-second series); measured here. */
const RESULT_BYTES_PER_SECOND = 16 * 1024;
const RESULT_BASE_BYTES = 2 * 1024 * 1024;
const MIN_PVC_BYTES = 1024 ** 3;
const MI = 1024 * 1024;

const SESSION_ENGINES: ReadonlySet<string> = new Set(['socketio', 'engineio']);

export function clientsPerShard(clients: number, shards: number): number {
  return Math.ceil(clients / shards);
}

export interface MemoryEstimate {
  /** A quantity (`384Mi`), rounded up to 64 MiB. */
  quantity: string;
  /** How it was computed, for the manifest's comment. */
  formula: string;
}

/** (workers + the coordinator) × an idle worker's RSS + clients × bytes per connection, with headroom. */
export function memoryFor(scenario: Scenario, perShard: number, cores: number): MemoryEstimate {
  const session = SESSION_ENGINES.has(scenario.behavior.engine ?? 'ws');
  const perConn = session ? BYTES_PER_SESSION : BYTES_PER_CONNECTION;
  // One worker per core at most is useful (src/load/worker-count.ts); the coordinator costs about one worker.
  const processes = Math.max(1, Math.ceil(cores)) + 1;
  const bytes = (processes * WORKER_RSS_BYTES + perShard * perConn) * MEMORY_HEADROOM;
  const mi = Math.ceil(bytes / MI / 64) * 64;
  const formula = `(${processes} processes × ${WORKER_RSS_BYTES / MI} MiB + ${perShard.toLocaleString('en-US')} clients × ${perConn.toLocaleString('en-US')} B${session ? ' (session engine, estimated)' : ''}) × ${MEMORY_HEADROOM}`;
  return { quantity: `${mi}Mi`, formula };
}

export interface PortPlan {
  /** Local ports the busiest source address of one shard may hold towards the target. */
  needed: number;
  /** The net.ipv4.ip_local_port_range value to set, when the default range is too small. */
  sysctl?: string;
}

/** The pre-flight port budget of one shard; a shard that cannot fit even the widest range is refused. */
export function portsFor(scenario: Scenario, perShard: number, shards: number): PortPlan {
  const shard: Scenario = { ...scenario, clients: perShard };
  const budget = budgetOf(shard, { fdLimit: RUNTIME_NOFILE.hard, portRange: DEFAULT_PORT_RANGE, twReuse: 2 });
  const defaultPorts = DEFAULT_PORT_RANGE[1] - DEFAULT_PORT_RANGE[0] + 1;
  const widePorts = WIDE_PORT_RANGE[1] - WIDE_PORT_RANGE[0] + 1;
  if (budget.portsNeeded <= defaultPorts) return { needed: budget.portsNeeded };
  if (budget.portsNeeded > widePorts) {
    const fmt = (n: number): string => n.toLocaleString('en-US');
    const fitsPerShard = Math.max(1, Math.floor((widePorts * perShard) / budget.portsNeeded));
    const more = Math.ceil(scenario.clients / fitsPerShard);
    throw new WsherdError('WSH_ERR_INVALID_INPUT', `One shard of ${fmt(perShard)} clients needs ${fmt(budget.portsNeeded)} local ports towards the target, more than even the widest port range gives one pod (${fmt(widePorts)}, ${WIDE_PORT_RANGE.join('-')}).`, {
      hint: `use --shards ${Math.max(more, shards + 1)} or more (each pod has its own address and port range)`,
    });
  }
  return { needed: budget.portsNeeded, sysctl: `${WIDE_PORT_RANGE[0]} ${WIDE_PORT_RANGE[1]}` };
}

/** A note for stderr when one process under the runtime's default soft limit could not hold a shard's clients. */
export function fdNote(scenario: Scenario, perShard: number): string | undefined {
  const fds = perShard * (SESSION_ENGINES.has(scenario.behavior.engine ?? 'ws') ? 2 : 1);
  const underSoft = clientsPerWorker(RUNTIME_NOFILE.soft);
  if (fds <= underSoft) return undefined;
  const fmt = (n: number): string => n.toLocaleString('en-US');
  return `Each shard opens ${fmt(fds)} sockets, more than one process holds under the soft fd limit container runtimes give by default (${fmt(RUNTIME_NOFILE.soft)}; ~${fmt(underSoft)} clients). Kubernetes has no per-pod ulimit: RLIMIT_NOFILE comes from the runtime. wsherd's processes raise the soft limit to the hard one (${fmt(RUNTIME_NOFILE.hard)} on containerd 2 / Docker 25+) and spread clients over workers, so this works unless your nodes' runtime sets a low hard limit; check with: kubectl exec <pod> -- cat /proc/1/limits`;
}

/** The results volume: every shard's folder and the merged one, with room to spare; at least 1 GiB. */
export function resultsVolumeSize(durationMs: number, shards: number): string {
  const perFolder = RESULT_BASE_BYTES + Math.ceil(durationMs / 1000) * RESULT_BYTES_PER_SECOND;
  const bytes = Math.max(MIN_PVC_BYTES, 2 * (shards + 1) * perFolder);
  return `${Math.ceil(bytes / 1024 ** 3)}Gi`;
}
