/**
 * What workers measure and ship, one `SecondBucket` per second of the run. Buckets are deltas, so merging is
 * summation: the same aggregator merges worker buckets during a run and shard results afterwards.
 * Histograms are HDR histograms in microseconds, shipped as compressed base64 (autocannon's approach).
 */
import type { FlowBucket } from './flow-types.js';

/**
 * Names of the latency histograms. Every run records connect, handshake and rtt; session engines (socketio,
 * engineio) also record `upgrade` (session open to WebSocket upgrade done) and `ack` (emit to acknowledgement);
 * the dns and orchestrated engines record `lookup` (the name lookup or endpoint request before connecting).
 * `rtt` and `ack` run from the actual send; `rtt_corrected` and `ack_corrected` from the time the open-loop schedule
 * meant the message to leave (wrk2's correction for coordinated omission: a generator stall shows up in them).
 */
export type HistogramName = 'connect' | 'handshake' | 'rtt' | 'upgrade' | 'ack' | 'lookup' | 'rtt_corrected' | 'ack_corrected';
export const HISTOGRAM_NAMES: readonly HistogramName[] = ['connect', 'handshake', 'rtt', 'upgrade', 'ack', 'lookup', 'rtt_corrected', 'ack_corrected'];

/**
 * Session events of the socketio and engineio engines, counted per second like errors (SecondBucket.sessions):
 * - attempted / established / broken: sessions begun, opened (the Engine.IO handshake issued a sid), and
 *   ended by a failure after that (a misroute, a lost transport) — including a misroute of socket.io's own
 *   connect, which the application sees as a failed connection (counters.failed) rather than a dropped one;
 * - upgrade_attempted / upgraded / stuck_polling: WebSocket upgrades tried, completed, never completed;
 * - ended_polling / ended_websocket: the transport a session ended on;
 * - req_<kind> and misroute_<kind> for kind handshake, poll, post, upgrade: requests made, and requests answered by
 *   a backend other than the session's (or refused with "Session ID unknown"), the engineio probe's exact view;
 * - reconnect / reconnect_same_backend: affinity checks (a client reconnecting with its cookie and address) and
 *   how many returned to the same backend;
 * - upgrade_refused: upgrade requests answered with something else than 101 (a misrouted one gets 400 "Session ID
 *   unknown"); upgrade_failed: sessions whose upgrade did not complete and that carried on on polling (not broken);
 * - unanswered_<kind> for poll, post, upgrade: requests given up without an answer (their timeout, the run's end, or
 *   a held poll still unanswered CLOSE_WAIT_MS after its session ended). Every request that carried a sid is counted
 *   req_<kind> once when sent, and then at most once misroute_<kind> (answered and refused) or unanswered_<kind>.
 */
export type SessionEvent =
  | 'attempted' | 'established' | 'broken'
  | 'upgrade_attempted' | 'upgraded' | 'stuck_polling'
  | 'ended_polling' | 'ended_websocket'
  | 'req_handshake' | 'req_poll' | 'req_post' | 'req_upgrade'
  | 'misroute_handshake' | 'misroute_poll' | 'misroute_post' | 'misroute_upgrade'
  | 'reconnect' | 'reconnect_same_backend'
  | 'upgrade_refused' | 'upgrade_failed'
  | 'unanswered_poll' | 'unanswered_post' | 'unanswered_upgrade';

/**
 * Reconnects of slots after an unplanned end (behavior.reconnect), counted per second like errors:
 * - started: reopens begun this second;
 * - moved / returned: reconnects that were established (and attributed) this second on another backend than the
 *   slot's previous established connection, or on the same one. Neither is counted when the slot had no previous
 *   established connection or either backend is 'unknown'.
 */
/**
 * Each connection of a slot that reached a backend, set beside the slot's previous one (planned churn and
 * reconnects alike), counted when it ends: on the same backend or another. What a scale-out remaps (the ideal on
 * adding one of N+1 backends is 1/(N+1) moved) and what session affinity keeps.
 */
export interface RehomeCounts {
  same: number;
  moved: number;
}

export interface ReconnectCounts {
  started: number;
  moved: number;
  returned: number;
}

