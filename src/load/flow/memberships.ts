/**
 * One client's topic memberships and the delivery accounting rule of src/metrics/flow-types.ts, applied on the
 * subscriber's side: a membership covers the run seconds s with from < s < to (from: the second it joined in;
 * to: the second of its end − delivery_timeout). A receipt whose publish second is already known to be covered
 * (s < second(now − delivery_timeout), since the end is not before now) is accounted at once; a later one waits in
 * a small per-second pending map until that holds, or until the membership ends and `to` is known.
 * Publishers count their own publishes per second while they are members of the topic, so that a publisher that is
 * also a subscriber is not expected to receive itself (selfExpected).
 */
import type { FlowRecorder } from '../../metrics/flow-recorder.js';
import { stampSecond, type Stamp } from './stamp.js';

interface Membership {
  from: number;
  /** Receipts not settled yet: publish second → publisher backend → count. */
  pending: Map<number, Map<string, number>> | undefined;
  /** Smallest second in `pending` (Infinity when empty). */
  minPending: number;
  /** This client's own publishes to the topic while a member: second → count. */
  own: Map<number, number> | undefined;
  /** Backend of those own publishes. */
  ownBackend: string;
}

export const pairKey = (topic: string, pubBackend: string, subBackend: string): string => `${topic}\t${pubBackend}\t${subBackend}`;

export class Memberships {
  private readonly topics = new Map<string, Membership>();

  constructor(
    private readonly rec: FlowRecorder,
    /** Epoch ms of the run's second 0. */
    private readonly startAt: number,
    private readonly deliveryTimeoutMs: number,
    /** The client's slot: its own publishes coming back are `self`. */
    private readonly client: number,
  ) {}

  get size(): number {
    return this.topics.size;
  }

  has(topic: string): boolean {
    return this.topics.has(topic);
  }

  join(topic: string, nowUs: number): void {
    if (this.topics.has(topic)) return;
    this.topics.set(topic, { from: stampSecond(nowUs, this.startAt), pending: undefined, minPending: Infinity, own: undefined, ownBackend: '' });
  }

  /** The publisher's side: one publish of its own to `topic` in second `second` (counted in published by the caller). */
  ownPublish(topic: string, second: number, backend: string): void {
    const m = this.topics.get(topic);
    if (m === undefined) return;
    const own = (m.own ??= new Map());
    own.set(second, (own.get(second) ?? 0) + 1);
    m.ownBackend = backend;
  }

  /** A stamped frame received at `nowUs` by this client (on `backend`). */
  receive(stamp: Stamp, nowUs: number, backend: string): void {
    const rec = this.rec;
    rec.delivery('received');
    const latencyUs = nowUs - stamp.sentUs;
    rec.deliveryLatency(latencyUs);
    if (latencyUs > this.deliveryTimeoutMs * 1000) rec.delivery('late');
    if (stamp.client === this.client) {
      rec.delivery('self');
      return;
    }
    const m = this.topics.get(stamp.topic);
    if (m === undefined) {
      rec.delivery('stray');
      return;
    }
    const s = stampSecond(stamp.sentUs, this.startAt);
    if (s <= m.from) {
      rec.delivery('early');
      return;
    }
    const settled = stampSecond(nowUs - this.deliveryTimeoutMs * 1000, this.startAt);
    if (m.minPending < settled) this.settle(stamp.topic, m, settled, backend, false);
    if (s < settled) {
      let key = stamp.keys?.get(backend);
      if (key === undefined) (stamp.keys ??= new Map()).set(backend, (key = pairKey(stamp.topic, stamp.backend, backend)));
      rec.accountedReceipts(key);
      return;
    }
    const pending = (m.pending ??= new Map());
    let byBackend = pending.get(s);
    if (byBackend === undefined) pending.set(s, (byBackend = new Map()));
    byBackend.set(stamp.backend, (byBackend.get(stamp.backend) ?? 0) + 1);
    if (s < m.minPending) m.minPending = s;
  }

  /** Accounts the pending receipts with s < `bound`; at the end (`final`) the rest are unaccounted. */
  private settle(topic: string, m: Membership, bound: number, backend: string, final: boolean): void {
    if (m.pending === undefined) return;
    let min = Infinity;
    for (const [s, byBackend] of m.pending) {
      if (s < bound) {
        for (const [pub, n] of byBackend) this.rec.accountedReceipts(pairKey(topic, pub, backend), n);
        m.pending.delete(s);
      } else if (final) {
        for (const n of byBackend.values()) this.rec.delivery('unaccounted', n);
        m.pending.delete(s);
      } else if (s < min) {
        min = s;
      }
    }
    m.minPending = min;
  }

  /** The membership of `topic` ends now (a leave step, or the connection's end). */
  leave(topic: string, nowUs: number, backend: string): void {
    const m = this.topics.get(topic);
    if (m === undefined) return;
    this.topics.delete(topic);
    const to = stampSecond(nowUs - this.deliveryTimeoutMs * 1000, this.startAt);
    this.settle(topic, m, to, backend, true);
    this.rec.membershipEnded(topic, backend, m.from, to);
    if (m.own !== undefined) {
      let n = 0;
      for (const [s, c] of m.own) if (s > m.from && s < to) n += c;
      this.rec.selfExpectedPublishes(pairKey(topic, m.ownBackend, backend), n);
    }
  }

  /** Every membership ends (the connection's end, the worker's stop). */
  endAll(nowUs: number, backend: string): void {
    for (const topic of [...this.topics.keys()]) this.leave(topic, nowUs, backend);
  }
}
