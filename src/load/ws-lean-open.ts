/**
 * The open connection's side of the lean ws client (ws-lean.ts, which extends it): the echo sender on the open-loop
 * schedule (the measured message written straight into its frame), round trips, losses, attribution by the first
 * frame, and what a flow writes through (FlowTransport). Apart from the connection's lifecycle only so that neither
 * file grows past what one reads at once; one object per connection all the same.
 */
import { performance } from 'node:perf_hooks';
import { parseHello } from '../backend/identity.js';
import { seqFromBuffer } from './messages.js';
import { MAX_SENDS_PER_WAKE, expireOutstanding, recordRoundTrip, skipOverdue, type InFlight } from './send-schedule.js';
import type { FlowDriver } from './flow/driver.js';
import type { FlowTransport } from './flow/core.js';
import type { Wakeable } from './wheel.js';
import type { ClientContext, ClientState } from './ws-client.js';
import { OP_BINARY, OP_TEXT, encodeFrame } from '../wsproto/frame.js';
import { echoFrame, echoLength, type LeanSocket } from './ws-lean-io.js';

const HELLO_HEAD = Buffer.from('{"wsherd":"hello"', 'latin1');

export abstract class LeanOpen implements FlowTransport, Wakeable {
  readonly kind = 'ws';
  wakeTick = -1;
  state: ClientState = 'idle';
  /** Backend id once attributed ('unknown' when the target does not say). */
  backend: string | undefined = undefined;
  protected socket: LeanSocket | undefined = undefined;
  protected attributeBy = 0;
  protected nextSendAt = Infinity;
  protected seq = 0;
  protected outstanding: Map<number, InFlight> | undefined = undefined;
  /** Our close frame went (or the server's was answered): nothing more is written. */
  protected closeSent = false;
  protected flow: FlowDriver | undefined = undefined;

  constructor(
    protected readonly ctx: ClientContext,
    /** The slot this client serves (for the worker's bookkeeping). */
    readonly slot: number,
  ) {}

  /** The planned close (behavior.close). */
  abstract close(): void;
  abstract wake(now: number): void;

  protected wakeOpen(now: number): void {
    if (this.backend === undefined && now >= this.attributeBy) this.attribute('unknown');
    if (this.flow !== undefined) {
      this.flow.wake(now);
      this.scheduleOpen();
      return;
    }
    for (let i = 0; i < MAX_SENDS_PER_WAKE && now >= this.nextSendAt; i++) this.send(now);
    this.nextSendAt = skipOverdue(this.ctx.recorder, this.nextSendAt, now, 1000 / this.ctx.behavior.messagesPerSecond);
    expireOutstanding(this.ctx.recorder, this.outstanding, now, this.ctx.behavior.messageTimeoutMs);
    this.scheduleOpen();
  }

  protected scheduleOpen(): void {
    let next = this.flow === undefined ? this.nextSendAt : this.flow.nextAt();
    if (this.backend === undefined) next = Math.min(next, this.attributeBy);
    const out = this.outstanding;
    if (out !== undefined) {
      for (const m of out.values()) {
        next = Math.min(next, m.sentAt + this.ctx.behavior.messageTimeoutMs);
        break;
      }
    }
    if (next !== Infinity) this.ctx.wheel.schedule(this, next);
  }

  /** The measured message, written straight into its frame. */
  private send(now: number): void {
    const socket = this.socket;
    // After the server's close frame our side is ending: nothing more leaves (ws drops such sends; WsClient still
    // counts them as sent, then lost; this client does not count what it did not send).
    if (!socket || this.closeSent) return;
    const { behavior, recorder } = this.ctx;
    const seq = this.seq++;
    // Timed at the write, not at the wake: a wake that sends for many clients takes a while, and the later writes in
    // it would otherwise carry that wait in their round trip. (`now`, the wake's time, only decides what is due.)
    (this.outstanding ??= new Map()).set(seq, { sentAt: Math.max(now, performance.now()), intendedAt: this.nextSendAt });
    socket.write(echoFrame(seq, behavior.payloadBytes));
    recorder.count('messagesSent');
    recorder.count('bytesSent', echoLength(seq, behavior.payloadBytes));
    this.nextSendAt += 1000 / behavior.messagesPerSecond;
  }


  protected attribute(id: string): void {
    this.backend = id;
    this.ctx.recorder.backendOpened(id);
  }

  /**
   * When the first measured message is due: a random phase within one interval, so clients opened together do not
   * send together; with behavior.send_during_ramp: false, not before the end of the ramp it opened in (sendsFrom).
   */
  protected firstSendAt(now: number): number {
    return (this.ctx.sendsFrom?.(now) ?? now) + Math.random() * (1000 / this.ctx.behavior.messagesPerSecond);
  }

  protected onMessage(data: Buffer): void {
    const { recorder } = this.ctx;
    recorder.count('bytesReceived', data.length);
    if (this.backend === undefined) {
      // The first frame decides attribution: a hello names the backend, anything else means 'unknown'.
      const hello = data[0] === 0x7b ? parseHello(data.toString('utf8')) : undefined;
      this.attribute(hello ?? 'unknown');
      if (hello !== undefined) return;
    }
    if (this.flow !== undefined) {
      // The reference backends' hello (attribution) is not one of the application's frames.
      if (data.length >= HELLO_HEAD.length && data.compare(HELLO_HEAD, 0, HELLO_HEAD.length, 0, HELLO_HEAD.length) === 0) return;
      this.flow.onFrame(data, performance.now());
      if (this.state === 'open') this.scheduleOpen();
      return;
    }
    const seq = seqFromBuffer(data);
    if (seq < 0) {
      recorder.count('framesOther');
      return;
    }
    const sent = this.outstanding?.get(seq);
    if (sent === undefined) return; // already counted lost
    (this.outstanding as Map<number, InFlight>).delete(seq);
    recorder.count('messagesReceived');
    recordRoundTrip(recorder, 'rtt', sent, performance.now());
  }

  // FlowTransport: how a flow writes.
  get writable(): boolean {
    return this.state === 'open' && this.socket !== undefined && !this.closeSent;
  }

  sendText(text: string): boolean {
    if (!this.writable) return false;
    this.socket?.write(encodeFrame(OP_TEXT, text, true));
    return true;
  }

  sendBinary(data: Buffer): boolean {
    if (!this.writable) return false;
    this.socket?.write(encodeFrame(OP_BINARY, data, true));
    return true;
  }

  emit(): boolean {
    return false;
  }

  closeFlow(): void {
    this.close();
  }

  reschedule(): void {
    if (this.state === 'open') this.scheduleOpen();
  }
}
