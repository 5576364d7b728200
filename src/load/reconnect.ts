/**
 * A worker's reconnect bookkeeping (behavior.reconnect): which slots are open by the schedule and until when, how
 * many reconnects each slot has made in its current outage, the backend of each slot's last established
 * connection, and the pending reopen timers (on the worker's one TimerWheel, so a storm of 10,000 waiting slots
 * costs no setTimeout at all).
 *
 * The worker tells it about planned opens and closes and about every client's end; a client that ends while its
 * slot is still open by the schedule, and that the worker did not close, ended unplanned (failed before it was
 * established or dropped after), and the slot is reopened after the policy's delay. The clients need no hook for
 * this: establishment is seen by polling the few clients not yet attributed (poll(), once per tick).
 */
import { performance } from 'node:perf_hooks';
import type { ReconnectPolicy } from '../scenario/types.js';
import type { Recorder } from '../metrics/recorder.js';
import type { TimerWheel, Wakeable } from './wheel.js';
import type { LoadClient } from './client.js';

/**
 * The delay before reconnect number `attempt` (0-based within one outage), ms: 0 for immediate; for backoff
 * d = min(maxMs, baseMs × 2^attempt), then jitter as in AWS's "Exponential Backoff and Jitter" (full: uniform in
 * [0, d]; equal: d/2 + uniform in [0, d/2]; none: d). `random` returns values in [0, 1).
 */
export function reconnectDelayMs(policy: ReconnectPolicy, attempt: number, random: () => number = Math.random): number {
  if (policy.policy !== 'backoff') return 0;
  // 2^1023 is the largest finite power; beyond ~60 doublings any real max has long been reached anyway.
  const d = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(Math.max(0, attempt), 60));
  switch (policy.jitter) {
    case 'full':
      return random() * d;
    case 'equal':
      return d / 2 + random() * (d / 2);
    default:
      return d;
  }
}

/** What the bookkeeping needs from its worker. */
export interface ReconnectHost {
  readonly recorder: Recorder;
  /** Driven with performance.now() milliseconds. */
  readonly wheel: TimerWheel;
  /** ms since the run's second 0 (the schedule's clock). */
  runMs(): number;
  /**
   * Start a new connection for `slot` from the slot's own source address and keep it as the slot's client; call
   * track(client, true) before starting it (a client may end inside start()).
   */
  reopen(slot: number): void;
}

interface PendingReopen extends Wakeable {
  slot: number;
}

export class SlotReconnects {
  /** Slots open by the schedule → end of the current interval (run ms). */
  private readonly openUntil = new Map<number, number>();
  /** Reconnects made in the slot's current outage. */
  private readonly attempts = new Map<number, number>();
  /** Backend of the slot's last established connection. */
  private readonly lastBackend = new Map<number, string>();
  private readonly pending = new Map<number, PendingReopen>();
  /** Clients not yet seen established and attributed → whether they are reconnects. */
  private readonly watching = new Map<LoadClient, boolean>();

  constructor(
    private readonly policy: ReconnectPolicy,
    private readonly host: ReconnectHost,
    private readonly random: () => number = Math.random,
  ) {}

  /** A planned opening: a fresh interval, so a fresh attempt count. Call before starting the client. */
  opened(slot: number, untilMs: number): void {
    this.cancel(slot);
    this.openUntil.set(slot, untilMs);
    this.attempts.delete(slot);
  }

  /** A planned close: nothing reopens the slot until its next planned opening. Call before closing the client. */
  closed(slot: number): void {
    this.cancel(slot);
    this.openUntil.delete(slot);
  }

  /** A new client of a slot (planned or a reconnect), to see when it is established and where. */
  track(client: LoadClient, isReconnect: boolean): void {
    this.watching.set(client, isReconnect);
  }

  /** Once per tick: clients that became established reset their slot's attempts; attributed ones settle. */
  poll(): void {
    for (const [c, isReconnect] of this.watching) {
      // Defensive: ended() settles every tracked client; one that ended without it must not be polled forever.
      if (c.state === 'closed') this.watching.delete(c);
      if (c.state !== 'open' && c.state !== 'closing') continue;
      this.attempts.delete(c.slot);
      if (c.backend === undefined) continue;
      this.watching.delete(c);
      this.established(c.slot, c.backend, isReconnect);
    }
  }

  /**
   * A client ended (the worker's onEnd). `current`: it was still the slot's client, i.e. the worker neither
   * replaced nor stopped it. Ended while its slot is open by the schedule: unplanned, so the slot reopens.
   */
  ended(client: LoadClient, current: boolean): void {
    const isReconnect = this.watching.get(client);
    if (isReconnect !== undefined) {
      this.watching.delete(client);
      // Established and ended between two polls: every ws end of an established connection names a backend
      // ('unknown' at worst), while a failure mostly has none (a 101 that then failed validation is the exception).
      if (client.backend !== undefined) {
        this.attempts.delete(client.slot);
        this.established(client.slot, client.backend, isReconnect);
      }
    }
    if (!current) return;
    const slot = client.slot;
    const until = this.openUntil.get(slot);
    if (until === undefined) return;
    const attempt = this.attempts.get(slot) ?? 0;
    if (this.policy.maxAttempts !== undefined && attempt >= this.policy.maxAttempts) return;
    const delay = reconnectDelayMs(this.policy, attempt, this.random);
    if (this.host.runMs() + delay >= until) return;
    this.cancel(slot);
    const reopen: PendingReopen = { slot, wakeTick: -1, wake: () => this.fire(reopen) };
    this.pending.set(slot, reopen);
    // Even `immediate` waits for the next tick: a client that fails synchronously must not recurse through onEnd.
    this.host.wheel.schedule(reopen, performance.now() + delay);
  }

  /** Stop everything (the worker is stopping): no more reopens. */
  stop(): void {
    for (const slot of [...this.pending.keys()]) this.cancel(slot);
    this.openUntil.clear();
    this.watching.clear();
  }

  private fire(reopen: PendingReopen): void {
    const { slot } = reopen;
    if (this.pending.get(slot) !== reopen) return;
    this.pending.delete(slot);
    const until = this.openUntil.get(slot);
    if (until === undefined || this.host.runMs() >= until) return;
    this.attempts.set(slot, (this.attempts.get(slot) ?? 0) + 1);
    this.host.recorder.reconnect('started');
    this.host.reopen(slot);
  }

  private established(slot: number, backend: string, isReconnect: boolean): void {
    const previous = this.lastBackend.get(slot);
    this.lastBackend.set(slot, backend);
    if (!isReconnect || previous === undefined || previous === 'unknown' || backend === 'unknown') return;
    this.host.recorder.reconnect(previous === backend ? 'returned' : 'moved');
  }

  private cancel(slot: number): void {
    const p = this.pending.get(slot);
    if (p === undefined) return;
    this.host.wheel.cancel(p);
    this.pending.delete(slot);
  }
}
