/**
 * A hashed timer wheel: one per worker, driven by the worker's single tick, instead of a setTimeout per client
 * (tens of thousands of clients each with a connect timeout, a next-send time and message deadlines).
 * Each entity has at most one live deadline (`wakeTick`); rescheduling leaves the old entry behind as a stale
 * entry that is skipped when its slot comes round (lazy cancellation: O(1) schedule and cancel).
 * Resolution is one tick: an entity wakes at the first tick at or after its deadline.
 */

export interface Wakeable {
  /** Tick of the live deadline, or -1 when none. Owned by the wheel. */
  wakeTick: number;
  wake(nowMs: number): void;
}

export class TimerWheel {
  private readonly slots: Wakeable[][];
  /** Last tick processed. */
  private current: number;

  /**
   * @param tickMs resolution, ms
   * @param size number of slots; deadlines further than tickMs × size away go round more than once
   * @param nowMs the clock's current value (same clock as passed to schedule/advance, e.g. performance.now())
   */
  constructor(
    readonly tickMs = 10,
    private readonly size = 2048,
    nowMs = 0,
  ) {
    this.slots = Array.from({ length: size }, () => []);
    this.current = Math.floor(nowMs / tickMs);
  }

  /** Wake `w` at the first tick at or after `atMs` (replacing its previous deadline). */
  schedule(w: Wakeable, atMs: number): void {
    const tick = Math.max(this.current + 1, Math.ceil(atMs / this.tickMs));
    if (w.wakeTick === tick) return;
    w.wakeTick = tick;
    (this.slots[tick % this.size] as Wakeable[]).push(w);
  }

  cancel(w: Wakeable): void {
    w.wakeTick = -1;
  }

  /** Fire every deadline up to `nowMs`. Entities may reschedule themselves from wake(). */
  advance(nowMs: number): void {
    const target = Math.floor(nowMs / this.tickMs);
    if (target <= this.current) return;
    // After a stall longer than a whole revolution, visiting each slot once is enough.
    const first = Math.max(this.current + 1, target - this.size + 1);
    this.current = target;
    for (let tick = first; tick <= target; tick++) {
      const index = tick % this.size;
      const entries = this.slots[index] as Wakeable[];
      if (entries.length === 0) continue;
      const keep: Wakeable[] = [];
      this.slots[index] = keep;
      for (const w of entries) {
        const wt = w.wakeTick;
        if (wt < 0 || wt % this.size !== index) continue; // stale: rescheduled elsewhere or cancelled
        if (wt > target) {
          keep.push(w); // a later revolution
        } else {
          w.wakeTick = -1;
          w.wake(nowMs);
        }
      }
    }
  }
}