/** Counters, summed across workers and seconds. */
export interface Counters {
  /** Connection attempts started (TCP connect begun). */
  attempted: number;
  /** WebSocket handshakes completed (101 received). */
  established: number;
  /** Attempts that failed before the connection was established. */
  failed: number;
  /** Established connections that ended as planned (our close or the server's requested close). */
  closedClean: number;
  /** Established connections that ended before their planned end (reset, unexpected close code). */
  dropped: number;
  messagesSent: number;
  messagesReceived: number;
  /** Messages not echoed within the message timeout or before the connection ended. */
  messagesLost: number;
  bytesSent: number;
  bytesReceived: number;
  /** Scheduled sends that never left: overdue beyond MAX_SENDS_PER_WAKE after a generator stall (src/load/send-schedule.ts).
   *  Neither sent nor lost. Always counted by this version; optional because results files from before it was added
   *  lack it (those files did skip such sends, uncounted). */
  messagesSkipped?: number;
  /** ws echo sender (no flow): frames received that were neither an echo of its messages nor a reference backend's
   *  hello — pushes, welcomes, replies of an application that does not echo (then behavior.flow describes it).
   *  Optional: absent in files from before it was counted. */
  framesOther?: number;
  /** Lean ws client bound to a source address: openings whose named source port (src/net/source-ports.ts) was taken
   *  towards the same destination by another socket, dialled again with the kernel's pick. Not failures; absent in
   *  files from before it was counted. */
  portRedials?: number;
}

export function emptyCounters(): Counters {
  return {
    attempted: 0, established: 0, failed: 0, closedClean: 0, dropped: 0,
    messagesSent: 0, messagesReceived: 0, messagesLost: 0, bytesSent: 0, bytesReceived: 0,
    messagesSkipped: 0, framesOther: 0, portRedials: 0,
  };
}

export interface SecondBucket {
  /** Whole seconds since the run's start (0-based). */
  t: number;
  counters: Counters;
  /** Failures by classified code (ECONNREFUSED, http_503, close_1006, connect_timeout, …). */
  errors: Record<string, number>;
  /** New established connections attributed to each backend id this second ('unknown' if unattributed). */
  backendsOpened: Record<string, number>;
  /** Gauges sampled at the end of the second: summed across workers for the same t. */
  open: number;
  backendsOpen: Record<string, number>;
  /** Generator health, per worker: max event-loop delay this second (ms) and fds open at the end. */
  lagMaxMs: number;
  fds: number;
  /** Encoded HDR histograms (µs) of the samples recorded in this second. Absent when empty. */
  hist: Partial<Record<HistogramName, string>>;
  /** Session engines only: SessionEvent counts this second. */
  sessions?: Partial<Record<SessionEvent, number>>;
  /** The first description seen this second per error code, e.g. what a target answered instead of Engine.IO. */
  errorSamples?: Record<string, string>;
  /** With a population: connections per group and backend that ended this second (group name → backend id → n). */
  groupBackends?: Record<string, Record<string, number>>;
  /** With behavior.reconnect: this second's reconnects (absent when there were none). */
  reconnects?: ReconnectCounts;
  /** Connections that ended this second, on their slot's previous backend or another (absent when none). */
  rehomed?: RehomeCounts;
  /** The most connections open at once in each OPEN_SLOT_MS slot of this second (1000 / OPEN_SLOT_MS entries), from
   *  the worker's own count at every establishment and end: summed slot by slot across workers, the run's true peak
   *  (`summary.peakOpen`) rather than a second-end sample. Absent from sources that do not track it. */
  openSlots?: number[];
  /** Scripted sessions (behavior.flow, roles, script): steps, frames, deliveries (src/metrics/flow-types.ts). */
  flow?: FlowBucket;
}

/** Resolution (ms) of the open-connection peak: each worker keeps its maximum per slot of this length. */
export const OPEN_SLOT_MS = 10;
/** Slots per second. */
export const OPEN_SLOTS = 1000 / OPEN_SLOT_MS;

