/**
 * The open-loop message schedule every engine shares: a client's sends are due at fixed intervals from a random
 * phase, whatever the answers do (open loop, as wrk2), so a slow target cannot slow the generator down and hide
 * its own latency (coordinated omission). Each send keeps the time the schedule meant it to leave (`intendedAt`)
 * beside the time it left (`sentAt`): the round trip is recorded from both (docs/measurement.md).
 */
import type { Recorder } from '../metrics/recorder.js';

/**
 * At most this many overdue sends leave per wake. After a generator stall (a busy host, a GC pause, SIGSTOP) the
 * schedule may be seconds behind; sending all of it at once would be a burst the scenario never asked for, which can
 * itself overload the target. The overdue sends beyond the cap are skipped: counted (`messagesSkipped`), neither sent
 * nor lost, and the schedule keeps its phase.
 */
export const MAX_SENDS_PER_WAKE = 10;

/**
 * The generator's send resolution, ms: the worker wakes clients on a timer wheel (2 ms ticks since issue 17; 10 ms
 * before), so a send on time leaves a little after its due time, up to a tick or two more on a busy host. Lateness within it is the wheel's granularity, not a delay
 * anyone waited for: the corrected round trip adds a send's lateness only beyond it (then in full). Without this, a
 * 20 ms echo read ~31 ms corrected on an idle generator.
 */
export const ON_TIME_MS = 20;

/** One message in flight (performance.now() ms). */
export interface InFlight {
  /** When it left. */
  sentAt: number;
  /** When the schedule meant it to leave (= sentAt for sends outside the schedule, e.g. the engineio probe's). */
  intendedAt: number;
}

/**
 * After a wake's capped sends: the schedule's due times still at or before `now` are skipped. Counts them in the
 * recorder and returns the next due time (the same phase: the first due time after `now`).
 */
export function skipOverdue(recorder: Recorder, nextSendAt: number, now: number, intervalMs: number): number {
  if (!(now >= nextSendAt) || !Number.isFinite(nextSendAt)) return nextSendAt;
  const skipped = Math.floor((now - nextSendAt) / intervalMs) + 1;
  recorder.count('messagesSkipped', skipped);
  return nextSendAt + skipped * intervalMs;
}

/**
 * The round trip of an answered message, into `name` (from the actual send) and `${name}_corrected` (from the
 * intended send: what a user whose message was due then waited, wrk2's correction for coordinated omission), the
 * intended send being the actual one when the message left within ON_TIME_MS of it.
 */
export function recordRoundTrip(recorder: Recorder, name: 'rtt' | 'ack', m: InFlight, now: number): void {
  recorder.record(name, (now - m.sentAt) * 1000);
  const late = m.sentAt - m.intendedAt;
  const from = late > ON_TIME_MS ? m.intendedAt : m.sentAt;
  recorder.record(name === 'rtt' ? 'rtt_corrected' : 'ack_corrected', (now - from) * 1000);
}

/**
 * Drops the messages of `out` (in send order) unanswered for `timeoutMs` at `now` and counts them lost. The map keeps
 * insertion order, which is send order, so the walk stops at the first one still in time.
 */
export function expireOutstanding(recorder: Recorder, out: Map<number, InFlight> | undefined, now: number, timeoutMs: number): void {
  if (!out) return;
  let lost = 0;
  for (const [seq, m] of out) {
    if (now - m.sentAt < timeoutMs) break;
    out.delete(seq);
    lost++;
  }
  if (lost > 0) recorder.count('messagesLost', lost);
}

/**
 * What the end of an established connection records, whichever ws client: a planned end ('clean') or not ('dropped',
 * with its code), and the messages still in flight as lost.
 */
export function recordEnd(recorder: Recorder, how: 'clean' | 'dropped', code: string | undefined, out: Map<number, InFlight> | undefined): void {
  if (how === 'clean') {
    recorder.count('closedClean');
  } else {
    recorder.count('dropped');
    recorder.error(code ?? 'other');
  }
  if (out && out.size > 0) recorder.count('messagesLost', out.size);
}
