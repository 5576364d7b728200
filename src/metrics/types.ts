/**
 * What workers measure and ship, one `SecondBucket` per second of the run. Buckets are deltas, so merging is
 * summation: the same aggregator merges worker buckets during a run and shard results afterwards.
 * Histograms are HDR histograms in microseconds, shipped as compressed base64 (autocannon's approach).
 */

/** Names of the latency histograms every run records. */
export type HistogramName = 'connect' | 'handshake' | 'rtt';
export const HISTOGRAM_NAMES: readonly HistogramName[] = ['connect', 'handshake', 'rtt'];

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
}

export function emptyCounters(): Counters {
  return {
    attempted: 0, established: 0, failed: 0, closedClean: 0, dropped: 0,
    messagesSent: 0, messagesReceived: 0, messagesLost: 0, bytesSent: 0, bytesReceived: 0,
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
}

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
  exit: 'ok' | 'crashed' | 'killed';
}
