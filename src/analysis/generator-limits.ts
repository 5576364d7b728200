/**
 * What the generator itself did to the openings, told apart from the target (issue 17):
 * - its handshake cap (behavior.handshakes_in_flight) held openings back: the opening rate was the generator's;
 * - handshakes failed during a ramp up while the clients already open were sending: the target was answering
 *   messages while it accepted handshakes, so those failures measure the mix, not the handshakes
 *   (behavior.send_during_ramp: false measures the handshakes alone).
 */
import type { Results } from '../results/types.js';
import type { HandshakeCapInfo } from '../metrics/types.js';
import { rampWindows } from '../load/send-start.js';
import { CONNECT_TIMEOUT, HANDSHAKE_TIMEOUT } from '../load/classify.js';

const int = (n: number): string => n.toLocaleString('en-US');

/** The workers' handshake caps summed: the run's cap, openings held, the longest wait. Undefined in older files. */
export function handshakeCapOf(r: Results): (HandshakeCapInfo & { workers: number }) | undefined {
  const caps = r.generator.workers.map((w) => w.handshakeCap).filter((c): c is HandshakeCapInfo => c !== undefined);
  if (caps.length === 0) return undefined;
  const sum = (f: (c: HandshakeCapInfo) => number): number => caps.reduce((n, c) => n + f(c), 0);
  return {
    workers: caps.length,
    cap: sum((c) => c.cap),
    held: sum((c) => c.held),
    maxWaitMs: Math.max(...caps.map((c) => c.maxWaitMs)),
    waitBuckets: (caps[0] as HandshakeCapInfo).waitBuckets.map((_, i) => sum((c) => c.waitBuckets[i] ?? 0)),
    dropped: sum((c) => c.dropped),
    maxInFlight: sum((c) => c.maxInFlight),
  };
}

/** "the generator held back N openings up to X ms by its handshake cap (behavior.handshakes_in_flight: K)", or undefined. */
export function handshakeCapSentence(r: Results): string | undefined {
  const cap = handshakeCapOf(r);
  // Openings that waited a tick or two for the pacing budget are not worth a sentence; a real wait is.
  if (cap === undefined || cap.held === 0 || cap.maxWaitMs < 100) return undefined;
  const setting = r.scenario.behavior.handshakesInFlight;
  const dropped = cap.dropped > 0 ? `; ${int(cap.dropped)} never started before their planned end` : '';
  return `the generator held back ${int(cap.held)} openings up to ${int(Math.round(cap.maxWaitMs))} ms by its handshake cap (behavior.handshakes_in_flight: ${int(setting ?? cap.cap)})${dropped}`;
}

/** The failures a target busy answering messages causes to openings: timeouts and resets (a refusal is not load). */
const LOAD_FAILURES: readonly string[] = [CONNECT_TIMEOUT, HANDSHAKE_TIMEOUT, 'ECONNRESET', 'ETIMEDOUT'];

/** Fewer load failures than this in the ramps are not named. */
const MIN_RAMP_FAILURES = 10;

/** Openings that timed out or were reset in the seconds of ramp ups, and the messages answered meanwhile. */
export function rampSendingSentence(r: Results): string | undefined {
  if (r.scenario.behavior.sendDuringRamp === false) return undefined;
  const windows = rampWindows(r.scenario.phases);
  let failed = 0;
  let answered = 0;
  let seconds = 0;
  for (const p of r.series) {
    const from = p.t * 1000;
    if (!windows.some(([a, b]) => from < b && from + 1000 > a)) continue;
    const n = LOAD_FAILURES.reduce((k, code) => k + (p.errors[code] ?? 0), 0);
    if (n === 0) continue;
    failed += n;
    answered += p.messagesReceived;
    if (p.messagesReceived > 0) seconds++;
  }
  // Worth a sentence when they are a real part of the failures: a handful of resets in a ramp is not the finding.
  if (failed < MIN_RAMP_FAILURES || failed * 2 < r.summary.errors.total || seconds === 0) return undefined;
  const rate = Math.round(answered / seconds);
  return `${int(failed)} openings timed out or were reset during the ramp while the clients already open were sending: the target was answering ${int(rate)} msg/s while accepting handshakes; behavior.send_during_ramp: false measures the handshakes alone`;
}
