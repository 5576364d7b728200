/**
 * The `socketio` engine: the real socket.io-client, as an application uses it — long-polling first, then the
 * upgrade to WebSocket, cookies kept (withCredentials: the jar sends a balancer's cookie back on every poll and on
 * the upgrade), emits with acknowledgements. It reports what an application sees: connected or not, connect
 * time, time to upgrade, the transport a session ended on, connect_error and disconnect reasons, emit→ack time.
 * Every HTTP request it makes is counted too, through a tap on its own http.Agent (socketio-requests.ts): polls,
 * posts and the upgrade request, misrouted or not, with the engineio probe's definitions — so both engines' figures
 * can be set beside the servers' logs. A session that ends waits for what it had in flight (bounded by
 * CLOSE_WAIT_MS) before its slot is released, so that late answers are counted too.
 */
import type http from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Socket } from 'socket.io-client';
import type { LoadClient } from './client.js';
import { encodeMessageFast } from './messages.js';
import type { Wakeable } from './wheel.js';
import { ATTRIBUTION_WAIT_MS, CLOSE_WAIT_MS, type ClientContext, type ClientState } from './ws-client.js';
import { CANCELLED } from './classify.js';
import { clientQuery, queryOption } from './client-templates.js';
import { cookieHeader, openSocket, sessionAgent } from './socketio-connect.js';
import { EioRequestTap } from './socketio-requests.js';
import { classifyConnectError, describe, slug } from './socketio-errors.js';

export { classifyConnectError } from './socketio-errors.js';
import { MAX_SENDS_PER_WAKE, recordRoundTrip, skipOverdue, type InFlight } from './send-schedule.js';
import type { FlowTransport } from './flow/core.js';
import { startFlow, type FlowDriver } from './flow/driver.js';

export class SocketIoClient implements LoadClient, Wakeable, FlowTransport {
  readonly kind = 'socketio';
  state: ClientState = 'idle';
  backend: string | undefined = undefined;
  wakeTick = -1;
  private socket: Socket | undefined;
  private agent: http.Agent | undefined;
  private startedAt = 0;
  private openedAt = 0;
  private deadline = Infinity;
  private nextSendAt = Infinity;
  private attributeBy = Infinity;
  private upgradeBy = Infinity;
  private upgraded = false;
  private engineOpen = false;
  private engineOpenedAt = 0;
  private seq = 0;
  private readonly outstanding = new Map<number, InFlight>();
  private url = '';
  /** The target URL's own parameters and behavior.query, for socket.io-client's `query` (undefined: none added). */
  private query: Record<string, string> | undefined;
  private localAddress: string | undefined;
  /** The reconnect check: a second session with the same jar and address, compared with the first's backend. */
  private checking = false;
  private firstBackend: string | undefined;
  /** The backend the handshake's (or the 101's) `x-wsherd-backend` named, before socket.io's connect. */
  private headerBackend: string | undefined;
  private readonly tap: EioRequestTap;
  /** Ended, and waiting (until `drainBy`) for the answers to its requests in flight. */
  private released = false;
  private drainBy = Infinity;
  /** The running flow, once connected (behavior.flow / roles / script). */
  private flow: FlowDriver | undefined;

  constructor(
    private readonly ctx: ClientContext,
    readonly slot: number,
  ) {
    this.tap = new EioRequestTap(ctx.recorder, { onIdentity: (_kind, id) => this.onHeaderIdentity(id) });
  }

  /** The transport the session is on now (polling until the upgrade completes). */
  get transport(): 'polling' | 'websocket' {
    return this.socket?.io.engine?.transport?.name === 'websocket' ? 'websocket' : 'polling';
  }

  start(url: string, localAddress?: string): void {
    if (this.state !== 'idle') return;
    const { recorder, behavior } = this.ctx;
    this.state = 'connecting';
    this.url = url.replace(/^ws/, 'http');
    const query = clientQuery(this.ctx, this.slot);
    // engine.io-client ignores the `query` option when the URL has a query: all of it goes in the option, which it
    // encodes onto every poll and the upgrade.
    if (query !== undefined) ({ url: this.url, query: this.query } = queryOption(this.url, query));
    this.localAddress = localAddress || undefined;
    recorder.count('attempted');
    recorder.session('attempted');
    this.startedAt = performance.now();
    this.deadline = this.startedAt + behavior.connectTimeoutMs + behavior.handshakeTimeoutMs;
    this.schedule();
    this.open();
  }

