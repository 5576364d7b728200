/**
 * What every flow client does whatever drives it (declarative steps, steps.ts, or a script, script.ts): count and
 * classify each received frame once, match correlated answers by id, time deliveries by their stamp and account
 * them to memberships, and keep the waits (expect, on, acks, sleeps) on the worker's timer wheel.
 *
 * A received frame costs one Buffer.indexOf for the stamp; it is decoded to text or parsed as JSON only when
 * something asks for it (a correlated request in flight, a wait with a path or regex, behavior.frames.type), and
 * then at most once.
 */
import { performance } from 'node:perf_hooks';
import type { Recorder } from '../../metrics/recorder.js';
import type { FlowRecorder } from '../../metrics/flow-recorder.js';
import { getPath, setPath } from '../../scenario/json-path.js';
import { recordRoundTrip } from '../send-schedule.js';
import { encodeStamp, findStampInBuffer, nowUs, stampSecond, findStamp, STAMP_PREFIX } from './stamp.js';
import { Memberships } from './memberships.js';
import type { FlowContext } from './context.js';
import type { FrameView, RenderVars } from './compile.js';

/** How a flow writes to its connection (the engine's side: WsClient, SocketIoClient). */
export interface FlowTransport {
  readonly kind: 'ws' | 'socketio';
  readonly backend: string | undefined;
  /** Whether the connection is open for writing. */
  readonly writable: boolean;
  sendText(text: string): boolean;
  sendBinary(data: Buffer): boolean;
  /** socketio only (ws: false). `ack`: called with the acknowledgement's arguments. */
  emit(event: string, args: unknown[], ack: ((...values: unknown[]) => void) | undefined): boolean;
  /** The planned close (behavior.close). */
  closeFlow(): void;
  /** The flow's next wake changed outside a wake (a frame, a promise): reschedule on the wheel. */
  reschedule(): void;
}

/** A wait for a frame (ws), an event (socketio) or a time. */
export interface Waiter {
  deadline: number;
  /** undefined: any frame; else the socketio event name. For sleeps: never called. */
  event: string | undefined;
  sleep: boolean;
  /** Whether the frame satisfies it. */
  test(f: FrameView): boolean;
  /** Matched (`value`: what the waiter wanted), or timed out (`timedOut`). */
  done(now: number, timedOut: boolean, f: FrameView | undefined): void;
}

/** A correlated request or an emit with ack in flight. */
interface Pending {
  sentAt: number;
  intendedAt: number;
  deadline: number;
  step: string;
  named: boolean;
  ack: boolean;
  /** Topic joined when it is answered (a `join:` on the step). */
  join: string | undefined;
  resolve: ((value: unknown) => void) | undefined;
}

const NO_JSON = Symbol('no-json');

export class FlowCore implements FrameView {
  readonly vars: RenderVars;
  readonly rec: FlowRecorder;
  readonly memberships: Memberships;
  readonly waiters: Waiter[] = [];
  private pending: Map<string, Pending> | undefined;
  private nextExpiry = Infinity;
  /** The counter behind {{ seq }} and correlation ids. */
  seq = 0;
  ended = false;
  // The frame being handled: its bytes or event argument, and its text / JSON once computed.
  private buf: Buffer | undefined;
  private arg: unknown;
  private textCache: string | undefined;
  private jsonCache: unknown = NO_JSON;

  constructor(
    readonly fctx: FlowContext,
    readonly recorder: Recorder,
    readonly slot: number,
    readonly transport: FlowTransport,
  ) {
    this.rec = recorder.flow;
    const role = fctx.roleOf(slot);
    this.vars = { client: slot, group: fctx.groupOf(slot), seq: 0, stamp: '', ...(role === undefined ? {} : { role }), ...(fctx.rowOf(slot) === undefined ? {} : { data: fctx.rowOf(slot) }) };
    this.memberships = new Memberships(this.rec, fctx.startAt, fctx.deliveryTimeoutMs, slot);
  }

  get backend(): string {
    return this.transport.backend ?? 'unknown';
  }

