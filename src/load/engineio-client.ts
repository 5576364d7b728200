/**
 * wsherd's own Engine.IO v4 probe (engine `engineio`): a socket.io session made by hand, so that every HTTP
 * request of it can be attributed to the backend that answered it.
 *
 *   handshake GET → `40` POST + GET polls (socket.io connect acked: established) → pollsBeforeUpgrade echo
 *   rounds on polling → WebSocket upgrade (2probe / 3probe / 5) → echo-with-ack at messagesPerSecond → close
 *   (`41`, `1`) → optionally one more handshake with the same cookies and address (reconnectCheck).
 *
 * Every request is counted `req_<kind>` when sent and, if it carried a sid, once more when it ends: `misroute_<kind>`
 * (refused "Session ID unknown", or answered by another backend than the sid's issuer) or `unanswered_<kind>`. A
 * refused poll or post breaks the session (`unknown_sid_<kind>`); a refused upgrade does not — the session carries on
 * on polling (`upgrade_failed`), as socket.io-client's does. An ended session sends nothing more but waits for the
 * answers to what it had in flight (end()), so its counts are the servers' own. Deadlines
 * (establishment, next send, message expiry, upgrade probe, close) go through the worker's TimerWheel; each HTTP
 * request carries its own socket timeout, so nothing can hang past the run's deadline either way.
 */
import { performance } from 'node:perf_hooks';
import type { Wakeable } from './wheel.js';
import type { LoadClient } from './client.js';
import { CLOSE_WAIT_MS, type ClientContext } from './ws-client.js';
import { CANCELLED, CONNECT_TIMEOUT, HANDSHAKE_TIMEOUT } from './classify.js';
import { encodeMessageFast } from './messages.js';
import { requestErrorCode, type EioResponse } from './engineio-http.js';
import {
  EIO_CLOSE, EIO_ERR_BAD_REQUEST, EIO_ERR_UNKNOWN_TRANSPORT, EIO_PING, EIO_PONG, SIO_CONNECT, SIO_DISCONNECT,
  decodePayload, describeAnswer, encodeEcho, errorCode, parseOpen, parseSio, pollingBase,
} from './engineio-protocol.js';
import { EngineIoTransports, backendOf } from './engineio-transports.js';
import { clientQueryText } from './client-templates.js';
import { MAX_SENDS_PER_WAKE, recordRoundTrip, skipOverdue, type InFlight } from './send-schedule.js';

export type { EioTransport } from './engineio-transports.js';

export class EngineIoClient extends EngineIoTransports implements Wakeable, LoadClient {
  /** What a target that is not Engine.IO answered ("404 text/html: <!DOCTYPE…"), for the run's first failure. */
  detail: string | undefined = undefined;
  wakeTick = -1;
  private startedAt = 0;
  /** Establishment deadline, then the close deadline (performance.now() ms). */
  private deadline = 0;
  private nextSendAt = Infinity;
  private seq = 0;
  private readonly outstanding = new Map<number, InFlight>();
  /** Echo rounds on polling still to make before the upgrade, and the ack id of the current one. */
  private roundsLeft = 0;
  private probeSeq = -1;
  private released = false;
  /** The session is over and waits (until `deadline`) for the answers to what it had in flight. */
  private ending = false;

  constructor(
    ctx: ClientContext,
    readonly slot: number,
  ) {
    super(ctx, slot);
  }

  start(url: string, localAddress?: string): void {
    if (this.state !== 'idle') return;
    const { recorder, behavior } = this.ctx;
    this.state = 'connecting';
    recorder.count('attempted');
    recorder.session('attempted');
    this.startedAt = performance.now();
    this.deadline = this.startedAt + behavior.connectTimeoutMs + behavior.handshakeTimeoutMs;
    this.ctx.wheel.schedule(this, this.deadline);
    this.localAddress = localAddress || undefined;
    try {
      this.base = pollingBase(url, this.opts.path);
      // The target's own parameters stay (as socket.io-client keeps them), then the client's behavior.query.
      this.query = [new URL(url).search.slice(1), clientQueryText(this.ctx, this.slot)].filter((q) => q !== '').join('&');
    } catch {
      this.fail('invalid_url');
      return;
    }
    this.handshake((err, res) => this.onHandshake(err, res));
  }

  close(): void {
    if (this.state === 'idle' || this.state === 'connecting' || this.state === 'handshaking') {
      this.fail(CANCELLED);
      return;
    }
    if (this.state !== 'open') return;
    this.state = 'closing';
    this.nextSendAt = Infinity;
    this.deadline = performance.now() + CLOSE_WAIT_MS;
    this.ctx.wheel.schedule(this, this.deadline);
    this.closeSent = true;
    if (this.transport === 'websocket' && this.ws) {
      this.ws.send(SIO_DISCONNECT);
      this.ws.send(EIO_CLOSE);
      this.ws.close(1000);
      return;
    }
    this.dropWs(); // an upgrade in progress is abandoned: the session ends on polling
    this.upgrade = 'failed';
    this.send(SIO_DISCONNECT);
    this.send(EIO_CLOSE);
  }

