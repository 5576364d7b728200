/**
 * The two transports of an engineio probe session, below the session logic of engineio-client.ts: HTTP
 * long-polling (one GET held at a time like a real client, one POST at a time carrying everything queued, each
 * answer attributed to a backend) and the WebSocket upgrade (2probe / 3probe, the pending poll released by the
 * server's noop, then 5). The session decides what a packet, a failure or the end means (the abstract hooks).
 */
import type { ClientRequest, IncomingMessage } from 'node:http';
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import { BACKEND_HEADER } from '../backend/identity.js';
import type { ClientContext, ClientState } from './ws-client.js';
import { classifyClose } from './classify.js';
import { DEFAULT_SESSION, type SessionOptions } from '../scenario/types.js';
import { eioRequest, requestErrorCode, type EioResponse } from './engineio-http.js';
import { mergeCookies, requestHeaders, type PreparedHeaders } from './request-headers.js';
import { appendQuery, clientHeaders } from './client-templates.js';
import {
  CookieJar, EIO_ERR_BAD_REQUEST, EIO_ERR_UNKNOWN_SID, EIO_UPGRADE, PROBE_PING, PROBE_PONG, decodePayload,
  encodePayload, errorCode, parseSio, websocketUrl, type OpenPacket,
} from './engineio-protocol.js';

export type Kind = 'handshake' | 'poll' | 'post' | 'upgrade';
export type EioTransport = 'polling' | 'websocket';
type UpgradeState = 'none' | 'probing' | 'paused' | 'done' | 'failed';

export abstract class EngineIoTransports {
  state: ClientState = 'idle';
  /** The backend that issued the sid (`x-wsherd-backend` of the handshake; 'unknown' when absent). */
  backend: string | undefined = undefined;
  transport: EioTransport = 'polling';
  protected readonly opts: SessionOptions;
  /** behavior.headers, sent on every request and on the upgrade (the Cookie merged with the jar's). */
  protected readonly headers: PreparedHeaders;
  protected readonly jar = new CookieJar();
  protected base: URL | undefined;
  protected localAddress: string | undefined;
  protected eio: OpenPacket | undefined;
  protected openedAt = 0;
  protected getReq: ClientRequest | undefined;
  /** Every request sent and not yet ended, with its kind (see request()). */
  protected readonly inflight = new Map<ClientRequest, Kind>();
  /** The backend that issued the current sid, by its handshake's `x-wsherd-backend` (undefined when absent). */
  protected issuer: string | undefined;
  /** The WebSocket whose upgrade request is sent and neither answered (101 or a refusal) nor given up yet. */
  protected pendingWs: WebSocket | undefined;
  protected postReq: ClientRequest | undefined;
  protected outbox: string[] = [];
  protected ws: WebSocket | undefined;
  protected upgrade: UpgradeState = 'none';
  /** When an upgrade not answered is given up (`stuck_polling`), performance.now() ms. */
  protected probeDeadline = Infinity;
  protected closeSent = false;
  protected closeDone = false;

  /**
   * The target URL's own parameters and behavior.query, URL-encoded (`room=7&…`), after engine.io's on every poll,
   * post and the upgrade; '' when none.
   */
  protected query = '';

  constructor(protected readonly ctx: ClientContext, slot: number) {
    this.opts = ctx.behavior.session ?? DEFAULT_SESSION;
    this.headers = clientHeaders(ctx, slot);
  }

  protected abstract handlePacket(p: string): void;
  /** A failure: before the session opened a failed attempt, after it a broken session. */
  protected abstract broken(code: string): void;
  /** The planned close is complete (the close was posted, or the WebSocket closed). */
  protected abstract finishClose(): void;

  // ---- HTTP ----

