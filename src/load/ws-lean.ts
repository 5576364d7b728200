/**
 * The lean client of the ws engine: the same state machine as WsClient (ws-client.ts), and the same figures for
 * everything the worker and the results see, over a raw net.Socket (tls for wss://) with the upgrade written by hand
 * and RFC 6455 frames read and written by src/wsproto/. A held connection is this one record (which is also the
 * codec's reader state and frame sink) and its socket: no ws object, no http parser, no per-connection closures or
 * read buffer (ws-lean-io.ts). `behavior.ws_client: library` keeps WsClient (client.ts chooses).
 *
 *   idle → connecting → handshaking → open → closing → closed
 *
 * Where WsClient follows what `ws` does (answering pings and a server's close, its handshake checks, the codes its
 * events end up as), this file does the same by hand; each such place says which ws behavior it copies.
 */
import { performance } from 'node:perf_hooks';
import { BACKEND_HEADER, CLOSE_REQUEST } from '../backend/identity.js';
import type { Wakeable } from './wheel.js';
import { CANCELLED, CONNECT_TIMEOUT, HANDSHAKE_TIMEOUT, OTHER, classifyClose, classifyError, classifyHttpStatus } from './classify.js';
import { recordEnd } from './send-schedule.js';
import type { LoadClient } from './client.js';
import { REASON_HEADER } from '../proxy/http-util.js';
import { clientHeaders, clientUrl } from './client-templates.js';
import { startFlow } from './flow/driver.js';
import { ATTRIBUTION_WAIT_MS, CLOSE_WAIT_MS } from './ws-client.js';
import { CLOSE_TOO_BIG, OP_BINARY, OP_CLOSE, OP_PING, OP_TEXT, OP_PONG, closeCode, closePayload, encodeFrame, readFrames, type FrameSink, type ReaderState } from '../wsproto/frame.js';
import { parseHead, upgradeRequest } from '../wsproto/handshake.js';
import { LEAN, leanTarget, openSocket, pooledKey, type LeanConnectOptions, type LeanHandlers, type LeanTarget } from './ws-lean-io.js';
import { upgradeProblem } from './ws-lean-handshake.js';
import { LeanOpen } from './ws-lean-open.js';

/** ws's default maxPayload (100 MiB): a larger message is a protocol error (1009) for both clients alike. */
export const LEAN_MAX_PAYLOAD = 100 * 1024 * 1024;

export class LeanWsClient extends LeanOpen implements Wakeable, LoadClient, ReaderState, FrameSink, LeanHandlers {
  // ReaderState: the codec keeps a frame not complete yet here (a copy; reads come in the worker's shared buffer).
  pending: Buffer | undefined = undefined;
  pendingFill = 0;
  fragOp = 0;
  frags: Buffer[] | undefined = undefined;
  /** Sec-WebSocket-Key until the 101 is checked, then undefined. */
  private key: string | undefined = undefined;
  /** A response head not complete yet (a copy). */
  private head: Buffer | undefined = undefined;
  private startedAt = 0;
  private tcpAt = 0;
  /** Connect, handshake or close deadline, depending on the state (performance.now() ms). */
  private deadline = 0;
  private lastError: string | undefined = undefined;
  /** The server's close code once its close frame came (0: none), what ws's 'close' event reports; 1006 without. */
  private peerClose = 0;
  /** The source port's lease (source-ports.ts) while the socket holds it; 0: none (the kernel picked). */
  private lease = 0;
  /** While connecting on a named port: how to dial again with the kernel's pick if that port collides. */
  private redial: (() => void) | undefined = undefined;

  /**
   * Begin connecting to `target` (behavior.query appended). The request is written at once: the socket holds it
   * until connected, so the client keeps nothing of it but the key. The worker's handshake cap (open-gate.ts) calls
   * this when the attempt really starts, so its connect timer never counts the wait in the gate.
   */
  start(target: string, localAddress?: string): void {
    if (this.state !== 'idle') return;
    const { recorder, behavior } = this.ctx;
    this.state = 'connecting';
    recorder.count('attempted');
    this.startedAt = performance.now();
    this.deadline = this.startedAt + behavior.connectTimeoutMs;
    this.ctx.wheel.schedule(this, this.deadline);
    try {
      const t = leanTarget(clientUrl(this.ctx, this.slot, target));
      const headers = clientHeaders(this.ctx, this.slot);
      const key = pooledKey();
      let extra = headers.handshake;
      if (t.authorization !== undefined && !Object.keys(extra).some((n) => n.toLowerCase() === 'authorization')) extra = { ...extra, Authorization: t.authorization };
      const options: LeanConnectOptions = { localAddress, servername: headers.servername, rejectUnauthorized: !this.ctx.insecure, ca: this.ctx.ca };
      const request = upgradeRequest({ host: t.hostHeader, path: t.path, key, protocols: headers.protocols, headers: extra });
      this.key = key;
      const ports = localAddress === undefined || localAddress === '' ? undefined : this.ctx.sourcePorts;
      this.lease = ports?.take(localAddress as string) ?? 0;
      if (ports !== undefined && this.lease !== 0) {
        // A named port someone else holds towards this destination: dial again and let the kernel pick.
        this.redial = () => this.dial(t, options, request);
        this.dial(t, { ...options, localPort: ports.portOf(this.lease) }, request);
      } else {
        this.dial(t, options, request);
      }
    } catch (err) {
      this.fail(classifyError(err));
    }
  }

