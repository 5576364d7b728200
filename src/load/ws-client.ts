/**
 * One WebSocket client as a small state machine driven by the `ws` library:
 *
 *   idle → connecting → handshaking → open → closing → closed
 *             (TCP)      (HTTP 101)                   (also from any state on failure)
 *
 * Everything it measures goes into the worker's Recorder; every deadline (connect, handshake, next send,
 * message timeout, attribution, close) goes through the worker's one TimerWheel, so an idle connection costs
 * no timer at all. Its ws event handlers are shared module-level functions (ws-connect.ts), not closures per client.
 */
import type net from 'node:net';
import type { IncomingMessage } from 'node:http';
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import { BACKEND_HEADER, CLOSE_REQUEST, parseHello } from '../backend/identity.js';
import type { Behavior } from '../scenario/types.js';
import type { Recorder } from '../metrics/recorder.js';
import type { TimerWheel, Wakeable } from './wheel.js';
import { CANCELLED, CONNECT_TIMEOUT, HANDSHAKE_TIMEOUT, classifyClose, classifyError, classifyHttpStatus } from './classify.js';
import { encodeMessageFast, seqFromBuffer } from './messages.js';
import type { LoadClient } from './client.js';
import { REASON_HEADER } from '../proxy/http-util.js';
import { clientHeaders, clientUrl } from './client-templates.js';
import { CLIENT, attachHandlers, createConnection } from './ws-connect.js';
import { MAX_SENDS_PER_WAKE, expireOutstanding, recordEnd, recordRoundTrip, skipOverdue, type InFlight } from './send-schedule.js';
import type { FlowContext } from './flow/context.js';
import { startFlow, type FlowDriver } from './flow/driver.js';
import type { FlowTransport } from './flow/core.js';
import type { SourcePorts } from '../net/source-ports.js';

export type ClientState = 'idle' | 'connecting' | 'handshaking' | 'open' | 'closing' | 'closed';

/** How long to wait for a hello frame when the 101 carried no backend header, ms. */
export const ATTRIBUTION_WAIT_MS = 1000;
/** How long a planned close may take (close handshake, or the server's close) before the socket is destroyed. */
export const CLOSE_WAIT_MS = 5000;

/** What every client of a worker shares. */
export interface ClientContext {
  readonly behavior: Behavior;
  readonly recorder: Recorder;
  /** Driven with performance.now() milliseconds. */
  readonly wheel: TimerWheel;
  /** Accept self-signed certificates on wss://. */
  readonly insecure: boolean;
  /** Extra trusted CA (PEM) for wss://, e.g. the lab proxy's own certificate. */
  readonly ca?: string;
  /** With a population: each slot's group name, which `{{ group }}` in behavior.headers and behavior.query fills in. */
  readonly groupOf?: (slot: number) => string | undefined;
  /** With behavior.data / behavior.roles: each slot's row and role, for `{{ data.X }}` and `{{ role }}` in headers and query. */
  readonly rowOf?: (slot: number) => Readonly<Record<string, string>> | undefined;
  readonly roleOf?: (slot: number) => string | undefined;
  /** With behavior.flow / roles / script: what the clients' flows share (src/load/flow/); the echo sender is off. */
  readonly flow?: FlowContext;
  /** behavior.send_during_ramp: the performance.now() time the sends of a client opened at `nowPerf` may begin
   *  (≥ nowPerf; later when it opened during a ramp up with send_during_ramp: false). Absent: now. */
  readonly sendsFrom?: (nowPerf: number) => number;
  /** Clients bound to a source address: the ports the lean client names itself (source-ports.ts). */
  readonly sourcePorts?: SourcePorts;
  /** Called exactly once, when the client has ended and its final counts are recorded. */
  onEnd(client: LoadClient): void;
}

type TaggedSocket = WebSocket & { [CLIENT]?: WsClient };

