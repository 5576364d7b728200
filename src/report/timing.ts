/**
 * The words every output uses for the timing figures (terminal, HTML, Markdown): generator stalls, skipped sends,
 * and which round trip is which. One place, so the outputs cannot drift apart.
 */
import { GENERATOR_STALL_MS, type WorkerInfo } from '../metrics/types.js';
import type { Counters } from '../metrics/types.js';
import { fmtInt } from './format.js';

/** What the rtt/ack rows mean: shown under each latency table. */
export const ROUND_TRIP_NOTE =
  'rtt / ack: from the actual send; rtt_corrected / ack_corrected: from the time the schedule meant the message to leave ' +
  '(corrected for coordinated omission: a generator stall counts). Thresholds p99(rtt) and p99(ack) read the corrected ones.';

/** At most this many stalls are listed by time; the rest are counted. */
const LISTED = 5;

/** Every worker's stalls, in time order, with the worker's id. */
export function allStalls(workers: readonly WorkerInfo[]): { worker: number; atMs: number; ms: number }[] {
  return workers.flatMap((w) => (w.stalls ?? []).map((s) => ({ worker: w.id, ...s }))).sort((a, b) => a.atMs - b.atMs);
}

/** "worker 0 at 1.5 s for 994 ms, …" (the first few, then how many more); '' when none. */
export function stallsListing(workers: readonly WorkerInfo[]): string {
  const stalls = allStalls(workers);
  const listed = stalls.slice(0, LISTED).map((s) => `worker ${s.worker} at ${(s.atMs / 1000).toFixed(1)} s for ${fmtInt(s.ms)} ms`);
  const more = stalls.length > LISTED ? `, and ${stalls.length - LISTED} more` : '';
  return `${listed.join(', ')}${more}`;
}

/**
 * "3 stalls of 100 ms or more: worker 0 at 1.5 s for 994 ms, …"; undefined when no worker stalled or the file
 * predates stall detection (no worker has `stalls`).
 */
export function stallsText(workers: readonly WorkerInfo[]): string | undefined {
  const n = allStalls(workers).length;
  if (n === 0) return undefined;
  return `${n} stall${n === 1 ? '' : 's'} of ${GENERATOR_STALL_MS} ms or more: ${stallsListing(workers)}`;
}

/** ", 12 skipped" when sends were skipped, ", 40 other frames" when non-echo frames arrived; '' when none. */
export function skippedText(k: Counters): string {
  const n = k.messagesSkipped ?? 0;
  const other = k.framesOther ?? 0;
  return `${n > 0 ? `, ${fmtInt(n)} skipped` : ''}${other > 0 ? `, ${fmtInt(other)} other frames (not echoes)` : ''}`;
}
