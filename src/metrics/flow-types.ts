/**
 * What scripted sessions (behavior.flow / roles / script) add to a worker's SecondBucket. Like the rest of a
 * bucket these are deltas, merged by summation (histograms by HDR addition), so merging workers — or shards — is
 * exact. How deliveries are accounted (what "expected" and "lost" mean) is in docs/flows.md:
 *
 * A subscriber's membership of a topic covers the run seconds s with from < s < to, where from is the second it
 * joined in and to is the second of (its leave − delivery_timeout). A publish stamped in second s is expected at
 * every member covering s (except at the publisher itself); a receipt is accounted when its publish's second is
 * covered by the receiving membership. Both sides apply the same rule to the same stamp, so
 * lost = expected − accounted is exact, whichever worker or process each side ran in.
 */

/** One named step's second: completions, failures by code, and its latency (µs, encoded HDR). */
export interface StepBucket {
  ok: number;
  /** timeout, no_match, closed, send_failed, script_error, … */
  errors?: Record<string, number>;
  hist?: string;
  /** The first error's description this second (e.g. a script's exception, with the client number; secrets redacted). */
  sample?: string;
}

/** Frames received by flow clients this second. */
export interface FrameCounts {
  received: number;
  /** Matched an expect / on step, or answered a correlated request. */
  solicited: number;
  /** Everything else: pushes, broadcasts, deliveries. */
  unsolicited: number;
  /** With behavior.frames.type: frames per type value (`other` beyond MAX_FRAME_TYPES, `untyped` without one). */
  byType?: Record<string, number>;
}

/** Key of per-pair delivery counts: topic, publisher's backend, subscriber's backend, tab-separated. */
export type PairKey = string;

export interface DeliveryBucket {
  /** Delivery latency of every delivery received this second: publisher's stamp → this receipt, µs, encoded HDR. */
  hist?: string;
  /** Publishes sent, by `${second}\t${topic}\t${publisherBackend}` (second: the stamp's run second). */
  published?: Record<string, number>;
  /** Memberships that ended this second: [topic, subscriber backend, from, to] (publishes of from < s < to expected). */
  memberships?: Array<[string, string, number, number]>;
  /** Accounted receipts by PairKey. */
  accounted?: Record<PairKey, number>;
  /** A publisher's own publishes inside its own membership of that topic, by PairKey: not expected (subtracted). */
  selfExpected?: Record<PairKey, number>;
  /** Every stamped frame received (accounted or not). */
  received: number;
  /** Of received: published in or before the subscriber's join second (not accounted). */
  early?: number;
  /** Of received: published too close to the subscriber's leave (within delivery_timeout; not accounted). */
  unaccounted?: number;
  /** Of received: the client's own publishes coming back to it (not accounted). */
  self?: number;
  /** Of received: received more than delivery_timeout after the stamp (still accounted when covered). */
  late?: number;
  /** Received frames that carried no membership of the stamp's topic at all (not accounted). */
  stray?: number;
}

/** The flow part of a SecondBucket (absent when the run has no flow, roles or script). */
export interface FlowBucket {
  /** By step name (named steps only, plus `script` for a script's uncaught errors). */
  steps?: Record<string, StepBucket>;
  frames?: FrameCounts;
  deliveries?: DeliveryBucket;
  /** Clients started per role this second (with behavior.roles). */
  roles?: Record<string, number>;
}
