/**
 * The `socketio` engine's view of every HTTP request socket.io-client makes: a tap on the client's own http.Agent
 * (every poll, post and the WebSocket upgrade go through it — engine.io-client passes `agent` to both its polling
 * transport and `ws`), so the real client is driven unchanged and still each request is counted as the servers see
 * it — with the same definitions as the engineio probe (engineio-transports.ts):
 *
 * - `req_<kind>` when sent (kind: handshake without a sid; upgrade for transport=websocket; post; poll);
 * - then, for a request that carried a sid, exactly once: `misroute_<kind>` when refused "Session ID unknown" (or
 *   answered by another `x-wsherd-backend` than the one that issued the sid), or `unanswered_<kind>` when it ended
 *   without an answer;
 * - for the upgrade request: `upgrade_attempted` when sent (not after a successful probe, as engine.io-client's
 *   `upgrading` event would have it), `upgrade_refused` with its status and reason when answered with anything
 *   but 101.
 *
 * The handshake's `x-wsherd-backend` names the session's backend (the documented identity contract), reported
 * through `onIdentity`.
 */
import type { Agent, ClientRequest, IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Recorder } from '../metrics/recorder.js';
import { BACKEND_HEADER } from '../backend/identity.js';
import { EIO_ERR_BAD_REQUEST, EIO_ERR_UNKNOWN_SID, errorCode, parseOpen, decodePayload } from './engineio-protocol.js';

type Kind = 'handshake' | 'poll' | 'post' | 'upgrade';
/** How much of an answer's body is kept: enough for an open packet or an engine.io error. */
const KEEP = 2048;

export interface TapHooks {
  /** A handshake (or an upgrade's 101) named its backend by `x-wsherd-backend`. */
  onIdentity(kind: 'handshake' | 'upgrade', backend: string): void;
}

interface Pending {
  req: ClientRequest;
  kind: Kind;
}

export class EioRequestTap {
  private readonly inflight = new Set<Pending>();
  /** Set by abort(): the slot has ended, and whatever socket.io-client still tries to send never leaves. */
  private closed = false;
  /** Which backend issued each sid (by the handshake's header): a misroute is an answer from another one. */
  private readonly issuers = new Map<string, string>();
  /** Called once nothing is in flight any more (set by the client while it waits to release). */
  onIdle: (() => void) | undefined;

  constructor(private readonly recorder: Recorder, private readonly hooks: TapHooks) {}

  get pending(): number {
    return this.inflight.size;
  }

  /** Wraps `agent.addRequest` (composes with request-headers.ts applyToAgent). */
  install<A extends Agent>(agent: A): A {
    const target = agent as unknown as { addRequest(req: ClientRequest, options: unknown): void };
    const addRequest = target.addRequest;
    target.addRequest = (req: ClientRequest, options: unknown): void => {
      // After the slot ended (the worker may already have shipped its last counts), a request socket.io-client still
      // makes (a close packet, a last poll) would reach the server uncounted: it is not sent at all.
      if (this.closed) {
        req.destroy();
        return;
      }
      this.watch(req);
      addRequest.call(agent, req, options);
    };
    return agent;
  }

  /** Gives up on everything in flight now (the run's end, the drain deadline): counted unanswered. */
  abort(): void {
    this.closed = true;
    const all = [...this.inflight];
    this.inflight.clear();
    for (const p of all) {
      if (p.kind !== 'handshake') this.recorder.session(`unanswered_${p.kind}`);
      p.req.destroy();
    }
  }

  private watch(req: ClientRequest): void {
    const q = new URLSearchParams(req.path.split('?')[1] ?? '');
    if (!q.has('EIO')) return;
    const sid = q.get('sid') ?? undefined;
    const kind: Kind = sid === undefined ? 'handshake' : q.get('transport') === 'websocket' ? 'upgrade' : req.method === 'POST' ? 'post' : 'poll';
    this.recorder.session(`req_${kind}`);
    if (kind === 'upgrade') this.recorder.session('upgrade_attempted');
    const p: Pending = { req, kind };
    this.inflight.add(p);
    let body = '';
    const keep = (c: Buffer | string): void => {
      if (body.length < KEEP) body += typeof c === 'string' ? c : c.toString('utf8');
    };
    let raw: Socket | undefined;
    // ws aborts a refused upgrade as soon as its status line is parsed, before the body is read through the
    // response: the raw bytes (prepended, so seen before the parser acts on them) still hold the reason.
    const rawData = (c: Buffer): void => keep(c);
    if (kind === 'upgrade') {
      req.once('socket', (s: Socket) => {
        raw = s;
        s.prependListener('data', rawData);
      });
    }
    const settle = (status: number | undefined, headers: IncomingHttpHeaders | undefined, text: string): void => {
      raw?.removeListener('data', rawData);
      if (!this.inflight.delete(p)) return;
      this.settle(kind, sid, status, headers, text);
      if (this.inflight.size === 0) this.onIdle?.();
    };
    req.on('upgrade', (res: IncomingMessage) => settle(101, res.headers, ''));
    req.on('response', (res: IncomingMessage) => {
      if (kind === 'upgrade') {
        const at = body.indexOf('\r\n\r\n');
        return settle(res.statusCode ?? 0, res.headers, at < 0 ? '' : body.slice(at + 4));
      }
      res.on('data', keep);
      res.once('end', () => settle(res.statusCode ?? 0, res.headers, body));
      res.once('close', () => settle(res.statusCode ?? 0, res.headers, body));
    });
    req.once('close', () => settle(undefined, undefined, ''));
  }

  private settle(kind: Kind, sid: string | undefined, status: number | undefined, headers: IncomingHttpHeaders | undefined, body: string): void {
    const id = headers === undefined ? undefined : backendOf(headers);
    if (kind === 'handshake') {
      // WebSocket-only sessions (transports: [websocket]) open with the upgrade itself: its 101 names the backend
      // (the sid comes later, in the first frame, so the request tap cannot pair it with an issuer).
      if (status === 101 && id !== undefined) this.hooks.onIdentity('handshake', id);
      const open = status === 200 ? parseOpen(decodePayload(body)[0] ?? '') : undefined;
      if (open !== undefined && id !== undefined) this.issuers.set(open.sid, id);
      if (open !== undefined && id !== undefined) this.hooks.onIdentity('handshake', id);
      return;
    }
    if (status === undefined) {
      this.recorder.session(`unanswered_${kind}`);
      return;
    }
    const issuer = sid === undefined ? undefined : this.issuers.get(sid);
    const code = status === 400 ? errorCode(body.trim()) : undefined;
    if (code === EIO_ERR_UNKNOWN_SID || (id !== undefined && issuer !== undefined && id !== issuer)) this.recorder.session(`misroute_${kind}`);
    if (kind !== 'upgrade') return;
    if (status === 101) {
      if (id !== undefined) this.hooks.onIdentity('upgrade', id);
      return;
    }
    this.recorder.session('upgrade_refused');
    const name = code === EIO_ERR_UNKNOWN_SID ? 'unknown_sid_upgrade' : code === EIO_ERR_BAD_REQUEST ? 'transport_mismatch' : `http_${status}`;
    this.recorder.error(name, `upgrade refused: ${status} ${body.slice(0, 80).replace(/\s+/g, ' ')}`);
  }
}

function backendOf(headers: IncomingHttpHeaders): string | undefined {
  const id = headers[BACKEND_HEADER];
  return typeof id === 'string' && id.length > 0 ? id : undefined;
}