  /** `cookie`: a Cookie header for the reconnect check (the first session's jar, which a new socket cannot share). */
  private open(cookie?: string): void {
    const target = { url: this.url, query: this.query, localAddress: this.localAddress };
    this.agent ??= this.tap.install(sessionAgent(this.ctx, this.slot, target));
    const socket = openSocket(this.ctx, this.slot, target, this.agent, cookie);
    this.socket = socket;
    // The Engine.IO session exists once its handshake issued a sid: the same point the engineio probe counts.
    socket.io.engine.on('open', () => {
      if (this.checking) return;
      this.engineOpen = true;
      this.engineOpenedAt = performance.now();
      this.ctx.recorder.session('established');
    });
    // upgrade_attempted is counted by the tap when the upgrade request leaves (engine.io-client's `upgrading` comes
    // only after a successful probe, so refused upgrades would never be counted as attempted).
    socket.io.engine.on('upgrade', () => this.onUpgrade());
    socket.io.engine.on('upgradeError', () => {
      // The session itself carries on on polling: not broken.
      if (!this.checking && this.state !== 'closed') this.ctx.recorder.session('upgrade_failed');
    });
    socket.on('connect', () => this.onConnect());
    socket.on('connect_error', (err: Error) => this.onConnectError(err));
    socket.on('disconnect', (reason: string, details?: unknown) => this.onDisconnect(reason, details));
    socket.on('hello', (h: { backend?: unknown }) => this.attribute(typeof h?.backend === 'string' ? h.backend : 'unknown'));
    if (this.ctx.flow !== undefined && !this.checking) {
      // engine.io hands each packet to 'packet' before socket.io decodes it into the event onAny sees.
      socket.io.engine.on('packet', (p: { type: string; data?: unknown }) => {
        if (p.type === 'message' && typeof p.data === 'string' && !this.checking) this.flow?.onPacket(p.data);
      });
      socket.onAny((event: string, ...args: unknown[]) => this.flowEvent(event, args[0]));
    }
  }

  private flowEvent(event: string, arg: unknown): void {
    // The reference backends' hello is attribution, not one of the application's frames.
    if (event === 'hello' || this.flow === undefined || this.checking) return;
    this.flow.onEvent(event, arg, performance.now());
    if (this.state === 'open') this.schedule();
  }

  // FlowTransport: how the flow writes.
  get writable(): boolean {
    return this.state === 'open' && this.socket?.connected === true;
  }

  sendText(text: string): boolean {
    this.socket?.send(text);
    return this.socket !== undefined;
  }

  sendBinary(data: Buffer): boolean {
    this.socket?.send(data);
    return this.socket !== undefined;
  }

  emit(event: string, args: unknown[], ack: ((...values: unknown[]) => void) | undefined): boolean {
    const socket = this.socket;
    if (socket === undefined) return false;
    if (ack === undefined) socket.emit(event, ...args);
    else socket.emit(event, ...args, ack);
    return true;
  }

  closeFlow(): void {
    this.close();
  }

  reschedule(): void {
    if (this.state === 'open') this.schedule();
  }

  close(): void {
    if (this.state === 'idle' || this.state === 'connecting' || this.state === 'handshaking') return this.fail(CANCELLED);
    if (this.state !== 'open') return;
    this.state = 'closing';
    this.endSession('clean');
  }

  /** Ends now, as the worker's stop or a slot reopening: an open session counts as a planned end (like ws). */
  terminate(): void {
    if (this.state === 'open') this.endSession('terminated');
    else if (this.state !== 'closing' && this.state !== 'closed') this.fail(CANCELLED);
    else this.release();
    this.finishRelease();
  }

