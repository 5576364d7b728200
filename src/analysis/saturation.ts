/**
 * "Generator saturated": the one definition every output and the verdict use (terminal, HTML, Markdown, JUnit,
 * compare, diagnosis, exit code). When wsherd itself was the bottleneck, what it measured is partly its own delay
 * or its own failures, so the run says nothing reliable about the target: its verdict is INCONCLUSIVE, never PASS.
 *
 * A run is saturated when any of these holds (docs/results.md, "Generator saturated"):
 * 1. the generator's own resources ran out: a client failed with EMFILE, ENFILE (out of fds) or EADDRNOTAVAIL
 *    (no free local port) — errors of the generator's side, never the target's;
 * 2. a worker's event loop stopped for GENERATOR_STALL_MS or more (a listed stall, or a max lag that long): sends
 *    and timings in that window are the generator's delay;
 * 3. at least CANCELLED_SHARE of the attempts were `cancelled`: their planned end came before the generator got
 *    them established, i.e. it could not keep to its plan. A few cancelled at the very end of a run (clients still
 *    connecting when the plan stops) are normal and stay under the share; an aborted run's are the abort's.
 * Pure: from Results only.
 */
import type { Results } from '../results/types.js';
import { GENERATOR_STALL_MS } from '../metrics/types.js';

/** Failure codes that are the generator's own resources running out, not the target refusing. */
export const GENERATOR_RESOURCE_CODES: readonly string[] = ['EMFILE', 'ENFILE', 'EADDRNOTAVAIL'];
/** The failure code of a connection whose planned end came before it was established (src/load/classify.ts). */
export const CANCELLED_CODE = 'cancelled';
/** This share of attempts (or more) cancelled means the generator could not start its clients in time. */
export const CANCELLED_SHARE = 0.05;

export interface Saturation {
  saturated: boolean;
  /** Each reason in words, with its figures; empty when not saturated. */
  reasons: string[];
  /** Failures that were the generator's own resources (EMFILE, ENFILE, EADDRNOTAVAIL). */
  ownFailures: number;
  /** Attempts cancelled before they were established. */
  cancelled: number;
  /** Stalls of GENERATOR_STALL_MS or more, all workers (a max lag that long counts as one when none is listed). */
  stalls: number;
  /** The longest stall or event-loop lag, ms. */
  worstStallMs: number;
}

const int = (n: number): string => n.toLocaleString('en-US');
const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;

export function saturationOf(r: Results): Saturation {
  const codes = r.summary.errors.byCode;
  const ownFailures = GENERATOR_RESOURCE_CODES.reduce((n, c) => n + (codes[c] ?? 0), 0);
  const cancelled = codes[CANCELLED_CODE] ?? 0;
  const attempted = r.summary.counters.attempted;
  let stalls = 0;
  let worstStallMs = 0;
  let stalledMs = 0;
  for (const w of r.generator.workers) {
    const listed = (w.stalls ?? []).filter((s) => s.ms >= GENERATOR_STALL_MS);
    stalls += listed.length;
    for (const s of listed) {
      stalledMs += s.ms;
      worstStallMs = Math.max(worstStallMs, s.ms);
    }
    // Files from before stalls were listed (or a worker that reported none) still carry the max lag.
    if (listed.length === 0 && w.maxLagMs >= GENERATOR_STALL_MS) {
      stalls += 1;
      stalledMs += w.maxLagMs;
    }
    worstStallMs = Math.max(worstStallMs, w.maxLagMs);
  }
  const reasons: string[] = [];
  if (ownFailures > 0) {
    const by = GENERATOR_RESOURCE_CODES.filter((c) => (codes[c] ?? 0) > 0).map((c) => `${c} ${int(codes[c] ?? 0)}`).join(', ');
    reasons.push(`${int(ownFailures)} failure${ownFailures === 1 ? ' was' : 's were'} the generator's own (out of fds or local ports: ${by})`);
  }
  if (stalls > 0) {
    reasons.push(`its event loop stopped ${int(stalls)} time${stalls === 1 ? '' : 's'} for ${GENERATOR_STALL_MS} ms or more (longest ${int(Math.round(worstStallMs))} ms, ${int(Math.round(stalledMs))} ms in all)`);
  }
  // An aborted or failed run cancels the attempts in flight itself: only a complete run's cancellations say it.
  if (r.status === 'complete' && attempted > 0 && cancelled > 0 && cancelled / attempted >= CANCELLED_SHARE) {
    reasons.push(`${int(cancelled)} of ${int(attempted)} attempts (${pct(cancelled / attempted)}) were cancelled before they were established: the generator could not start them in time`);
  }
  return { saturated: reasons.length > 0, reasons, ownFailures, cancelled, stalls, worstStallMs };
}

/** "Generator saturated: A; B." — the sentence the diagnosis and every output print. */
export function describeSaturation(s: Saturation): string {
  return s.saturated ? `Generator saturated: ${s.reasons.join('; ')}. Nothing it measured can be blamed on the target.` : 'Generator not saturated.';
}

/** True when attempts were made and none was established: the run measured a target that took nothing. */
export function establishedNothing(r: Results): boolean {
  return r.summary.counters.attempted > 0 && r.summary.counters.established === 0;
}

/** Failures that are the generator's, not the target's: cancelled attempts and its own fds or ports running out. */
export function generatorFailures(byCode: Readonly<Record<string, number>>): number {
  return [CANCELLED_CODE, ...GENERATOR_RESOURCE_CODES].reduce((n, c) => n + (byCode[c] ?? 0), 0);
}