  private dial(t: LeanTarget, options: LeanConnectOptions, request: string): void {
    const socket = openSocket(t, options, this);
    this.socket = socket;
    socket.write(request, 'latin1');
  }

  close(): void {
    if (this.state === 'connecting' || this.state === 'handshaking' || this.state === 'idle') {
      this.fail(CANCELLED);
      return;
    }
    if (this.state !== 'open' || !this.socket) return;
    if (this.ctx.behavior.close === 'client-fin') {
      this.end('clean');
      return;
    }
    this.state = 'closing';
    this.nextSendAt = Infinity;
    this.deadline = performance.now() + CLOSE_WAIT_MS;
    this.ctx.wheel.schedule(this, this.deadline);
    if (this.ctx.behavior.close === 'server') {
      this.socket.write(encodeFrame(OP_TEXT, CLOSE_REQUEST, true));
    } else {
      this.socket.write(encodeFrame(OP_CLOSE, closePayload(1000), true));
      this.closeSent = true;
    }
  }

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

  /** @internal TCP connected (or TLS established for wss://). */
  onConnected(): void {
    if (this.state !== 'connecting') return;
    this.redial = undefined;
    this.tcpAt = performance.now();
    this.ctx.recorder.record('connect', (this.tcpAt - this.startedAt) * 1000);
    this.state = 'handshaking';
    this.deadline = this.tcpAt + this.ctx.behavior.handshakeTimeoutMs;
    this.ctx.wheel.schedule(this, this.deadline);
  }

  /** @internal a read: `chunk` is a view into the worker's shared read buffer, gone after this call. */
  onBytes(chunk: Buffer): void {
    switch (this.state) {
      case 'connecting':
      case 'handshaking':
        this.readHead(chunk);
        return;
      case 'open':
      case 'closing':
        // ws stops reading once the server's close frame came; so does this client.
        if (this.peerClose === 0) readFrames(this, chunk, this, LEAN_MAX_PAYLOAD);
        return;
      default:
        return;
    }
  }

  private readHead(chunk: Buffer): void {
    let buf = chunk;
    if (this.head !== undefined) {
      buf = Buffer.concat([this.head, chunk]);
      this.head = undefined;
    }
    let head;
    try {
      head = parseHead(buf);
    } catch (err) {
      this.fail('http_parse_error', err instanceof Error ? err.message : undefined);
      return;
    }
    if (head === undefined) {
      this.head = Buffer.from(buf);
      return;
    }
    if (head.status !== 101) {
      // A balancer that says why (wsherd's proxy: x-wsherd-reason; others: a Server header) is named in the sample.
      const reason = head.headers[REASON_HEADER];
      const server = head.headers['server'];
      const why = reason !== undefined ? `${REASON_HEADER}: ${reason}` : server !== undefined ? `server: ${server}` : undefined;
      this.fail(classifyHttpStatus(head.status), `HTTP ${head.status} instead of 101${why === undefined ? '' : ` (${why})`}`);
      return;
    }
    // ws emits 'upgrade' (WsClient times the handshake and takes the backend header) before it checks the 101.
    this.ctx.recorder.record('handshake', (performance.now() - this.tcpAt) * 1000);
    const id = head.headers[BACKEND_HEADER];
    if (id !== undefined && id.length > 0) this.backend = id;
    const problem = upgradeProblem(head, this.key ?? '', clientHeaders(this.ctx, this.slot).protocols);
    if (problem !== undefined) {
      // ws reports these as a plain Error without a code: 'other', as WsClient records them.
      this.fail(OTHER, problem);
      return;
    }
    this.key = undefined;
    this.opened();
    if (buf.length > head.length && this.state === 'open') readFrames(this, buf.subarray(head.length), this, LEAN_MAX_PAYLOAD);
  }