  wake(now: number): void {
    if (this.state === 'closed') {
      if (!this.released && now >= this.drainBy) this.finishRelease();
      else if (!this.released) this.ctx.wheel.schedule(this, this.drainBy);
      return;
    }
    if (this.state === 'connecting' || this.state === 'handshaking') {
      if (now >= this.deadline) this.fail('timeout');
      else this.schedule();
      return;
    }
    if (this.state === 'closing') {
      if (now < this.deadline) this.schedule();
      else if (this.checking) this.finishCheck(undefined);
      else this.release();
      return;
    }
    if (this.state !== 'open') return;
    if (this.backend === undefined && now >= this.attributeBy) this.attribute('unknown');
    if (!this.upgraded && now >= this.upgradeBy) {
      // Not a failure: the session works on polling, but every message now costs an HTTP round trip.
      this.ctx.recorder.session('stuck_polling');
      this.upgradeBy = Infinity;
    }
    if (this.flow !== undefined) {
      this.flow.wake(now);
      this.schedule();
      return;
    }
    for (let i = 0; i < MAX_SENDS_PER_WAKE && now >= this.nextSendAt; i++) {
      this.emitEcho(now);
      this.nextSendAt += 1000 / this.ctx.behavior.messagesPerSecond;
    }
    this.nextSendAt = skipOverdue(this.ctx.recorder, this.nextSendAt, now, 1000 / this.ctx.behavior.messagesPerSecond);
    this.schedule();
  }

  private schedule(): void {
    const next = this.state === 'open' ? Math.min(this.flow === undefined ? this.nextSendAt : this.flow.nextAt(), this.attributeBy, this.upgradeBy) : this.deadline;
    if (next !== Infinity) this.ctx.wheel.schedule(this, next);
  }

  private onConnect(): void {
    // During the reconnect check the hello event (below) names the backend; connect alone does not.
    if (this.checking || this.state !== 'connecting') return;
    const { recorder, behavior } = this.ctx;
    this.state = 'open';
    this.openedAt = performance.now();
    recorder.count('established');
    recorder.record('connect', (this.openedAt - this.startedAt) * 1000);
    this.attributeBy = this.openedAt + ATTRIBUTION_WAIT_MS;
    if (this.headerBackend !== undefined) this.attribute(this.headerBackend);
    const wantsUpgrade = (behavior.session?.upgrade ?? true) && (behavior.session?.transports ?? ['polling', 'websocket']).includes('websocket');
    // On loopback the upgrade may complete before socket.io's connect: onUpgrade counted it already.
    if (wantsUpgrade && !this.upgraded && this.transport === 'polling') this.upgradeBy = this.openedAt + behavior.handshakeTimeoutMs;
    if (this.ctx.flow !== undefined) this.flow = startFlow(this.ctx.flow, recorder, this.slot, this, this.openedAt);
    else if (behavior.messagesPerSecond > 0) this.nextSendAt = (this.ctx.sendsFrom?.(this.openedAt) ?? this.openedAt) + Math.random() * (1000 / behavior.messagesPerSecond);
    this.schedule();
  }

  /** From the Engine.IO session opening on polling to the WebSocket taking over. */
  private onUpgrade(): void {
    if (this.upgraded || this.checking || this.state === 'closed') return;
    this.upgraded = true;
    this.upgradeBy = Infinity;
    this.ctx.recorder.session('upgraded');
    this.ctx.recorder.record('upgrade', (performance.now() - this.engineOpenedAt) * 1000);
  }

  private attribute(id: string): void {
    if (this.checking) {
      this.finishCheck(id);
      return;
    }
    if (this.backend !== undefined || this.state !== 'open') return;
    this.backend = id;
    this.attributeBy = Infinity;
    this.ctx.recorder.backendOpened(id);
  }

  /** `x-wsherd-backend` on the handshake (or the 101): the documented identity signal, as the ws engine honours it. */
  private onHeaderIdentity(id: string): void {
    if (this.checking) return this.finishCheck(id);
    if (this.state === 'connecting') this.headerBackend ??= id;
    else if (this.state === 'open') this.attribute(id);
  }

  private emitEcho(now: number): void {
    const socket = this.socket;
    if (!socket) return;
    const seq = this.seq++;
    const payload = encodeMessageFast(seq, this.ctx.behavior.payloadBytes);
    this.outstanding.set(seq, { sentAt: now, intendedAt: this.nextSendAt });
    this.ctx.recorder.count('messagesSent');
    this.ctx.recorder.count('bytesSent', payload.length);
    socket.timeout(this.ctx.behavior.messageTimeoutMs).emit('echo', payload, (err: Error | null, echoed: unknown) => {
      const sent = this.outstanding.get(seq);
      if (sent === undefined) return;
      this.outstanding.delete(seq);
      if (err) {
        this.ctx.recorder.count('messagesLost');
        return;
      }
      this.ctx.recorder.count('messagesReceived');
      if (typeof echoed === 'string') this.ctx.recorder.count('bytesReceived', echoed.length);
      recordRoundTrip(this.ctx.recorder, 'ack', sent, performance.now());
    });
  }