const HELLO_HEAD = Buffer.from('{"wsherd":"hello"', 'latin1');

export class WsClient implements Wakeable, LoadClient, FlowTransport {
  readonly kind = 'ws';
  state: ClientState = 'idle';
  /** Backend id once attributed ('unknown' when the target does not say). */
  backend: string | undefined = undefined;
  wakeTick = -1;
  private ws: TaggedSocket | undefined = undefined;
  private startedAt = 0;
  private tcpAt = 0;
  /** Connect, handshake or close deadline, depending on the state (performance.now() ms). */
  private deadline = 0;
  private attributeBy = 0;
  private nextSendAt = Infinity;
  private seq = 0;
  private outstanding: Map<number, InFlight> | undefined = undefined;
  private lastError: string | undefined = undefined;
  /** wss:// (TLS connect) rather than ws://. */
  secure = false;
  /** The running flow, once open (behavior.flow / roles / script). */
  private flow: FlowDriver | undefined = undefined;

  constructor(
    private readonly ctx: ClientContext,
    /** The slot this client serves (for the worker's bookkeeping). */
    readonly slot: number,
  ) {}

  /** Begin connecting to `url` (behavior.query is appended here), optionally from a given local source address. */
  start(target: string, localAddress?: string): void {
    if (this.state !== 'idle') return;
    const url = clientUrl(this.ctx, this.slot, target);
    const { recorder, behavior } = this.ctx;
    this.state = 'connecting';
    this.secure = url.startsWith('wss:') || url.startsWith('https:');
    recorder.count('attempted');
    this.startedAt = performance.now();
    this.deadline = this.startedAt + behavior.connectTimeoutMs;
    this.ctx.wheel.schedule(this, this.deadline);
    const headers = clientHeaders(this.ctx, this.slot);
    const options: WebSocket.ClientOptions & { [CLIENT]: WsClient } = {
      // ws copies them into its own object before adding the handshake's, so one object serves every client.
      ...(headers.none ? {} : { headers: headers.handshake as Record<string, string> }),
      ...(this.secure && headers.servername !== undefined ? { servername: headers.servername } : {}),
      perMessageDeflate: false,
      skipUTF8Validation: true,
      followRedirects: false,
      rejectUnauthorized: !this.ctx.insecure,
      ...(this.ctx.ca === undefined ? {} : { ca: this.ctx.ca }),
      createConnection: createConnection as unknown as typeof net.createConnection,
      [CLIENT]: this,
    };
    if (localAddress) options.localAddress = localAddress;
    let ws: TaggedSocket;
    try {
      ws = new WebSocket(url, headers.protocols as string[], options) as TaggedSocket;
    } catch (err) {
      this.fail(classifyError(err));
      return;
    }
    ws[CLIENT] = this;
    this.ws = ws;
    attachHandlers(ws);
  }

  /** The planned end: close as the behavior says (or cancel an attempt that is not established yet). */
  close(): void {
    if (this.state === 'connecting' || this.state === 'handshaking' || this.state === 'idle') {
      this.fail(CANCELLED);
      return;
    }
    if (this.state !== 'open' || !this.ws) return;
    // client-fin: no closing handshake; destroying the socket sends our FIN first (TIME_WAIT stays on this side).
    if (this.ctx.behavior.close === 'client-fin') {
      this.end('clean');
      return;
    }
    this.state = 'closing';
    this.nextSendAt = Infinity;
    this.deadline = performance.now() + CLOSE_WAIT_MS;
    this.ctx.wheel.schedule(this, this.deadline);
    if (this.ctx.behavior.close === 'server') this.ws.send(CLOSE_REQUEST);
    else this.ws.close(1000);
  }

  /** End now without waiting (hard stop): an established connection still counts as a planned end. */
  terminate(): void {
    if (this.state === 'open' || this.state === 'closing') this.end('clean');
    else if (this.state !== 'closed') this.fail(CANCELLED);
  }