  terminate(): void {
    if (this.state === 'open' || this.state === 'closing') {
      if (!this.closeDone) this.countClean();
    } else if (this.state !== 'closed') this.fail(CANCELLED);
    this.release();
  }

  wake(now: number): void {
    switch (this.state) {
      case 'connecting':
      case 'handshaking':
        if (now >= this.deadline) this.fail(this.state === 'connecting' ? CONNECT_TIMEOUT : HANDSHAKE_TIMEOUT);
        else this.reschedule();
        return;
      case 'open':
        for (let i = 0; i < MAX_SENDS_PER_WAKE && now >= this.nextSendAt; i++) this.sendEcho(false);
        this.nextSendAt = skipOverdue(this.ctx.recorder, this.nextSendAt, now, 1000 / this.ctx.behavior.messagesPerSecond);
        this.expire(now);
        if ((this.upgrade === 'probing' || this.upgrade === 'paused') && now >= this.probeDeadline) this.upgradeFailed('stuck_polling');
        this.reschedule();
        return;
      case 'closing':
        if (now < this.deadline) this.reschedule();
        else if (!this.closeDone) this.finishClose();
        else this.end();
        return;
      case 'closed':
        if (!this.ending || this.released) return;
        if (now >= this.deadline) this.release();
        else this.ctx.wheel.schedule(this, this.deadline);
        return;
      default:
        return;
    }
  }

  private reschedule(): void {
    let next = this.deadline;
    if (this.state === 'open') {
      next = Math.min(this.nextSendAt, this.probeDeadline);
      for (const m of this.outstanding.values()) {
        next = Math.min(next, m.sentAt + this.ctx.behavior.messageTimeoutMs);
        break;
      }
    }
    if (next !== Infinity) this.ctx.wheel.schedule(this, next);
  }

  private onHandshake(err: unknown, res: EioResponse | undefined): void {
    if (this.state !== 'connecting') return;
    if (!res) return this.fail(requestErrorCode(err));
    const eio = res.status === 200 ? parseOpen(decodePayload(res.body)[0] ?? '') : undefined;
    if (!eio) {
      const code = errorCode(res.body);
      if (res.status === 400 && (code === EIO_ERR_UNKNOWN_TRANSPORT || code === EIO_ERR_BAD_REQUEST)) return this.fail('polling_refused');
      this.detail = describeAnswer(res.status, res.headers['content-type'], res.body);
      // A 5xx is the balancer's or the server's own failure (e.g. 503 no backend): it says nothing about what sits behind.
      if (res.status >= 500) return this.fail(`http_${res.status}`, `${this.base?.origin ?? ''}${this.base?.pathname ?? ''} answered ${this.detail}`);
      return this.fail('not_socketio', `${this.base?.origin ?? ''}${this.base?.pathname ?? ''} answered ${this.detail}`);
    }
    this.eio = eio;
    this.issuer = backendOf(res);
    this.backend = this.issuer ?? 'unknown';
    // The Engine.IO session exists from here (a sid was issued); the app's connection only once socket.io's
    // connect is acknowledged (counters.established). A misroute in between breaks a session the app never saw open.
    this.ctx.recorder.session('established');
    this.state = 'handshaking';
    this.send(SIO_CONNECT);
    this.poll();
  }

  // ---- packets ----

  protected handlePacket(p: string): void {
    switch (p[0]) {
      case EIO_PING:
        this.send(EIO_PONG);
        return;
      case EIO_CLOSE:
        this.broken('closed_by_server');
        return;
      case '4':
        this.handleSio(p);
        return;
      default:
        return; // pong, noop (a poll released for the upgrade), a stray open
    }
  }

  private handleSio(p: string): void {
    const s = parseSio(p);
    switch (s.kind) {
      case 'connect':
        if (this.state === 'handshaking') this.established();
        return;
      case 'connect_error':
        this.broken(`connect_error_${s.reason}`);
        return;
      case 'disconnect':
        this.broken('server_disconnect');
        return;
      case 'ack':
        this.onAck(s.id);
        return;
      default:
        return;
    }
  }

  private established(): void {
    const { recorder, behavior } = this.ctx;
    this.state = 'open';
    this.openedAt = performance.now();
    recorder.count('established');
    recorder.backendOpened(this.backend ?? 'unknown');
    recorder.record('connect', (this.openedAt - this.startedAt) * 1000);
    if (behavior.messagesPerSecond > 0) this.nextSendAt = (this.ctx.sendsFrom?.(this.openedAt) ?? this.openedAt) + Math.random() * (1000 / behavior.messagesPerSecond);
    this.roundsLeft = this.opts.pollsBeforeUpgrade;
    if (this.roundsLeft > 0) this.sendEcho(true);
    else this.startUpgrade();
    this.reschedule();
  }

  private sendEcho(probe: boolean): void {
    const { recorder, behavior } = this.ctx;
    const seq = ++this.seq;
    const now = performance.now();
    // A probe's echo is outside the schedule: it is due when it leaves.
    this.outstanding.set(seq, { sentAt: now, intendedAt: probe ? now : this.nextSendAt });
    if (probe) this.probeSeq = seq;
    else this.nextSendAt += 1000 / behavior.messagesPerSecond;
    recorder.count('messagesSent');
    this.send(encodeEcho(seq, encodeMessageFast(seq, behavior.payloadBytes)));
  }

