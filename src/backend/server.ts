/**
 * The reference ws backend: says who it is (x-wsherd-backend header on every HTTP response, hello frame first),
 * echoes every message verbatim, closes first on request, and counts its sessions. Built to hold 100,000+ idle
 * connections cheaply: http.Server parses the request and hands the socket over on 'upgrade'; from then on a
 * connection is a small record (src/backend/conn.ts) with RFC 6455 frames read and written by src/wsproto — no
 * `ws` WebSocket, no per-connection closure or timer, no compression. Text frames of the JSON app (subscribe,
 * publish, auth, request: src/backend/ws-app.ts, docs/lab-app.md) are answered instead of echoed; the echo path
 * pays one byte comparison for it.
 */
import http from 'node:http';
import type { Duplex } from 'node:stream';
import type { Socket } from 'node:net';
import type { BackendStats } from '../results/lab-types.js';
import { listenOn } from '../lab/listen.js';
import { answerStatsOr404, BACKEND_HEADER, CLOSE_REQUEST, STATS_PATH, helloFrame } from './identity.js';
import { startWsApp, type WsAppCounters } from './ws-app.js';
import { BackendConn, ignoreSocketError, type ConnHost } from './conn.js';
import { acceptUpgrade, refuseUpgrade } from './upgrade.js';
import { OP_TEXT, encodeFrame } from '../wsproto/frame.js';

export interface BackendOptions {
  /** Identity reported in the header, the hello frame and the stats, e.g. `b1`. */
  id: string;
  /** Listen address. Default 127.0.0.1. */
  host?: string;
  /** Listen port; 0 (the default) picks an ephemeral port. */
  port?: number;
  /** `redis://host:port` of the lab's bus: the JSON app's topics span every backend on it. */
  bus?: string;
  /** The JSON app pushes to every authenticated connection this often, ms. Absent: no pushes. */
  pushIntervalMs?: number;
}

/** The ws backend's stats: the sessions, and the JSON app's counters. */
export type WsBackendStats = BackendStats & WsAppCounters;

export interface RunningBackend {
  /** The port actually bound. */
  port: number;
  /** Stops listening and drops every open connection (no close handshake); resolves when the server is closed. */
  close(): Promise<void>;
  stats(): WsBackendStats;
}

/** Largest message accepted (16 MiB): big enough for any payload a scenario sends, small enough to bound memory. */
const MAX_PAYLOAD_BYTES = 16 * 1024 * 1024;
const CLOSE_REQUEST_BYTES = Buffer.byteLength(CLOSE_REQUEST);

export async function startBackend(opts: BackendOptions): Promise<RunningBackend> {
  const { id } = opts;
  const counters = { sessionsTotal: 0, sessionsOpen: 0, messagesEchoed: 0 };
  const app = await startWsApp({ id, ...(opts.bus === undefined ? {} : { bus: opts.bus }), ...(opts.pushIntervalMs === undefined ? {} : { pushIntervalMs: opts.pushIntervalMs }) });
  const stats = (): WsBackendStats => ({ id, pid: process.pid, ...counters, ...app.counters });
  const hello = helloFrame(id, process.pid);

  const server = http.createServer((req, res) => {
    res.setHeader(BACKEND_HEADER, id);
    answerStatsOr404(req, res, stats, `Not found: this is wsherd reference backend ${id}; open a WebSocket or GET ${STATS_PATH}`);
  });
  // The 101 carries the identity too, so a client can attribute the session before the hello frame arrives; the
  // hello frame goes in the same write.
  const extra = [`${BACKEND_HEADER}: ${id}`];
  const helloBytes = encodeFrame(OP_TEXT, hello, false);
  // Open connections, newest first, linked through their records: what close() drops.
  let first: BackendConn | undefined;
  const host: ConnHost = {
    maxPayload: MAX_PAYLOAD_BYTES,
    onMessage,
    onClosed(conn) {
      counters.sessionsOpen--;
      if (conn.prev === undefined) first = conn.next;
      else conn.prev.next = conn.next;
      if (conn.next !== undefined) conn.next.prev = conn.prev;
      conn.prev = conn.next = undefined;
      app.closed(conn);
    },
  };

  server.on('connection', (socket: Socket) => socket.setNoDelay(true));
  server.on('upgrade', (req: http.IncomingMessage, socket: Socket, head: Buffer) => {
    // http.Server took its own 'error' listener off the socket when it handed it over: ours goes first, before a
    // write that a reset peer would fail.
    socket.on('error', ignoreSocketError);
    const refusal = refuseUpgrade(req);
    // The 400 (405) also says which backend refused it.
    if (refusal !== undefined) return rejectHandshake(socket, refusal.status, refusal.message, id);
    if (!socket.writable) return void socket.destroy();
    socket.write(Buffer.concat([Buffer.from(acceptUpgrade(req, extra), 'latin1'), helloBytes]));
    const conn = new BackendConn(socket, host);
    conn.next = first;
    if (first !== undefined) first.prev = conn;
    first = conn;
    counters.sessionsTotal++;
    counters.sessionsOpen++;
    conn.attach(head);
  });

  function onMessage(conn: BackendConn, data: Buffer, isBinary: boolean): void {
    if (!isBinary) {
      if (isCloseRequest(data)) {
        conn.close(1000, 'close requested');
        return;
      }
      // 0x7b '{': only such frames may be the app's; measured messages (`wsherd:m:`) never are.
      if (data[0] === 0x7b && app.handle(conn, data)) return;
    }
    counters.messagesEchoed++;
    conn.send(data, isBinary);
  }

  let port: number;
  try {
    port = await listenOn(server, opts.host ?? '127.0.0.1', opts.port ?? 0, `backend ${id}`);
  } catch (err) {
    await app.close();
    throw err;
  }

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= new Promise<void>((resolve) => {
      for (let c = first; c !== undefined; c = c.next) c.socket.destroy();
      server.close(() => void app.close().then(resolve));
      server.closeAllConnections();
    });
    return closing;
  };
  return { port, close, stats };
}

function isCloseRequest(data: Buffer): boolean {
  if (data.length !== CLOSE_REQUEST_BYTES) return false;
  return data.toString('utf8') === CLOSE_REQUEST;
}

function rejectHandshake(socket: Duplex, status: number, message: string, id: string): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const body = `${message}\n`;
  socket.once('finish', () => socket.destroy());
  socket.end(
    `HTTP/1.1 ${status} ${http.STATUS_CODES[status] ?? ''}\r\n` +
      `${BACKEND_HEADER}: ${id}\r\nConnection: close\r\nContent-Type: text/plain\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}