  wake(now: number): void {
    switch (this.state) {
      case 'connecting':
      case 'handshaking':
        if (now >= this.deadline) this.fail(this.state === 'connecting' ? CONNECT_TIMEOUT : HANDSHAKE_TIMEOUT);
        else this.ctx.wheel.schedule(this, this.deadline);
        return;
      case 'open':
        this.wakeOpen(now);
        return;
      case 'closing':
        if (now >= this.deadline) this.end('clean');
        else this.ctx.wheel.schedule(this, this.deadline);
        return;
      default:
        return;
    }
  }

  private wakeOpen(now: number): void {
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

  private scheduleOpen(): void {
    let next = this.flow === undefined ? this.nextSendAt : this.flow.nextAt();
    if (this.backend === undefined) next = Math.min(next, this.attributeBy);
    const oldest = this.oldestOutstanding();
    if (oldest !== undefined) next = Math.min(next, oldest + this.ctx.behavior.messageTimeoutMs);
    if (next !== Infinity) this.ctx.wheel.schedule(this, next);
  }

  private oldestOutstanding(): number | undefined {
    if (!this.outstanding) return undefined;
    for (const m of this.outstanding.values()) return m.sentAt;
    return undefined;
  }

  private send(now: number): void {
    const ws = this.ws;
    if (!ws) return;
    const { behavior, recorder } = this.ctx;
    const seq = this.seq++;
    const text = encodeMessageFast(seq, behavior.payloadBytes);
    (this.outstanding ??= new Map()).set(seq, { sentAt: now, intendedAt: this.nextSendAt });
    ws.send(text);
    recorder.count('messagesSent');
    recorder.count('bytesSent', text.length);
    this.nextSendAt += 1000 / behavior.messagesPerSecond;
  }


  private attribute(id: string): void {
    this.backend = id;
    this.ctx.recorder.backendOpened(id);
  }

  /** @internal socket connected (TCP, or TLS established for wss://). */
  handleConnected(): void {
    if (this.state !== 'connecting') return;
    this.tcpAt = performance.now();
    this.ctx.recorder.record('connect', (this.tcpAt - this.startedAt) * 1000);
    this.state = 'handshaking';
    this.deadline = this.tcpAt + this.ctx.behavior.handshakeTimeoutMs;
    this.ctx.wheel.schedule(this, this.deadline);
  }

  /** @internal 101 received. */
  handleUpgrade(res: IncomingMessage): void {
    if (this.state !== 'handshaking' && this.state !== 'connecting') return;
    this.ctx.recorder.record('handshake', (performance.now() - this.tcpAt) * 1000);
    const id = res.headers[BACKEND_HEADER];
    if (typeof id === 'string' && id.length > 0) this.backend = id;
  }

  /** @internal */
  handleOpen(): void {
    if (this.state !== 'handshaking' && this.state !== 'connecting') return;
    const now = performance.now();
    this.state = 'open';
    const { recorder, behavior } = this.ctx;
    recorder.count('established');
    if (this.backend !== undefined) recorder.backendOpened(this.backend);
    else this.attributeBy = now + ATTRIBUTION_WAIT_MS;
    if (this.ctx.flow !== undefined) {
      this.flow = startFlow(this.ctx.flow, recorder, this.slot, this, now);
    } else if (behavior.messagesPerSecond > 0) {
      // A random phase within one interval, so clients opened together do not send together.
      this.nextSendAt = (this.ctx.sendsFrom?.(now) ?? now) + Math.random() * (1000 / behavior.messagesPerSecond);
    }
    this.ctx.wheel.cancel(this);
    this.scheduleOpen();
  }

  /** @internal */
  handleMessage(data: Buffer): void {
    const { recorder } = this.ctx;
    recorder.count('bytesReceived', data.length);
    if (this.backend === undefined && (this.state === 'open' || this.state === 'closing')) {
      // The first frame decides attribution: a hello names the backend, anything else means 'unknown'.
      const hello = data[0] === 0x7b ? parseHello(data.toString('utf8')) : undefined;
      this.attribute(hello ?? 'unknown');
      if (hello !== undefined) return;
    }
    if (this.flow !== undefined) return this.flowFrame(data);
    const seq = seqFromBuffer(data);
    if (seq < 0) {
      // Not an echo: the target speaks a protocol of its own (counted, so a run against it says so).
      recorder.count('framesOther');
      return;
    }
    if (!this.outstanding) return;
    const sent = this.outstanding.get(seq);
    if (sent === undefined) return; // already counted lost
    this.outstanding.delete(seq);
    recorder.count('messagesReceived');
    recordRoundTrip(recorder, 'rtt', sent, performance.now());
  }

  /** A frame of a flow client: the reference backends' hello (attribution) is not one of the application's. */
  private flowFrame(data: Buffer): void {
    if (data.length >= HELLO_HEAD.length && data.compare(HELLO_HEAD, 0, HELLO_HEAD.length, 0, HELLO_HEAD.length) === 0) return;
    (this.flow as FlowDriver).onFrame(data, performance.now());
    if (this.state === 'open') this.scheduleOpen();
  }

  // FlowTransport: how the flow writes.
  get writable(): boolean {
    return this.state === 'open' && this.ws !== undefined;
  }

  sendText(text: string): boolean {
    this.ws?.send(text);
    return this.ws !== undefined;
  }

  sendBinary(data: Buffer): boolean {
    this.ws?.send(data, { binary: true });
    return this.ws !== undefined;
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

  /** @internal the server refused the upgrade. */
  handleUnexpectedResponse(res: IncomingMessage): void {
    // A balancer that says why (wsherd's proxy: x-wsherd-reason; others: a Server header) is named in the sample.
    const reason = res.headers[REASON_HEADER];
    const server = res.headers['server'];
    const why = typeof reason === 'string' ? `${REASON_HEADER}: ${reason}` : typeof server === 'string' ? `server: ${server}` : undefined;
    this.fail(classifyHttpStatus(res.statusCode), `HTTP ${res.statusCode ?? '?'} instead of 101${why === undefined ? '' : ` (${why})`}`);
  }

  /** @internal */
  handleError(err: unknown): void {
    if (this.state === 'closed') return;
    const code = classifyError(err);
    this.lastError = code;
    if (this.state === 'connecting' || this.state === 'handshaking') this.fail(code);
  }

  /** @internal */
  handleClose(code: number): void {
    switch (this.state) {
      case 'connecting':
      case 'handshaking':
        this.fail(this.lastError ?? classifyClose(code));
        return;
      case 'open':
        this.end('dropped', this.lastError ?? classifyClose(code));
        return;
      case 'closing':
        this.end('clean');
        return;
      default:
        return;
    }
  }

  /** Failure before the connection was established. */
  private fail(code: string, sample?: string): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.ctx.recorder.count('failed');
    this.ctx.recorder.error(code, sample);
    this.release();
  }

  /** End of an established connection: planned ('clean') or not ('dropped', with its code). */
  private end(how: 'clean' | 'dropped', code?: string): void {
    if (this.state === 'closed') return;
    const { recorder } = this.ctx;
    if (this.backend === undefined) this.attribute('unknown');
    this.state = 'closed';
    recordEnd(recorder, how, code, this.outstanding);
    this.outstanding = undefined;
    this.flow?.end();
    this.release();
  }

  private release(): void {
    this.ctx.wheel.cancel(this);
    const ws = this.ws;
    this.ws = undefined;
    // terminate() destroys the socket now; ws keeps our 'error' listener, so its late events are ignored.
    if (ws && ws.readyState !== WebSocket.CLOSED) ws.terminate();
    this.ctx.onEnd(this);
  }
}