  /**
   * Start one HTTP request of the session. Every request is counted `req_<kind>` here when sent, and then, if it
   * carried a sid, exactly once more when it ends: `misroute_<kind>` when answered by a backend that did not issue
   * the sid ("Session ID unknown", or another `x-wsherd-backend` than the sid's issuer), `unanswered_<kind>` when
   * it ended without an answer. A request stays in `inflight` until then, even once the session no longer wants it
   * (drain): the server has seen it and logs its answer, so wsherd must see that answer too.
   */
  protected request(kind: Kind, method: 'GET' | 'POST', body: string | undefined, timeoutMs: number, cb: (err: unknown, res: EioResponse | undefined) => void): ClientRequest {
    const url = new URL((this.base as URL).href);
    const sid = kind === 'handshake' ? undefined : this.eio?.sid;
    url.search = `?EIO=4&transport=polling&t=${Math.random().toString(36).slice(2, 10)}${sid === undefined ? '' : `&sid=${encodeURIComponent(sid)}`}${this.query === '' ? '' : `&${this.query}`}`;
    this.ctx.recorder.session(`req_${kind}`);
    if (body !== undefined) this.ctx.recorder.count('bytesSent', body.length);
    const cookie = mergeCookies(this.headers.cookie, this.jar.header());
    // The backend that issued this request's sid, fixed now: a later handshake (the reconnect check) issues another.
    const issuer = this.issuer;
    const req = eioRequest({
      url, method, timeoutMs, insecure: this.ctx.insecure,
      ...(this.headers.none ? {} : { headers: this.headers.plain }),
      ...(body === undefined ? {} : { body }),
      ...(cookie === undefined ? {} : { cookie }),
      ...(this.localAddress === undefined ? {} : { localAddress: this.localAddress }),
      ...(this.ctx.ca === undefined ? {} : { ca: this.ctx.ca }),
    }, (err, res) => {
      // Already counted and given up by cancelIo (the worker's stop, the drain deadline).
      if (!this.inflight.delete(req)) return;
      if (res) {
        this.jar.take(res.headers['set-cookie']);
        this.ctx.recorder.count('bytesReceived', res.body.length);
      }
      if (kind !== 'handshake') this.attribute(kind, issuer, res);
      cb(err, res);
      this.settled();
    });
    this.inflight.set(req, kind);
    return req;
  }

  /** The misroute (or unanswered) count of one request that carried a sid; see request(). */
  private attribute(kind: Exclude<Kind, 'handshake'>, issuer: string | undefined, res: { statusCode?: number; status?: number; headers: IncomingMessage['headers']; body?: string } | undefined): void {
    if (!res) {
      this.ctx.recorder.session(`unanswered_${kind}`);
      return;
    }
    const status = res.status ?? res.statusCode;
    const id = backendOf(res);
    const unknownSid = status === 400 && res.body !== undefined && errorCode(res.body) === EIO_ERR_UNKNOWN_SID;
    if (unknownSid || (id !== undefined && issuer !== undefined && id !== issuer)) this.ctx.recorder.session(`misroute_${kind}`);
  }

  /** Called after every request or upgrade answer: lets an ended session release once nothing is in flight. */
  protected abstract settled(): void;

  /** Requests (and an upgrade request) sent and not yet answered. */
  protected get pending(): number {
    return this.inflight.size + (this.pendingWs === undefined ? 0 : 1);
  }

  protected handshake(cb: (err: unknown, res: EioResponse | undefined) => void): void {
    const t0 = performance.now();
    const req = this.request('handshake', 'GET', undefined, this.ctx.behavior.connectTimeoutMs, (err, res) => {
      if (this.getReq !== req) return;
      this.getReq = undefined;
      if (res && res.status === 200) this.ctx.recorder.record('handshake', (performance.now() - t0) * 1000);
      cb(err, res);
    });
    this.getReq = req;
  }

  protected poll(): void {
    if (this.getReq || !this.eio || this.transport !== 'polling' || this.upgrade === 'paused') return;
    // Once the close is sent there is nothing more to receive: a poll now would reach a session the server is
    // ending (or has ended: a 400 for a sid the client itself closed).
    if (this.state !== 'handshaking' && this.state !== 'open') return;
    const { behavior } = this.ctx;
    // A held poll returns at the latest with the server's next ping, pingInterval after the last one.
    const timeout = this.eio.pingInterval + this.eio.pingTimeout + behavior.connectTimeoutMs;
    const req = this.request('poll', 'GET', undefined, timeout, (err, res) => {
      if (this.getReq !== req) return;
      this.getReq = undefined;
      if (!this.accepted('poll', err, res)) return;
      const packets = decodePayload((res as EioResponse).body);
      if (this.state === 'handshaking' && this.backend === 'unknown') this.backend = helloBackend(packets) ?? 'unknown';
      for (const p of packets) {
        this.handlePacket(p);
        if (this.state === 'closed') return;
      }
      this.maybeFinishUpgrade();
      this.poll();
    });
    this.getReq = req;
  }

  protected send(packet: string): void {
    this.outbox.push(packet);
    this.flush();
  }

