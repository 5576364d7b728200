/**
 * Detects stalls of a worker's event loop by timer drift: the worker's periodic tick notes how late it fires.
 * `monitorEventLoopDelay` alone is not enough: the worker reads and resets it once per second, and the first tick
 * after a long stall (SIGSTOP, a GC pause, a starved host) runs that reset before the histogram's own timer has
 * recorded the stall, so a 1 s freeze read as 25 ms (issue 14). The drift is measured by the tick itself, before it
 * flushes anything, so no reset can lose it.
 */
import { GENERATOR_STALL_MS, type GeneratorStall } from '../metrics/types.js';

export class StallDetector {
  private last: number;
  private worst = 0;
  private stalls: GeneratorStall[] = [];

  /**
   * @param periodMs the tick's period: lateness is what exceeds it.
   * @param origin performance.now() at the run's second 0: stalls are reported relative to it.
   * @param now performance.now() when the periodic timer was armed.
   */
  constructor(private readonly periodMs: number, private readonly origin: number, now: number) {
    this.last = now;
  }

  /** The periodic timer starts now: what came before (reading the plan) is no stall. */
  arm(now: number): void {
    this.last = now;
    this.worst = 0;
  }

  /** A pause the worker made on purpose (settle-gc.ts) ended now: the next beat measures from here, worst kept. */
  skip(now: number): void {
    this.last = now;
  }

  /** Call first thing in every tick of the periodic timer, with performance.now(). */
  beat(now: number): void {
    const late = now - this.last - this.periodMs;
    this.last = now;
    if (late > this.worst) this.worst = late;
    if (late < GENERATOR_STALL_MS) return;
    // The stall ran from when this tick was due until now; only its part inside the run is the run's.
    const end = now - this.origin;
    if (end <= 0) return;
    const start = Math.max(0, end - late);
    this.stalls.push({ atMs: Math.round(start), ms: Math.round(end - start) });
  }

  /** The worst lateness (ms, ≥ 0) since the previous call: a second's lag, whatever reset the other gauges. */
  takeWorst(): number {
    const w = Math.max(0, this.worst);
    this.worst = 0;
    return w;
  }

  /** Stalls detected since the previous call. */
  takeStalls(): GeneratorStall[] {
    const s = this.stalls;
    if (s.length > 0) this.stalls = [];
    return s;
  }
}
