/**
 * The generator's cap on handshakes in flight (behavior.handshakes_in_flight, split across the workers): an opening
 * starts only while fewer than `cap` of the worker's attempts are connecting or handshaking; the rest wait here,
 * first come first served, and start as attempts complete. The cap is a window, so the opening rate follows the
 * target's accept rate instead of piling up half-open attempts that time out and then count as the target's
 * failures. Starts are paced by a token bucket (`ratePerS` a worker, bursts of `burst`), so a schedule that asks for
 * 10k openings at once does not start them in one loop turn and leave the handshakes it started unread: without
 * window and pacing, 10k openings asked in 1 s put the loop 0.8–1.4 s behind. A count, not a time budget: on a
 * shared host a time budget is eaten by preemption and throttles the opening rate for nothing.
 *
 * An attempt's connect timer starts when it really starts (LoadClient.start), so a wait here is never blamed on
 * the target: it is the generator's own limit, counted apart (GateStats: openings held, how long the latest waited).
 * The clients need no hook: completion is seen by polling the attempts in flight (at most `cap`) once per tick.
 */
import { performance } from 'node:perf_hooks';
import type { LoadClient } from './client.js';
import type { HandshakeCapInfo } from '../metrics/types.js';

/** behavior.handshakes_in_flight's default, for the whole run (split across the workers). Here, not in the scenario
 *  parser, so a worker does not load the parser to know it. */
export const DEFAULT_HANDSHAKES_IN_FLIGHT = 1000;

/** Upper bounds (ms) of the wait histogram's buckets; the last bucket holds everything longer. */
export const GATE_WAIT_BOUNDS_MS: readonly number[] = [10, 100, 1000, 10_000];

/** What the cap did in one worker, cumulative since the start. */
export type GateStats = HandshakeCapInfo;

interface Pending {
  slot: number;
  isReconnect: boolean;
  until: number | undefined;
  /** performance.now() when it was due. */
  dueAt: number;
  cancelled: boolean;
}

/** Starts the slot's client and returns it (undefined: nothing was started). */
export type Launch = (slot: number, isReconnect: boolean, until: number | undefined) => LoadClient | undefined;

const inHandshake = (c: LoadClient): boolean => c.state === 'idle' || c.state === 'connecting' || c.state === 'handshaking';

export class OpenGate {
  private readonly inFlight = new Set<LoadClient>();
  private queue: Pending[] = [];
  private head = 0;
  private readonly bySlot = new Map<number, Pending>();
  /** Pacing: starts allowed now, refilled at ratePerS up to burst. */
  private tokens: number;
  private refilledAt = -1;
  private readonly stats: GateStats;

  constructor(cap: number, private readonly launch: Launch, private readonly ratePerS: number, private readonly burst: number) {
    this.tokens = burst;
    this.stats = { cap: Math.max(1, cap), held: 0, maxWaitMs: 0, waitBuckets: GATE_WAIT_BOUNDS_MS.map(() => 0).concat(0), dropped: 0, maxInFlight: 0 };
  }

  /** Handshakes started and not yet done (as of the last tick). */
  get handshaking(): number {
    return this.inFlight.size;
  }

  /** Openings waiting now. */
  get waiting(): number {
    return this.bySlot.size;
  }

  /** A copy of the cumulative figures. */
  snapshot(): GateStats {
    return { ...this.stats, waitBuckets: [...this.stats.waitBuckets] };
  }

  /** The worker's tick begins: completed attempts leave the window, then waiting openings start in order. */
  tick(now: number): void {
    if (this.refilledAt >= 0) this.tokens = Math.min(this.burst, this.tokens + ((now - this.refilledAt) * this.ratePerS) / 1000);
    this.refilledAt = now;
    for (const c of this.inFlight) if (!inHandshake(c)) this.inFlight.delete(c);
    while (this.head < this.queue.length && this.canStart()) {
      const p = this.queue[this.head++] as Pending;
      if (p.cancelled) continue;
      this.bySlot.delete(p.slot);
      const waited = performance.now() - p.dueAt;
      this.stats.maxWaitMs = Math.max(this.stats.maxWaitMs, waited);
      const i = GATE_WAIT_BOUNDS_MS.findIndex((b) => waited <= b);
      (this.stats.waitBuckets[i < 0 ? GATE_WAIT_BOUNDS_MS.length : i] as number)++;
      this.start(p.slot, p.isReconnect, p.until);
    }
    // Reclaim the consumed head once it dominates the array (amortized O(1) per opening).
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }

  /** An opening is due now: it starts if the window and the tick's budget allow and nothing waits before it. */
  request(slot: number, isReconnect: boolean, until: number | undefined, now: number): void {
    this.cancel(slot);
    if (this.bySlot.size === 0 && this.canStart()) {
      this.start(slot, isReconnect, until);
      return;
    }
    const p: Pending = { slot, isReconnect, until, dueAt: now, cancelled: false };
    this.queue.push(p);
    this.bySlot.set(slot, p);
    this.stats.held++;
  }

  /** The slot's planned interval ended (or the run stops) while its opening still waited: it never starts. */
  cancel(slot: number): boolean {
    const p = this.bySlot.get(slot);
    if (p === undefined) return false;
    p.cancelled = true;
    this.bySlot.delete(slot);
    this.stats.dropped++;
    return true;
  }

  /** A client ended: it leaves the window now rather than at the next tick. */
  ended(client: LoadClient): void {
    this.inFlight.delete(client);
  }

  clear(): void {
    for (const slot of [...this.bySlot.keys()]) this.cancel(slot);
    this.queue = [];
    this.head = 0;
  }

  private canStart(): boolean {
    return this.inFlight.size < this.stats.cap && this.tokens >= 1;
  }

  private start(slot: number, isReconnect: boolean, until: number | undefined): void {
    this.tokens--;
    const client = this.launch(slot, isReconnect, until);
    if (client !== undefined && inHandshake(client)) {
      this.inFlight.add(client);
      if (this.inFlight.size > this.stats.maxInFlight) this.stats.maxInFlight = this.inFlight.size;
    }
  }
}
