/**
 * The one typed IPC protocol between the coordinator and its worker processes (autocannon's `{cmd}` messages,
 * made a discriminated union). Messages travel over Node's fork() channel as JSON ('json' serialization).
 */
import type { Behavior, PhaseSegment, PopulationSpec } from '../scenario/types.js';
import type { GeneratorStall, SecondBucket } from '../metrics/types.js';
import type { GateStats } from './open-gate.js';

/** What one worker must do: its share of the client slots and everything needed to drive them. */
export interface WorkerPlan {
  workerId: number;
  workerCount: number;
  /** Total client slots in the run; this worker owns the slots s with s % workerCount === workerId. */
  clients: number;
  /** This host's worker index and count: the same as workerId/workerCount unless the run is sharded (then those are
   *  the whole run's, i + N·w of N·W). Per host: the source ports it names and its share of the handshake cap. */
  hostWorkerId?: number;
  hostWorkerCount?: number;
  /** URLs to connect to; slot s uses urls[s % urls.length]. */
  urls: string[];
  phases: PhaseSegment[];
  behavior: Behavior;
  /** Local source addresses to bind; slot s uses sourceAddresses[s % length]. Empty = OS default. */
  sourceAddresses: string[];
  /** The dns engine's server (the lab's DNS, or behavior.dns.server against a target). */
  dnsServer?: { host: string; port: number };
  /** Where clients come from (src/load/population.ts); when set it decides every slot's source address. */
  population?: PopulationSpec;
  /** Epoch ms at which second 0 begins (the same for every worker). */
  startAt: number;
  /** Epoch ms after which the worker must have closed everything (hard bound on the run). */
  deadlineAt: number;
  /** Accept self-signed TLS certificates (wss:// targets). */
  insecure: boolean;
  /** Extra trusted CA (PEM) for wss://: the lab proxy's certificate. */
  ca?: string;
}

export type CoordinatorMessage =
  | { type: 'start'; plan: WorkerPlan }
  /** Close every client now (abort or deadline) and report `done`. */
  | { type: 'stop'; reason: 'aborted' | 'deadline' };

export interface WorkerGauges {
  pid: number;
  fdLimit: number;
  fds: number;
  lagMaxMs: number;
  cpuMs: number;
  /** Peak resident memory so far, bytes. */
  rssBytes: number;
  /** Resident memory now (the coordinator adds the tree per second), bytes. */
  rssNowBytes?: number;
  /** Resident memory when the worker got its plan, before any connection, bytes. */
  startRssBytes: number;
  /** Stalls of the worker's event loop detected since the previous gauges (src/load/stall-detector.ts). */
  stalls?: GeneratorStall[];
  /** What the handshake cap did so far (behavior.handshakes_in_flight), cumulative. */
  openGate?: GateStats;
  /** Compacting GCs made on purpose since the previous gauges (idle holds, src/load/settle-gc.ts). */
  compactions?: GeneratorStall[];
}

export type WorkerMessage =
  | { type: 'ready'; workerId: number; pid: number; fdLimit: number }
  /** Buckets for seconds that are complete (and, on stop, the partial last one). */
  | { type: 'buckets'; workerId: number; buckets: SecondBucket[]; gauges: WorkerGauges }
  | { type: 'done'; workerId: number; reason: 'finished' | 'aborted' | 'deadline' }
  | { type: 'fatal'; workerId: number; message: string; code?: string };
