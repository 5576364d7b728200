/**
 * A compacting garbage collection once a worker's openings have settled — for idle holds only.
 *
 * Why: workers of idle holds run with a 1 MB young generation (worker-count.ts), so what a handshake leaves behind
 * (its request, the response head, timers) is promoted to the old generation while hundreds of handshakes are in
 * flight, and dies there between the connections' live records. V8 frees it at its next full GC but keeps the pages,
 * each holding some live records: measured at 10,000 connections over 2 workers, 10 MB of 25 MB old space was garbage
 * after the ramp and a plain GC gave back no RSS; a compacting one gave back 13-14 MB a worker (2.7 kB per held
 * connection, issue 17's bytes-per-connection goal). `--compact-on-every-full-gc` makes the GC compact; `--expose-gc`
 * makes it callable (both only in idle-hold workers, see workerExecArgv).
 *
 * When: nothing waits at the handshake gate, no handshake is in flight (nothing being timed), the schedule's next
 * event is at least SETTLE_QUIET_MS away, and at least SETTLE_MIN_OPENED connections opened since the last one. The pause (~10 ms per 1,000 held) is the worker's own,
 * deliberate and with nothing in flight: it is not reported as a stall but in `generator.workers[].compactions`.
 */
import type { GeneratorStall } from '../metrics/types.js';

/** Openings since the last collection worth collecting after: fewer leave too little garbage to pay the pause. */
export const SETTLE_MIN_OPENED = 1000;

/** How far off the schedule's next event must be: the pause must not make an opening start late. */
export const SETTLE_QUIET_MS = 1000;

export class SettleGc {
  private opened = 0;
  private pauses: GeneratorStall[] = [];

  /** @param collect a full GC (globalThis.gc under --expose-gc), or undefined: then this does nothing. */
  constructor(private readonly collect: (() => void) | undefined) {}

  /** The GC of this process when the worker was started with --expose-gc (idle holds only). */
  static ofProcess(): SettleGc {
    const gc = (globalThis as { gc?: () => void }).gc;
    return new SettleGc(typeof gc === 'function' ? () => gc() : undefined);
  }

  noteOpened(): void {
    this.opened++;
  }

  /** Enough opened since the last collection to collect (the caller checks that nothing waits or is in flight). */
  get due(): boolean {
    return this.collect !== undefined && this.opened >= SETTLE_MIN_OPENED;
  }

  /** Collects now; returns the pause, ms. @param atMs ms since the run's start, for the report. */
  collectNow(atMs: number): number {
    this.opened = 0;
    const began = performance.now();
    this.collect?.();
    const ms = performance.now() - began;
    this.pauses.push({ atMs: Math.max(0, Math.round(atMs)), ms: Math.round(ms * 10) / 10 });
    return ms;
  }

  /** Collections since the previous call. */
  take(): GeneratorStall[] {
    const p = this.pauses;
    if (p.length > 0) this.pauses = [];
    return p;
  }
}