  protected flush(): void {
    if (this.outbox.length === 0 || this.state === 'closed') return;
    if (this.transport === 'websocket' && this.ws) {
      for (const p of this.outbox) this.ws.send(p);
      this.outbox = [];
      return;
    }
    if (this.postReq || this.upgrade === 'paused') return;
    const body = encodePayload(this.outbox);
    this.outbox = [];
    const req = this.request('post', 'POST', body, this.ctx.behavior.connectTimeoutMs, (err, res) => {
      if (this.postReq !== req) return;
      this.postReq = undefined;
      if (!this.accepted('post', err, res)) return;
      if (this.state === 'closing' && this.closeSent && this.outbox.length === 0) return this.finishClose();
      this.maybeFinishUpgrade();
      this.flush();
    });
    this.postReq = req;
  }

  /** Attribute one answer; false when the session cannot go on (it has been ended or failed). */
  protected accepted(kind: Kind, err: unknown, res: EioResponse | undefined): boolean {
    if (this.state === 'closed' || this.closeDone) return false;
    if (!res) {
      this.broken(requestErrorCode(err));
      return false;
    }
    const code = res.status === 400 ? errorCode(res.body) : undefined;
    if (res.status === 200) return true;
    if (code === EIO_ERR_UNKNOWN_SID) this.broken(`unknown_sid_${kind}`);
    else if (code === EIO_ERR_BAD_REQUEST) this.broken('transport_mismatch');
    else this.broken(`http_${res.status}`);
    return false;
  }

  // ---- upgrade ----

  protected startUpgrade(): void {
    const eio = this.eio as OpenPacket;
    if (!this.opts.upgrade || !eio.upgrades.includes('websocket') || this.upgrade !== 'none') return;
    const { recorder, behavior } = this.ctx;
    this.upgrade = 'probing';
    this.probeDeadline = performance.now() + behavior.handshakeTimeoutMs;
    const headers = requestHeaders(this.headers, this.jar.header());
    const secure = (this.base as URL).protocol === 'https:';
    let ws: WebSocket;
    try {
      ws = new WebSocket(appendQuery(websocketUrl(this.base as URL, eio.sid), this.query), this.headers.protocols as string[], {
        perMessageDeflate: false,
        followRedirects: false,
        rejectUnauthorized: !this.ctx.insecure,
        ...(this.ctx.ca === undefined ? {} : { ca: this.ctx.ca }),
        ...(this.localAddress === undefined ? {} : { localAddress: this.localAddress }),
        ...(Object.keys(headers).length === 0 ? {} : { headers }),
        ...(secure && this.headers.servername !== undefined ? { servername: this.headers.servername } : {}),
      });
    } catch {
      this.upgradeFailed('transport_mismatch');
      return;
    }
    // The upgrade request is on its way: attempted, and one more request that carries the sid.
    recorder.session('upgrade_attempted');
    recorder.session('req_upgrade');
    this.ws = ws;
    this.pendingWs = ws;
    const issuer = this.issuer;
    ws.on('upgrade', (res: IncomingMessage) => {
      if (this.pendingWs !== ws) return;
      this.pendingWs = undefined;
      this.jar.take(res.headers['set-cookie']);
      this.attribute('upgrade', issuer, res);
      this.settled();
    });
    // A 101 that comes back once the session no longer wants the upgrade (it ended, or gave up on it): closed at once.
    ws.on('open', () => (ws === this.ws && this.state !== 'closed' ? ws.send(PROBE_PING) : ws.terminate()));
    ws.on('message', (data: WebSocket.RawData) => this.onWsMessage(ws, String(data)));
    ws.on('unexpected-response', (req: ClientRequest, res: IncomingMessage) => this.readRefusal(ws, issuer, req, res));
    ws.on('error', () => {}); // 'close' follows and decides
    ws.on('close', (code: number) => {
      const unanswered = this.pendingWs === ws;
      if (unanswered) {
        this.pendingWs = undefined;
        recorder.session('unanswered_upgrade');
      }
      this.onWsClose(ws, code);
      if (unanswered) this.settled();
    });
  }

  protected onWsMessage(ws: WebSocket, text: string): void {
    if (ws !== this.ws || this.state === 'closed') return;
    this.ctx.recorder.count('bytesReceived', text.length);
    if (this.upgrade === 'probing') {
      if (text === PROBE_PONG) {
        this.upgrade = 'paused'; // no new polls or posts: the pending poll is released by the server's noop
        this.maybeFinishUpgrade();
      }
      return;
    }
    if (this.transport === 'websocket') this.handlePacket(text);
  }

  /** The upgrade request was answered with something else than 101: read the reason, then count it. */
  private readRefusal(ws: WebSocket, issuer: string | undefined, req: ClientRequest, res: IncomingMessage): void {
    const chunks: Buffer[] = [];
    let size = 0;
    res.on('data', (c: Buffer) => {
      if ((size += c.length) <= 4096) chunks.push(c);
    });
    res.on('end', () => {
      req.destroy();
      this.onUpgradeRefused(ws, issuer, res.statusCode ?? 0, res.headers, Buffer.concat(chunks).toString('utf8'));
    });
    // Without the end of the answer, the 'close' that follows counts the upgrade unanswered.
    res.on('error', () => req.destroy());
  }