  private opened(): void {
    const now = performance.now();
    this.state = 'open';
    const { recorder, behavior } = this.ctx;
    recorder.count('established');
    if (this.backend !== undefined) recorder.backendOpened(this.backend);
    else this.attributeBy = now + ATTRIBUTION_WAIT_MS;
    if (this.ctx.flow !== undefined) this.flow = startFlow(this.ctx.flow, recorder, this.slot, this, now);
    else if (behavior.messagesPerSecond > 0) this.nextSendAt = this.firstSendAt(now);
    this.ctx.wheel.cancel(this);
    this.scheduleOpen();
  }

  /** @internal FrameSink: a whole message or a control frame; `payload` is a view (copied where kept). */
  onFrame(opcode: number, payload: Buffer): void {
    if (this.peerClose !== 0 || (this.state !== 'open' && this.state !== 'closing')) return;
    switch (opcode) {
      case OP_TEXT:
      case OP_BINARY:
        this.onMessage(payload);
        return;
      case OP_PING:
        // ws answers a ping with its payload while open (autoPong), not once closing.
        if (this.state === 'open') this.socket?.write(encodeFrame(OP_PONG, payload, true));
        return;
      case OP_CLOSE: {
        // ws: answer with the same code and reason unless our close went first, then end our side of TCP; the
        // connection ends when the socket closes, with the server's code (1005 when its frame had none).
        this.peerClose = closeCode(payload);
        const socket = this.socket;
        if (!socket) return;
        if (!this.closeSent) socket.write(encodeFrame(OP_CLOSE, payload, true));
        this.closeSent = true;
        socket.end();
        return;
      }
      default:
        return;
    }
  }

  /** @internal FrameSink: the server broke the protocol. ws closes with `code` and its 'error' carries a WS_ERR code. */
  onProtocolError(reason: string, code: number): void {
    if (this.state === 'closing') {
      this.end('clean');
      return;
    }
    if (this.state !== 'open') return;
    if (!this.closeSent) this.socket?.write(encodeFrame(OP_CLOSE, closePayload(code), true));
    this.closeSent = true;
    const wsCode = code === CLOSE_TOO_BIG ? 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH'
      : reason.startsWith('reserved') ? 'WS_ERR_UNEXPECTED_RSV_1'
      : reason.startsWith('a control frame') ? 'WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH' : 'WS_ERR_INVALID_OPCODE';
    this.end('dropped', wsCode);
  }

  /** @internal */
  onSocketError(err: unknown): void {
    if (this.state === 'closed') return;
    const code = classifyError(err);
    if (this.redial !== undefined && this.state === 'connecting' && (code === 'EADDRINUSE' || code === 'EADDRNOTAVAIL')) {
      this.redialKernel();
      return;
    }
    this.lastError = code;
    if (this.state === 'connecting' || this.state === 'handshaking') this.fail(code);
  }

  /** @internal the socket closed (after an 'error' when there was one). */
  onSocketClose(): void {
    switch (this.state) {
      case 'connecting':
      case 'handshaking':
        // Closed before the head was complete: Node's http reports it as 'socket hang up' (ECONNRESET) to ws.
        this.fail(this.lastError ?? 'ECONNRESET');
        return;
      case 'open':
        this.end('dropped', this.lastError ?? classifyClose(this.peerClose === 0 ? 1006 : this.peerClose));
        return;
      case 'closing':
        this.end('clean');
        return;
      default:
        return;
    }
  }

  /** The named source port collided (bind or connect): drop that socket, unheard, and dial once more on port 0. */
  private redialKernel(): void {
    const redial = this.redial as () => void;
    this.redial = undefined;
    this.ctx.sourcePorts?.release(this.lease);
    this.lease = 0;
    const old = this.socket;
    if (old !== undefined) {
      old[LEAN] = undefined;
      old.destroy();
    }
    this.ctx.recorder.count('portRedials');
    redial();
  }

  private fail(code: string, sample?: string): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.ctx.recorder.count('failed');
    this.ctx.recorder.error(code, sample);
    this.release();
  }

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
    const socket = this.socket;
    this.socket = undefined;
    this.pending = undefined;
    this.frags = undefined;
    this.head = undefined;
    this.key = undefined;
    this.redial = undefined;
    if (this.lease !== 0) {
      this.ctx.sourcePorts?.release(this.lease);
      this.lease = 0;
    }
    // destroy() closes now (FIN, or RST with unread data), as ws's terminate(); late events find this client closed.
    if (socket !== undefined) {
      socket[LEAN] = undefined;
      socket.destroy();
    }
    this.ctx.onEnd(this);
  }
}