  private onConnectError(err: Error): void {
    if (this.checking) return this.finishCheck(undefined);
    if (this.state !== 'connecting') return;
    // After the Engine.IO handshake, a failed connect is a session broken in between (socket.io's connect misrouted).
    if (this.engineOpen) this.ctx.recorder.session('broken');
    const detail = describe((err as { description?: unknown }).description);
    this.fail(classifyConnectError(err), `${err.message}${detail === '' ? '' : ` (${detail.slice(0, 120)})`}`);
  }

  /** `details`: for a `transport error`, the TransportError (HTTP status and body of the failed poll). */
  private onDisconnect(reason: string, details?: unknown): void {
    if (this.checking || this.state !== 'open') return;
    // A poll misrouted to a backend that never issued the sid: socket.io-client only says `transport error`.
    const misrouted = reason === 'transport error' && details instanceof Error && classifyConnectError(details) === 'unknown_sid';
    const detail = details instanceof Error ? `${details.message} ${describe((details as { description?: unknown }).description)}` : undefined;
    this.endSession('dropped', misrouted ? 'unknown_sid' : `disconnect_${slug(reason)}`, detail?.trim().slice(0, 160));
  }

  /**
   * The end of an established session: planned ('clean', then the reconnect check if asked; 'terminated', at once)
   * or not ('dropped', with its code and what socket.io-client said).
   */
  private endSession(how: 'clean' | 'terminated' | 'dropped', code?: string, sample?: string): void {
    const { recorder } = this.ctx;
    this.flow?.end();
    recorder.session(this.transport === 'websocket' ? 'ended_websocket' : 'ended_polling');
    if (this.outstanding.size > 0) recorder.count('messagesLost', this.outstanding.size);
    this.outstanding.clear();
    if (how === 'dropped') {
      recorder.count('dropped');
      recorder.error(code ?? 'other', sample);
      recorder.session('broken');
      this.socket?.disconnect();
      return this.release();
    }
    recorder.count('closedClean');
    const cookie = cookieHeader(this.socket);
    this.socket?.removeAllListeners();
    this.socket?.disconnect();
    if (how === 'clean' && this.ctx.behavior.session?.reconnectCheck === true && this.backend !== undefined && this.backend !== 'unknown') {
      // Affinity on reconnect: the same client (cookies, source address) opens one more session.
      this.checking = true;
      this.firstBackend = this.backend;
      this.deadline = performance.now() + CLOSE_WAIT_MS + this.ctx.behavior.connectTimeoutMs;
      this.schedule();
      this.open(cookie);
      return;
    }
    this.release();
  }

  private finishCheck(id: string | undefined): void {
    if (!this.checking) return;
    this.checking = false;
    this.ctx.recorder.session('reconnect');
    if (id !== undefined && id === this.firstBackend) this.ctx.recorder.session('reconnect_same_backend');
    this.socket?.disconnect();
    this.release();
  }

  /** Failure before the session opened; `sample` says what exactly happened (the first per second is kept). */
  private fail(code: string, sample?: string): void {
    if (this.state === 'closed') return;
    this.ctx.recorder.count('failed');
    this.ctx.recorder.error(code, sample);
    this.release();
  }

  /**
   * The session is over: socket.io-client is closed (its own close packet is what a real client sends), and the
   * slot is released once every request in flight through the agent has been answered and counted, or after
   * CLOSE_WAIT_MS (those still unanswered are then counted so).
   */
  private release(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.ctx.wheel.cancel(this);
    const s = this.socket;
    this.socket = undefined;
    s?.removeAllListeners();
    s?.io.engine?.removeAllListeners();
    s?.disconnect();
    s?.io.engine?.close();
    if (this.tap.pending === 0) return this.finishRelease();
    this.tap.onIdle = () => this.finishRelease();
    this.drainBy = performance.now() + CLOSE_WAIT_MS;
    this.ctx.wheel.schedule(this, this.drainBy);
  }

  private finishRelease(): void {
    if (this.released || this.state !== 'closed') return;
    this.released = true;
    this.ctx.wheel.cancel(this);
    this.tap.onIdle = undefined;
    this.tap.abort();
    this.agent?.destroy();
    this.ctx.onEnd(this);
  }
}
