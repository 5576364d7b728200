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

  protected request(kind: Kind, method: 'GET' | 'POST', body: string | undefined, timeoutMs: number, cb: (err: unknown, res: EioResponse | undefined) => void): ClientRequest {
    const url = new URL((this.base as URL).href);
    url.search = `?EIO=4&transport=polling&t=${Math.random().toString(36).slice(2, 10)}${this.eio && kind !== 'handshake' ? `&sid=${encodeURIComponent(this.eio.sid)}` : ''}${this.query === '' ? '' : `&${this.query}`}`;
    this.ctx.recorder.session(`req_${kind}`);
    if (body !== undefined) this.ctx.recorder.count('bytesSent', body.length);
    const cookie = mergeCookies(this.headers.cookie, this.jar.header());
    return eioRequest({
      url, method, timeoutMs, insecure: this.ctx.insecure,
      ...(this.headers.none ? {} : { headers: this.headers.plain }),
      ...(body === undefined ? {} : { body }),
      ...(cookie === undefined ? {} : { cookie }),
      ...(this.localAddress === undefined ? {} : { localAddress: this.localAddress }),
      ...(this.ctx.ca === undefined ? {} : { ca: this.ctx.ca }),
    }, (err, res) => {
      if (res) {
        this.jar.take(res.headers['set-cookie']);
        this.ctx.recorder.count('bytesReceived', res.body.length);
      }
      cb(err, res);
    });
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
    if (this.state !== 'handshaking' && this.state !== 'open' && !(this.state === 'closing' && !this.closeDone)) return;
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
    const id = backendOf(res);
    const misrouted = id !== undefined && this.backend !== 'unknown' && id !== this.backend;
    const code = res.status === 400 ? errorCode(res.body) : undefined;
    if (misrouted || code === EIO_ERR_UNKNOWN_SID) this.ctx.recorder.session(`misroute_${kind}`);
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
    recorder.session('upgrade_attempted');
    recorder.session('req_upgrade');
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
    this.ws = ws;
    ws.on('upgrade', (res: IncomingMessage) => {
      this.jar.take(res.headers['set-cookie']);
      const id = backendOf(res);
      if (id !== undefined && this.backend !== 'unknown' && id !== this.backend) recorder.session('misroute_upgrade');
    });
    ws.on('open', () => ws.send(PROBE_PING));
    ws.on('message', (data: WebSocket.RawData) => this.onWsMessage(ws, String(data)));
    ws.on('unexpected-response', (req: ClientRequest, res: IncomingMessage) => this.onUpgradeRefused(ws, req, res));
    ws.on('error', () => {}); // 'close' follows and decides
    ws.on('close', (code: number) => this.onWsClose(ws, code));
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

  protected onUpgradeRefused(ws: WebSocket, req: ClientRequest, res: IncomingMessage): void {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => {
      req.destroy();
      if (ws !== this.ws || this.state === 'closed') return;
      const code = res.statusCode === 400 ? errorCode(Buffer.concat(chunks).toString('utf8')) : undefined;
      const id = backendOf(res);
      if (code === EIO_ERR_UNKNOWN_SID || (id !== undefined && this.backend !== 'unknown' && id !== this.backend)) this.ctx.recorder.session('misroute_upgrade');
      if (code === EIO_ERR_UNKNOWN_SID) this.broken('unknown_sid_upgrade');
      else this.upgradeFailed(code === EIO_ERR_BAD_REQUEST ? 'transport_mismatch' : `http_${res.statusCode ?? 0}`);
    });
    res.on('error', () => req.destroy());
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
  protected upgradeFailed(code: string): void {
    if (this.upgrade !== 'probing' && this.upgrade !== 'paused') return;
    this.ctx.recorder.error(code);
    this.ctx.recorder.session('stuck_polling');
    this.upgrade = 'failed';
    this.probeDeadline = Infinity;
    this.dropWs();
    this.poll();
    this.flush();
  }

  protected dropWs(): void {
    const ws = this.ws;
    this.ws = undefined;
    if (ws && ws.readyState !== WebSocket.CLOSED) ws.terminate();
  }

  protected cancelIo(): void {
    const { getReq, postReq } = this;
    this.getReq = undefined;
    this.postReq = undefined;
    getReq?.destroy();
    postReq?.destroy();
    this.outbox = [];
    this.dropWs();
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