/** Per-worker facts the coordinator keeps for the report (the generator's own limits). */
export interface WorkerInfo {
  id: number;
  pid: number;
  fdLimit: number;
  clients: number;
  maxFds: number;
  maxLagMs: number;
  /** CPU time used (user + system), ms. */
  cpuMs: number;
  /** Peak resident set size, bytes. */
  maxRssBytes: number;
  /** Resident memory before the first connection, bytes: (maxRssBytes − startRssBytes) / connections held
   *  estimates the generator's memory per connection. Optional: absent in files from before it was added. */
  startRssBytes?: number;
  /** Times the worker's event loop stopped for GENERATOR_STALL_MS or more (a busy host, a GC pause, SIGSTOP):
   *  nothing it timed or sent in that window is the target's. Optional: absent in files from before it was added. */
  stalls?: GeneratorStall[];
  /** What the worker's share of behavior.handshakes_in_flight did: the generator's own limit on openings, apart
   *  from the target's. Optional: absent in files from before it was added. */
  handshakeCap?: HandshakeCapInfo;
  /** Compacting GCs the worker made on purpose once its openings settled (idle holds only; src/load/settle-gc.ts),
   *  with nothing waiting or in flight: not stalls, their pauses said here. Optional: absent when there were none. */
  compactions?: GeneratorStall[];
  exit: 'ok' | 'crashed' | 'killed';
}

/** The whole generator's memory (src/load/tree-memory.ts): the coordinator beside the workers, from /proc RSS. */
export interface GeneratorMemory {
  coordinator: { pid: number; startRssBytes: number; maxRssBytes: number };
  tree: {
    /** Coordinator + workers before the first connection. */
    startRssBytes: number;
    /** The most the tree held at a second's end. */
    maxRssBytes: number;
    /** The most connections open at a second's end, and the tree's RSS then (the latest such second). */
    peakOpen?: number;
    rssAtPeakOpenBytes?: number;
    /** (rssAtPeakOpenBytes − startRssBytes) / peakOpen. */
    bytesPerConnection?: number;
  };
}

/** The generator's handshake cap in one worker (src/load/open-gate.ts), cumulative over the run. */
export interface HandshakeCapInfo {
  /** The worker's share of behavior.handshakes_in_flight. */
  cap: number;
  /** Openings that could not start when due and waited in the generator. */
  held: number;
  /** The longest wait of a held opening before it started, ms. */
  maxWaitMs: number;
  /** Held openings by wait: ≤ 10 ms, ≤ 100 ms, ≤ 1 s, ≤ 10 s, longer. */
  waitBuckets: number[];
  /** Held openings whose planned interval ended before they could start (never attempted). */
  dropped: number;
  /** The most attempts connecting or handshaking at once. */
  maxInFlight: number;
}

/** A worker's event loop late by this much (ms) is a stall: detected by timer drift, listed, and it makes the run's
 *  verdict inconclusive (src/analysis/saturation.ts). One number for every output. */
export const GENERATOR_STALL_MS = 100;

/** One stall of a worker's event loop: when it began (ms since the run's start) and how long it lasted (ms). */
export interface GeneratorStall {
  atMs: number;
  ms: number;
}

/**
 * One second of a run's raw metrics (results.json `raw`, written by sharded runs): what re-adding it into an
 * Aggregator needs to give the same figures as the workers' buckets did. Per-second histograms only for what the
 * series shows (rtt, connect); the whole run's histograms are in RawMetrics.hist.
 */
export interface RawSecond {
  t: number;
  counters: Counters;
  errors: Record<string, number>;
  backendsOpened: Record<string, number>;
  /** Second-end gauge, summed; of it, `flatOpen` came from sources that shipped no 10 ms slots. */
  open: number;
  flatOpen: number;
  openSlots?: number[];
  backendsOpen: Record<string, number>;
  lagMaxMs: number;
  fds: number;
  hist: Partial<Record<'rtt' | 'connect', string>>;
  reconnects?: ReconnectCounts;
  rehomed?: RehomeCounts;
  flow?: { deliveries: number; stepErrors: number };
}

/** A run's raw metrics: everything the analysis reads from the Aggregator, in a form that merges exactly. */
export interface RawMetrics {
  seconds: RawSecond[];
  /** Whole-run histograms (µs, compressed base64). */
  hist: Partial<Record<HistogramName, string>>;
  /** Session event totals (session engines only). */
  sessions?: Record<string, number>;
  errorSamples: Record<string, string>;
  groupBackends: Record<string, Record<string, number>>;
  /** The flow totals as one bucket (histograms encoded), seconds in published keys and memberships as recorded. */
  flow?: FlowBucket;
}