  /**
   * A refused upgrade (400 "Session ID unknown" when it reached another backend): counted `upgrade_refused` and, by
   * its reason, a misroute. The session itself is not broken: like socket.io-client, it carries on on polling.
   */
  protected onUpgradeRefused(ws: WebSocket, issuer: string | undefined, status: number, headers: IncomingMessage['headers'], body: string): void {
    if (this.pendingWs !== ws) return;
    this.pendingWs = undefined;
    this.ctx.recorder.session('upgrade_refused');
    this.attribute('upgrade', issuer, { status, headers, body });
    if (ws === this.ws && this.state !== 'closed') {
      const code = status === 400 ? errorCode(body) : undefined;
      const name = code === EIO_ERR_UNKNOWN_SID ? 'unknown_sid_upgrade' : code === EIO_ERR_BAD_REQUEST ? 'transport_mismatch' : `http_${status}`;
      this.upgradeFailed(name, `upgrade refused: ${status} ${body.slice(0, 80).replace(/\s+/g, ' ')}`);
    }
    this.settled();
  }

  protected onWsClose(ws: WebSocket, code: number): void {
    if (ws !== this.ws) return;
    this.ws = undefined;
    if (this.transport !== 'websocket') {
      if (this.upgrade === 'probing' || this.upgrade === 'paused') this.upgradeFailed('transport_mismatch');
      return;
    }
    if (this.state === 'closing') this.finishClose();
    else this.broken(classifyClose(code));
  }

  /** The probe was answered: once no poll or post is in flight, switch with `5`. */
  protected maybeFinishUpgrade(): void {
    if (this.upgrade !== 'paused' || this.getReq || this.postReq || !this.ws || this.state !== 'open') return;
    this.ws.send(EIO_UPGRADE);
    this.transport = 'websocket';
    this.upgrade = 'done';
    this.probeDeadline = Infinity;
    this.ctx.recorder.record('upgrade', (performance.now() - this.openedAt) * 1000);
    this.ctx.recorder.session('upgraded');
    this.flush();
  }

  /** The upgrade did not happen: counted, and the session carries on on polling. */
  protected upgradeFailed(code: string, sample?: string): void {
    if (this.upgrade !== 'probing' && this.upgrade !== 'paused') return;
    this.ctx.recorder.error(code, sample);
    this.ctx.recorder.session('stuck_polling');
    this.ctx.recorder.session('upgrade_failed');
    this.upgrade = 'failed';
    this.probeDeadline = Infinity;
    this.dropWs();
    this.poll();
    this.flush();
  }

  /** The session stops using its WebSocket; one whose upgrade request is unanswered yet is left to that answer. */
  protected dropWs(): void {
    const ws = this.ws;
    this.ws = undefined;
    if (ws && ws !== this.pendingWs && ws.readyState !== WebSocket.CLOSED) ws.terminate();
  }

  /** The session is over: nothing new is sent, and what is in flight is left to be answered (and counted). */
  protected detachIo(): void {
    this.getReq = undefined;
    this.postReq = undefined;
    this.outbox = [];
    this.dropWs();
  }

  /** Ends every request and the upgrade now; those that carried a sid and had no answer count as unanswered. */
  protected cancelIo(): void {
    this.detachIo();
    const inflight = [...this.inflight];
    this.inflight.clear();
    for (const [req, kind] of inflight) {
      if (kind !== 'handshake') this.ctx.recorder.session(`unanswered_${kind}`);
      req.destroy();
    }
    const ws = this.pendingWs;
    this.pendingWs = undefined;
    if (ws) {
      this.ctx.recorder.session('unanswered_upgrade');
      ws.terminate();
    }
  }
}

export function backendOf(res: { headers: IncomingMessage['headers'] }): string | undefined {
  const id = res.headers[BACKEND_HEADER];
  return typeof id === 'string' && id.length > 0 ? id : undefined;
}

/** Without a backend header, the reference backend's `hello` event (sent with the connect ack) names it. */
function helloBackend(packets: string[]): string | undefined {
  for (const p of packets) {
    const s = p.startsWith('42["hello"') ? parseSio(p) : undefined;
    if (s?.kind === 'hello' && s.backend !== undefined) return s.backend;
  }
  return undefined;
}
