/**
 * An independent socket.io server for the oracle tests: the plain `socket.io` package (not wsherd's src/backend),
 * logging what it saw as any user's server could — every request that carried a `sid`, by kind (poll GET, post
 * POST, websocket upgrade), those it refused 400 "Session ID unknown" (engine.io's `connection_error`, code 1),
 * and the upgrades it completed (the engine socket's `upgrade`). With `identity`, it names itself by the
 * documented contract a user's server implements: `x-wsherd-backend` on the handshake and every polling answer
 * and 101 (engine.io's `initial_headers` / `headers`); without, it gives no identity signal at all.
 */
import http from 'node:http';
import { once } from 'node:events';
import type net from 'node:net';
import { Server } from 'socket.io';

export type Kind = 'poll' | 'post' | 'upgrade';
export type PerKind = Record<Kind, number>;

export interface OracleLog {
  requests: PerKind;
  /** Refused 400 "Session ID unknown". */
  unknownSid: PerKind;
  /** Other refusals of sid-bearing requests (engine.io error codes other than 1), by code: expected empty. */
  otherErrors: Record<string, number>;
  upgradesCompleted: number;
  handshakes: number;
}

export interface OracleServer {
  id: string;
  port: number;
  log: OracleLog;
  close(): Promise<void>;
}

const zero = (): PerKind => ({ poll: 0, post: 0, upgrade: 0 });

function kindOf(req: http.IncomingMessage, upgrade: boolean): Kind {
  if (upgrade || new URL(req.url ?? '/', 'http://x').searchParams.get('transport') === 'websocket') return 'upgrade';
  return req.method === 'POST' ? 'post' : 'poll';
}

export async function startOracle(id: string, identity: boolean): Promise<OracleServer> {
  const server = http.createServer();
  // A short ping interval: a poll held by a session's own server returns within it, so a broken session's last
  // poll is answered (and logged on both sides) well within wsherd's drain bound. A long ping timeout: on a busy
  // host a session must not expire mid-run (its next request would be refused "Session ID unknown" by its own
  // server — counted alike on both sides, but not the balancer's doing).
  const io = new Server(server, { pingInterval: 1000, pingTimeout: 10_000 });
  const log: OracleLog = { requests: zero(), unknownSid: zero(), otherErrors: {}, upgradesCompleted: 0, handshakes: 0 };
  const sids = (req: http.IncomingMessage): URLSearchParams => new URL(req.url ?? '/', 'http://x').searchParams;
  // Prepended after socket.io attached: these see every request before engine.io answers it.
  server.prependListener('request', (req: http.IncomingMessage) => {
    const q = sids(req);
    if (!q.has('EIO')) return;
    if (q.has('sid')) log.requests[kindOf(req, false)]++;
    else log.handshakes++;
  });
  server.prependListener('upgrade', (req: http.IncomingMessage) => {
    if (sids(req).has('sid')) log.requests.upgrade++;
  });
  io.engine.on('connection_error', (err: { req: http.IncomingMessage; code: number }) => {
    if (!sids(err.req).has('sid')) return;
    const kind = kindOf(err.req, err.req.headers.upgrade !== undefined);
    if (err.code === 1) log.unknownSid[kind]++;
    else log.otherErrors[`${kind}_${err.code}`] = (log.otherErrors[`${kind}_${err.code}`] ?? 0) + 1;
  });
  io.engine.on('connection', (socket: { on(ev: 'upgrade', f: () => void): void }) => socket.on('upgrade', () => log.upgradesCompleted++));
  if (identity) {
    const name = (headers: Record<string, string>): void => {
      headers['x-wsherd-backend'] = id;
    };
    io.engine.on('initial_headers', name);
    io.engine.on('headers', name);
  }
  io.on('connection', (socket) => {
    socket.on('echo', (text: unknown, ack?: (v: unknown) => void) => ack?.(text));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    id,
    port: (server.address() as net.AddressInfo).port,
    log,
    close: () => new Promise<void>((resolve) => {
      void io.close(() => resolve());
    }),
  };
}

/** The logs of several servers, summed: what the balancer's backends saw together. */
export function sumLogs(servers: readonly OracleServer[]): OracleLog {
  const total: OracleLog = { requests: zero(), unknownSid: zero(), otherErrors: {}, upgradesCompleted: 0, handshakes: 0 };
  for (const { log } of servers) {
    for (const k of ['poll', 'post', 'upgrade'] as const) {
      total.requests[k] += log.requests[k];
      total.unknownSid[k] += log.unknownSid[k];
    }
    for (const [code, n] of Object.entries(log.otherErrors)) total.otherErrors[code] = (total.otherErrors[code] ?? 0) + n;
    total.upgradesCompleted += log.upgradesCompleted;
    total.handshakes += log.handshakes;
  }
  return total;
}

/** Zeroes every server's log (one set of servers serves several runs). */
export function resetLogs(servers: readonly OracleServer[]): void {
  for (const s of servers) Object.assign(s.log, { requests: zero(), unknownSid: zero(), otherErrors: {}, upgradesCompleted: 0, handshakes: 0 });
}
