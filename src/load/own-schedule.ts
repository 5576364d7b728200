/**
 * One worker's share of the schedule, and only that share: the open/close events of the slots s with
 * s % workerCount === workerId, in time order, in typed arrays (24 bytes per event, no object per slot or event).
 *
 * Each slot's intervals come from the closed form in schedule.ts's header (slotIntervalsOf), so a worker never
 * builds the intervals of the other workers' slots: a 200,000-client plan over 8 workers holds 25,000 slots' events
 * per worker, not 200,000 (issue 17: the all-clients precompute held 1.1 GB before the first thousand connected).
 */
import type { PhaseSegment } from '../scenario/types.js';
import { slotIntervalsOf, withChurn } from './schedule.js';

export interface OwnShare {
  workerId: number;
  workerCount: number;
  clients: number;
}

/** The slots a worker owns, in order. */
export function* ownSlotsOf(share: OwnShare): Generator<number> {
  const step = Math.max(1, share.workerCount);
  for (let s = share.workerId; s < share.clients; s += step) yield s;
}

/** How many slots a worker owns. */
export function ownCount(share: OwnShare): number {
  const step = Math.max(1, share.workerCount);
  return share.workerId >= share.clients ? 0 : Math.floor((share.clients - 1 - share.workerId) / step) + 1;
}

/** A worker's events in time order; at the same ms a close goes first (a slot can reopen), then by slot. */
export class OwnEvents {
  /** Run ms of event i. */
  private readonly atMs: Float64Array;
  /** slot × 2 + (1 for an open, 0 for a close). */
  private readonly slotOpen: Float64Array;
  /** Opens only: when the interval closes (a reconnect never starts past it). */
  private readonly untilMs: Float64Array;
  readonly length: number;

  constructor(phases: readonly PhaseSegment[], share: OwnShare, churn?: { lifetimeMs: number; thinkTimeMs: number }) {
    // Two passes over the own slots (count, then fill): no growing arrays of objects.
    const each = (visit: (slot: number, openAt: number, closeAt: number) => void): void => {
      for (const slot of ownSlotsOf(share)) {
        const own = slotIntervalsOf(phases, slot);
        for (const iv of churn === undefined ? own : withChurn(own, churn.lifetimeMs, churn.thinkTimeMs)) visit(slot, iv.openAt, iv.closeAt);
      }
    };
    let n = 0;
    each(() => (n += 2));
    const at = new Float64Array(n);
    const so = new Float64Array(n);
    const until = new Float64Array(n);
    let i = 0;
    each((slot, openAt, closeAt) => {
      at[i] = openAt;
      so[i] = slot * 2 + 1;
      until[i] = closeAt;
      i++;
      at[i] = closeAt;
      so[i] = slot * 2;
      until[i] = closeAt;
      i++;
    });
    const order = new Uint32Array(n);
    for (let k = 0; k < n; k++) order[k] = k;
    order.sort((x, y) => (at[x] as number) - (at[y] as number) || (so[x] as number) % 2 - (so[y] as number) % 2 || (so[x] as number) - (so[y] as number));
    this.atMs = new Float64Array(n);
    this.slotOpen = new Float64Array(n);
    this.untilMs = new Float64Array(n);
    for (let k = 0; k < n; k++) {
      const from = order[k] as number;
      this.atMs[k] = at[from] as number;
      this.slotOpen[k] = so[from] as number;
      this.untilMs[k] = until[from] as number;
    }
    this.length = n;
  }

  at(i: number): number {
    return this.atMs[i] as number;
  }

  slot(i: number): number {
    return Math.floor((this.slotOpen[i] as number) / 2);
  }

  isOpen(i: number): boolean {
    return (this.slotOpen[i] as number) % 2 === 1;
  }

  /** Opens only: the end of the interval this open starts. */
  until(i: number): number {
    return this.untilMs[i] as number;
  }

  /** Bytes held (the typed arrays): what the memory test and the docs count. */
  get bytes(): number {
    return this.atMs.byteLength + this.slotOpen.byteLength + this.untilMs.byteLength;
  }
}