  // FrameView over the current frame.
  text(): string {
    if (this.textCache === undefined) {
      const a = this.arg;
      this.textCache = this.buf !== undefined ? this.buf.toString('utf8') : typeof a === 'string' ? a : a === undefined ? '' : safeStringify(a);
    }
    return this.textCache;
  }

  json(): unknown {
    if (this.jsonCache === NO_JSON) {
      if (this.buf === undefined) {
        this.jsonCache = this.arg;
      } else {
        const c = this.buf[0];
        // Only a frame that starts like a JSON object or array is parsed: a text frame is not JSON by accident.
        this.jsonCache = undefined;
        if (c === 0x7b || c === 0x5b) {
          try {
            this.jsonCache = JSON.parse(this.text());
          } catch {
            this.jsonCache = undefined;
          }
        }
      }
    }
    return this.jsonCache as unknown;
  }

  /** ws: one received frame (the hello of a reference backend already taken out). */
  onFrame(data: Buffer, now: number): void {
    if (this.ended) return;
    this.buf = data;
    this.arg = undefined;
    this.textCache = undefined;
    this.jsonCache = NO_JSON;
    const stamp = findStampInBuffer(data);
    if (stamp !== undefined) this.memberships.receive(stamp, nowUs(), this.backend);
    this.classify(undefined, now);
    this.buf = undefined;
  }

  /**
   * socketio: one received packet's text, scanned for a delivery stamp as it arrives. Not at the event: socket.io
   * hands decoded events on a tick later, so several packets of one read arrive before their events and an event
   * cannot be paired with its packet by order (acks and connects are packets without an event).
   */
  onPacket(raw: string): void {
    if (this.ended || !raw.includes(STAMP_PREFIX)) return;
    const stamp = findStamp(raw);
    if (stamp !== undefined) this.memberships.receive(stamp, nowUs(), this.backend);
  }

  /** socketio: one received event (its stamp, if any, was counted by onPacket). */
  onEvent(event: string, arg: unknown, now: number): void {
    if (this.ended) return;
    this.buf = undefined;
    this.arg = arg;
    this.textCache = undefined;
    this.jsonCache = NO_JSON;
    this.classify(event, now);
    this.arg = undefined;
  }

  private classify(event: string | undefined, now: number): void {
    let solicited = false;
    const correlate = this.fctx.correlate;
    if (correlate !== undefined && event === undefined && this.pending !== undefined && this.pending.size > 0) {
      const id = getPath(this.json(), correlate.receive);
      if (typeof id === 'string' || typeof id === 'number') solicited = this.answered(String(id), now, true);
    }
    for (let i = 0; i < this.waiters.length; i++) {
      const w = this.waiters[i] as Waiter;
      if (w.sleep || w.event !== event || !w.test(this)) continue;
      this.waiters.splice(i, 1);
      solicited = true;
      w.done(now, false, this);
      break;
    }
    const typePath = this.fctx.framesType;
    let type: string | null | undefined;
    if (typePath !== undefined) {
      const t = getPath(this.json(), typePath);
      type = t === undefined || t === null ? null : typeof t === 'string' ? t : safeStringify(t);
    }
    this.rec.frame(solicited, type);
  }

  /** A correlated answer or an ack for `key`; false when nothing waits for it (answered already, or lost). */
  private answered(key: string, now: number, isFrame: boolean): boolean {
    const p = this.pending?.get(key);
    if (p === undefined) return false;
    this.pending?.delete(key);
    const { recorder } = this;
    recorder.count('messagesReceived');
    recordRoundTrip(recorder, p.ack ? 'ack' : 'rtt', p, now);
    if (p.named) this.rec.stepOk(p.step, (now - p.sentAt) * 1000);
    if (p.join !== undefined) this.memberships.join(p.join, nowUs());
    p.resolve?.(isFrame ? this.json() ?? this.text() : undefined);
    return true;
  }