  private onAck(id: number): void {
    const sent = this.outstanding.get(id);
    if (sent === undefined) return;
    this.outstanding.delete(id);
    this.ctx.recorder.count('messagesReceived');
    recordRoundTrip(this.ctx.recorder, 'ack', sent, performance.now());
    if (id === this.probeSeq) this.roundDone();
  }

  private roundDone(): void {
    this.probeSeq = -1;
    if (this.state !== 'open') return;
    if (--this.roundsLeft > 0) this.sendEcho(true);
    else this.startUpgrade();
  }

  private expire(now: number): void {
    const timeout = this.ctx.behavior.messageTimeoutMs;
    let lost = 0;
    let probeLost = false;
    for (const [seq, m] of this.outstanding) {
      if (now - m.sentAt < timeout) break;
      this.outstanding.delete(seq);
      if (seq === this.probeSeq) probeLost = true;
      lost++;
    }
    if (lost > 0) this.ctx.recorder.count('messagesLost', lost);
    if (probeLost) this.roundDone();
  }

  // ---- ends ----

  private countClean(): void {
    this.closeDone = true;
    this.ctx.recorder.count('closedClean');
    this.ctx.recorder.session(`ended_${this.transport}`);
    this.loseOutstanding();
  }

  protected finishClose(): void {
    if (this.state !== 'closing' || this.closeDone) return;
    this.countClean();
    // What is still in flight (the poll the server answers on close) stays to be counted; nothing new is sent.
    this.detachIo();
    if (this.opts.reconnectCheck) this.reconnect();
    else this.end();
  }

  /** Affinity check: one more handshake with the session's cookies and address; then the session ends. */
  private reconnect(): void {
    const first = this.backend;
    this.eio = undefined;
    this.deadline = performance.now() + this.ctx.behavior.connectTimeoutMs + CLOSE_WAIT_MS;
    this.ctx.wheel.schedule(this, this.deadline);
    this.handshake((_err, res) => {
      const eio = res && res.status === 200 ? parseOpen(decodePayload(res.body)[0] ?? '') : undefined;
      if (!res || !eio) {
        this.ctx.recorder.error('reconnect_failed');
        return this.end();
      }
      this.ctx.recorder.session('reconnect');
      if ((backendOf(res) ?? 'unknown') === first) this.ctx.recorder.session('reconnect_same_backend');
      // Close the probe session at once rather than leave it to the server's ping timeout.
      this.eio = eio;
      this.issuer = backendOf(res);
      const req = this.request('post', 'POST', EIO_CLOSE, this.ctx.behavior.connectTimeoutMs, () => {
        if (this.postReq === req) this.end();
      });
      this.postReq = req;
    });
  }

  protected broken(code: string): void {
    if (this.state === 'closed') return;
    if (this.state === 'handshaking') this.ctx.recorder.session('broken');
    if (this.state === 'connecting' || this.state === 'handshaking') return this.fail(code);
    if (this.state === 'closing') {
      // Already ending as planned: whatever fails now (the server closing the polling session) is the end.
      if (!this.closeDone) this.finishClose();
      return;
    }
    const { recorder } = this.ctx;
    recorder.count('dropped');
    recorder.error(code);
    recorder.session('broken');
    recorder.session(`ended_${this.transport}`);
    this.loseOutstanding();
    this.end();
  }

  private fail(code: string, sample?: string): void {
    if (this.state === 'closed') return;
    this.ctx.recorder.count('failed');
    this.ctx.recorder.error(code, sample);
    this.end();
  }

  private loseOutstanding(): void {
    if (this.outstanding.size > 0) this.ctx.recorder.count('messagesLost', this.outstanding.size);
    this.outstanding.clear();
  }

  /**
   * The session is over (broken, failed, or closed as planned). A request already sent reaches a server, which
   * answers and logs it even if the client gives up on it: so nothing new is sent, and what is in flight is waited
   * for — each bounded by its own timeout and all by CLOSE_WAIT_MS — and counted (misrouted, or unanswered) before
   * the slot is released. A poll the right backend holds is typically what remains; a misrouted request is
   * refused at once.
   */
  private end(): void {
    if (this.released) return;
    this.state = 'closed';
    this.ending = true;
    this.nextSendAt = Infinity;
    this.probeDeadline = Infinity;
    this.detachIo();
    if (this.pending === 0) return this.release();
    this.deadline = performance.now() + CLOSE_WAIT_MS;
    this.ctx.wheel.schedule(this, this.deadline);
  }

  protected settled(): void {
    if (this.ending && !this.released && this.pending === 0) this.release();
  }

  private release(): void {
    if (this.released) return;
    this.released = true;
    this.state = 'closed';
    this.ctx.wheel.cancel(this);
    this.cancelIo();
    this.ctx.onEnd(this);
  }
}
