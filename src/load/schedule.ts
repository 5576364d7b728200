/**
 * Deterministic client schedule. The phases form a piecewise-linear target curve (0 at t=0, each segment going
 * from the previous segment's `to` to its own `to`). Client slot k (0-based) is open while the curve is above k:
 *
 * - ramp up a→b over [t0, t1]: slot k ∈ [a, b) opens at t0 + ⌈(k − a + 1)·(t1 − t0)/(b − a)⌉, so openings are
 *   evenly spaced, the first one step after t0, and exactly b slots are open at t1 (open count = ⌊target⌋);
 * - ramp down a→b: slot k ∈ [b, a) closes at t0 + ⌈(a − k)·(t1 − t0)/(a − b)⌉, the mirror image (open count =
 *   ⌈target⌉), so exactly b slots are open at t1;
 * - a zero-length segment is a jump: every change happens at t0.
 *
 * Times are integer ms since the run's start, rounded up (an event never happens before the curve says so).
 * Every slot still open when the last phase ends closes at the planned duration. A slot may open and close
 * several times; each opening is a new connection. Slots ≥ `clients` never open.
 *
 * Churn (`behavior.lifetime`): while a slot is open by the curve, each of its connections lives `lifetime` ms,
 * then the slot waits `think_time` ms and connects again (withChurn). Slots open at different times, so a ramp
 * staggers the churn by itself; a jump opens a cohort that churns in step, as a real cohort would.
 */
import type { PhaseSegment } from '../scenario/types.js';

/** One connection of a slot: open during [openAt, closeAt), ms since the run's start. */
export interface SlotInterval {
  openAt: number;
  closeAt: number;
}

export interface PhasePosition {
  index: number;
  segment: PhaseSegment;
  startMs: number;
  endMs: number;
  /** Target at the segment's start (the previous segment's `to`, 0 for the first). */
  from: number;
}

function ceilDiv(n: number, d: number): number {
  return Math.floor((n + d - 1) / d);
}

function norm(seg: PhaseSegment): { dur: number; to: number } {
  return { dur: Math.max(0, Math.round(seg.durationMs)), to: Math.max(0, Math.round(seg.to)) };
}

export function plannedDurationMs(phases: readonly PhaseSegment[]): number {
  let total = 0;
  for (const p of phases) total += norm(p).dur;
  return total;
}

/** Peak of the target curve: the most slots ever open at once (before capping at `clients`). */
export function peakTarget(phases: readonly PhaseSegment[]): number {
  let peak = 0;
  for (const p of phases) peak = Math.max(peak, norm(p).to);
  return peak;
}

/** The segment in force at `tMs` (start inclusive, end exclusive); undefined outside [0, planned). */
export function phaseAt(phases: readonly PhaseSegment[], tMs: number): PhasePosition | undefined {
  let start = 0;
  let from = 0;
  for (let index = 0; index < phases.length; index++) {
    const segment = phases[index] as PhaseSegment;
    const { dur, to } = norm(segment);
    if (tMs >= start && tMs < start + dur) return { index, segment, startMs: start, endMs: start + dur, from };
    start += dur;
    from = to;
  }
  return undefined;
}

/** The (fractional) target curve at `tMs`: 0 before the start and after the end of the phases. */
export function targetAt(phases: readonly PhaseSegment[], tMs: number): number {
  const pos = phaseAt(phases, tMs);
  if (!pos) return 0;
  const to = norm(pos.segment).to;
  const dur = pos.endMs - pos.startMs;
  return pos.from + ((to - pos.from) * (tMs - pos.startMs)) / dur;
}

/**
 * The open/close intervals of every slot 0..clients-1 (index = slot). Computed in one pass over the segments:
 * O(clients + changes).
 */
export function slotIntervals(phases: readonly PhaseSegment[], clients: number): SlotInterval[][] {
  const n = Math.max(0, Math.floor(clients));
  const out: SlotInterval[][] = Array.from({ length: n }, () => []);
  const openSince: (number | undefined)[] = new Array<number | undefined>(n).fill(undefined);
  const close = (k: number, at: number): void => {
    const since = openSince[k];
    if (since === undefined) return;
    if (at > since) (out[k] as SlotInterval[]).push({ openAt: since, closeAt: at });
    openSince[k] = undefined;
  };
  let t0 = 0;
  let a = 0;
  for (const seg of phases) {
    const { dur, to: b } = norm(seg);
    if (b > a) {
      for (let k = a; k < Math.min(b, n); k++) openSince[k] = t0 + ceilDiv((k - a + 1) * dur, b - a);
    } else if (b < a) {
      for (let k = Math.min(a, n) - 1; k >= b; k--) close(k, t0 + ceilDiv((a - k) * dur, a - b));
    }
    t0 += dur;
    a = b;
  }
  for (let k = 0; k < n; k++) close(k, t0);
  return out;
}

/**
 * The open/close intervals of one slot `k`, by the closed form above: O(segments), no state for any other slot.
 * Equal to slotIntervals(phases, n)[k] for every k < n (the worker's own share uses this one).
 */
export function slotIntervalsOf(phases: readonly PhaseSegment[], k: number): SlotInterval[] {
  const out: SlotInterval[] = [];
  let openSince: number | undefined;
  let t0 = 0;
  let a = 0;
  for (const seg of phases) {
    const { dur, to: b } = norm(seg);
    if (b > a && k >= a && k < b) {
      openSince = t0 + ceilDiv((k - a + 1) * dur, b - a);
    } else if (b < a && k >= b && k < a && openSince !== undefined) {
      const at = t0 + ceilDiv((a - k) * dur, a - b);
      if (at > openSince) out.push({ openAt: openSince, closeAt: at });
      openSince = undefined;
    }
    t0 += dur;
    a = b;
  }
  if (openSince !== undefined && t0 > openSince) out.push({ openAt: openSince, closeAt: t0 });
  return out;
}

/**
 * One slot's intervals cut into connections of `lifetimeMs`, each followed by `thinkMs` closed (churn). The last
 * connection of an interval ends with the interval; a piece shorter than 1 ms is dropped.
 */
export function withChurn(intervals: readonly SlotInterval[], lifetimeMs: number, thinkMs: number): SlotInterval[] {
  const life = Math.max(1, Math.round(lifetimeMs));
  const step = life + Math.max(0, Math.round(thinkMs));
  const out: SlotInterval[] = [];
  for (const iv of intervals) {
    for (let at = iv.openAt; at < iv.closeAt; at += step) {
      const end = Math.min(iv.closeAt, at + life);
      if (end > at) out.push({ openAt: at, closeAt: end });
    }
  }
  return out;
}

/** How many of `intervals` (any slots) are open at `tMs`. */
export function openCountAt(intervals: readonly (readonly SlotInterval[])[], tMs: number): number {
  let count = 0;
  for (const slot of intervals) for (const iv of slot) if (iv.openAt <= tMs && tMs < iv.closeAt) count++;
  return count;
}