  /** Renders a JSON value, sets the correlation id when asked, and sends it; the id, or undefined. */
  sendJson(value: unknown, correlated: boolean): { ok: boolean; id: string | undefined } {
    const c = this.fctx.correlate;
    let id: string | undefined;
    let v = value;
    if (correlated && c !== undefined) {
      const there = getPath(v, c.send);
      if (there === undefined) {
        id = `${this.slot}-${this.vars.seq}`;
        v = setPath(v, c.send, id);
      } else {
        id = String(there as string);
      }
    }
    return { ok: this.sendText(JSON.stringify(v)), id };
  }

  sendText(text: string): boolean {
    if (!this.transport.writable || !this.transport.sendText(text)) return false;
    this.recorder.count('messagesSent');
    this.recorder.count('bytesSent', Buffer.byteLength(text));
    return true;
  }

  sendBinary(data: Buffer): boolean {
    if (!this.transport.writable || !this.transport.sendBinary(data)) return false;
    this.recorder.count('messagesSent');
    this.recorder.count('bytesSent', data.length);
    return true;
  }

  /** socketio: emits an event (ws: false, nothing sent). */
  emit(event: string, args: unknown[], ack: ((...values: unknown[]) => void) | undefined): boolean {
    if (!this.transport.writable || !this.transport.emit(event, args, ack)) return false;
    this.recorder.count('messagesSent');
    return true;
  }

  /** A correlated request or an ack now in flight. */
  track(key: string, p: Omit<Pending, 'deadline'>, timeoutMs: number): void {
    const deadline = p.sentAt + timeoutMs;
    (this.pending ??= new Map()).set(key, { ...p, deadline });
    if (deadline < this.nextExpiry) this.nextExpiry = deadline;
  }

  /** socketio: an ack arrived for `key`. */
  acked(key: string, value: unknown): void {
    if (this.ended) return;
    const p = this.pending?.get(key);
    if (p === undefined) return;
    const now = performance.now();
    // The ack is a frame too: the answer to the emit.
    this.rec.frame(true, undefined);
    const resolve = p.resolve;
    p.resolve = undefined;
    this.answered(key, now, false);
    resolve?.(value);
    this.transport.reschedule();
  }

  /** The stamp a publish to `topic` carries now; counts the publish. */
  stampFor(topic: string): string {
    const sentUs = nowUs();
    const second = stampSecond(sentUs, this.fctx.startAt);
    const backend = this.backend;
    this.rec.publish(second, topic, backend);
    this.memberships.ownPublish(topic, second, backend);
    return encodeStamp({ sentUs, client: this.slot, seq: this.vars.seq, backend, topic });
  }

  /** Expires waits and requests due by `now`. */
  expire(now: number): void {
    if (this.waiters.length > 0) {
      for (let i = 0; i < this.waiters.length; ) {
        const w = this.waiters[i] as Waiter;
        if (w.deadline > now) {
          i++;
          continue;
        }
        this.waiters.splice(i, 1);
        w.done(now, true, undefined);
      }
    }
    if (now >= this.nextExpiry && this.pending !== undefined) {
      let next = Infinity;
      let lost = 0;
      for (const [key, p] of this.pending) {
        if (p.deadline > now) {
          if (p.deadline < next) next = p.deadline;
          continue;
        }
        this.pending.delete(key);
        lost++;
        this.rec.stepError(p.step, 'timeout');
        p.resolve?.(undefined);
      }
      this.nextExpiry = next;
      if (lost > 0) this.recorder.count('messagesLost', lost);
    }
  }

  nextAt(): number {
    let next = this.nextExpiry;
    for (const w of this.waiters) if (w.deadline < next) next = w.deadline;
    return next;
  }

  /** The connection ended: requests in flight are lost, memberships end. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    const lost = this.pending?.size ?? 0;
    if (lost > 0) this.recorder.count('messagesLost', lost);
    this.pending = undefined;
    // Waits cut short by the end are neither met nor failed: the flow simply stops (a script's promise never settles).
    this.waiters.length = 0;
    this.memberships.endAll(nowUs(), this.backend);
  }
}

function safeStringify(v: unknown): string {
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}
