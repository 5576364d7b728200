/**
 * The reference socket.io backend: the same identity convention as the ws backend (x-wsherd-backend on every
 * HTTP response, a `hello` first), an `echo` event answered through its acknowledgement, `message` events echoed
 * back, and counters for what sticky balancing is about: handshakes, upgrades, polling requests and the
 * "Session ID unknown" rejections a client gets when the balancer sends its poll to the wrong backend.
 */
import http from 'node:http';
import type { Duplex } from 'node:stream';
import { Server, type Socket } from 'socket.io';
import type { BackendStats } from '../results/lab-types.js';
import { listenOn } from '../lab/listen.js';
import { answerStatsOr404, BACKEND_HEADER, STATS_PATH } from './identity.js';
import { attachRoomsApp, useRedisAdapter, type Bus } from './socketio-app.js';

export type SocketIoTransport = 'polling' | 'websocket';

export interface SocketIoBackendOptions {
  /** Identity reported in the header, the hello event and the stats, e.g. `b1`. */
  id: string;
  /** Listen address. Default 127.0.0.1. */
  host?: string;
  /** Listen port; 0 (the default) picks an ephemeral port. */
  port?: number;
  /** engine.io path. Default `/socket.io/`. */
  path?: string;
  /**
   * engine.io's session cookie (Set-Cookie `<name>=<sid>` on the handshake), which cookie-sticky balancers
   * route by. false (default): none; true: named `io`; a string: that name.
   */
  cookie?: boolean | string;
  /** Transports accepted. Default both; `['websocket']` refuses polling handshakes (400, code 3). */
  transports?: SocketIoTransport[];
  /** `redis://host:port` of the lab's bus: rooms and chats span every backend on it (@socket.io/redis-adapter). */
  bus?: string;
}

/** engine.io's error codes (engine.io Server.errors), as counted in `connectionErrors`. */
export const ENGINE_IO_ERRORS: Readonly<Record<number, string>> = {
  0: 'unknown_transport',
  1: 'unknown_sid',
  2: 'bad_handshake_method',
  3: 'bad_request',
  4: 'forbidden',
  5: 'unsupported_protocol_version',
};

export interface SocketIoBackendStats extends BackendStats {
  kind: 'socketio';
  /** engine.io handshakes accepted (new engine.io sessions, before the socket.io namespace connect). */
  handshakes: number;
  /** Sessions that moved from polling to websocket. */
  upgrades: number;
  /** Requests and upgrades refused with engine.io code 1 "Session ID unknown". */
  unknownSid: number;
  /** HTTP long-polling requests (GET and POST, handshakes included) that reached engine.io's path. */
  pollingRequests: number;
  /** Every engine.io refusal by error name (unknown_sid, bad_request, …). */
  connectionErrors: Record<string, number>;
  /** `join` events that put a socket in a room (docs/lab-app.md). */
  roomsJoined: number;
  /** `chat` events received; each is relayed to the other members of its room. */
  chatsReceived: number;
  /** `request` events answered. */
  requests: number;
}

export interface RunningSocketIoBackend {
  id: string;
  /** The port actually bound. */
  port: number;
  /** Stops listening and drops every open session; resolves when the server is closed. */
  close(): Promise<void>;
  stats(): SocketIoBackendStats;
}

/** Largest packet accepted (16 MiB), as the ws backend; engine.io's default is 1 MB. */
const MAX_PAYLOAD_BYTES = 16 * 1024 * 1024;

export async function startSocketIoBackend(opts: SocketIoBackendOptions): Promise<RunningSocketIoBackend> {
  const { id } = opts;
  const path = opts.path ?? '/socket.io/';
  const counters = { sessionsTotal: 0, sessionsOpen: 0, messagesEchoed: 0, handshakes: 0, upgrades: 0, unknownSid: 0, pollingRequests: 0, roomsJoined: 0, chatsReceived: 0, requests: 0 };
  const connectionErrors: Record<string, number> = {};
  const stats = (): SocketIoBackendStats => ({ id, pid: process.pid, kind: 'socketio', ...counters, connectionErrors: { ...connectionErrors } });

  // Requests off engine.io's path reach this handler (engine.io's attach() keeps it as its fallback).
  const httpServer = http.createServer((req, res) => {
    answerStatsOr404(req, res, stats, `Not found: this is wsherd reference socket.io backend ${id}; connect at ${path} or GET ${STATS_PATH}`);
  });
  httpServer.on('connection', (socket) => socket.setNoDelay(true));
  const transports = opts.transports ?? ['polling', 'websocket'];
  const cookie = opts.cookie === undefined || opts.cookie === false ? false : { name: opts.cookie === true ? 'io' : opts.cookie, path: '/', httpOnly: true, sameSite: 'lax' as const };
  const io = new Server(httpServer, {
    path,
    cookie,
    transports,
    serveClient: false,
    maxHttpBufferSize: MAX_PAYLOAD_BYTES,
    perMessageDeflate: false,
    httpCompression: false,
    // engine.io's own answer to an upgrade off its path is a bare end() a second later on a socket nobody reads:
    // bytes sent after the request head stay unread, the FIN never surfaces, and the fd stays open long after the
    // kernel dropped the connection (issue 15: 40 and 47 fds vs 21 after fuzzing through a proxy). We refuse
    // those upgrades ourselves (refuseUpgrade).
    destroyUpgrade: false,
  });

  // engine.io's `headers` event covers the responses its transports write (handshake, polls, POSTs) and the 101,
  // but not its refusals: abortRequest() calls res.writeHead() directly. A header set before engine.io runs is
  // merged by writeHead, so this listener names the backend on its 400s too. It must be prepended after the
  // Server is built: engine.io's attach() removes every `request` listener present at that time.
  io.engine.on('headers', (headers: Record<string, string | string[]>) => {
    headers[BACKEND_HEADER] = id;
  });
  const enginePath = path.endsWith('/') ? path : `${path}/`;
  httpServer.prependListener('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    res.setHeader(BACKEND_HEADER, id);
    if (req.url?.startsWith(enginePath) === true && /[?&]transport=polling(&|$)/.test(req.url)) counters.pollingRequests++;
  });
  // A refused upgrade (unknown sid, bad request) is written as raw bytes by engine.io's abortUpgrade, bypassing
  // every header hook: add the header to the status block of the first write on that socket.
  httpServer.prependListener('upgrade', (req: http.IncomingMessage, socket: Duplex) => {
    tagFirstResponse(socket, id);
    // Without websocket engine.io registers no upgrade listener, and ours alone would leave the socket open.
    if (!transports.includes('websocket')) refuseUpgrade(socket, id, 'WebSocket transport disabled on this backend');
    // engine.io takes an upgrade when the URL starts with its path (its attach() check, kept identical).
    else if ((req.url ?? '').slice(0, path.length) !== path) refuseUpgrade(socket, id, `No WebSocket endpoint here; connect at ${path}`, 404);
  });

  io.engine.on('connection', () => counters.handshakes++);
  io.engine.on('connection_error', (err: { code: number }) => {
    const name = ENGINE_IO_ERRORS[err.code] ?? `code_${err.code}`;
    connectionErrors[name] = (connectionErrors[name] ?? 0) + 1;
    if (err.code === 1) counters.unknownSid++;
  });

  io.on('connection', (socket: Socket) => {
    counters.sessionsTotal++;
    counters.sessionsOpen++;
    socket.on('disconnect', () => counters.sessionsOpen--);
    socket.conn.once('upgrade', () => counters.upgrades++);
    socket.on('echo', (payload: unknown, ack?: unknown) => {
      counters.messagesEchoed++;
      if (typeof ack === 'function') (ack as (p: unknown) => void)(payload);
    });
    socket.on('message', (...args: unknown[]) => {
      counters.messagesEchoed++;
      socket.emit('message', ...args);
    });
    attachRoomsApp(socket, id, counters);
    socket.emit('hello', { wsherd: 'hello', backend: id, pid: process.pid, sid: engineSid(socket), transport: socket.conn.transport.name });
  });

  // On the bus before listening: no client can join a room that does not span the backends yet.
  let bus: Bus | undefined;
  if (opts.bus !== undefined) {
    try {
      bus = await useRedisAdapter(io, opts.bus);
    } catch (err) {
      void io.close();
      throw err;
    }
  }
  let port: number;
  try {
    port = await listenOn(httpServer, opts.host ?? '127.0.0.1', opts.port ?? 0, `socket.io backend ${id}`);
  } catch (err) {
    await bus?.close();
    throw err;
  }

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= new Promise<void>((resolve) => {
      // io.close() disconnects every session and closes the http server; its callback waits for the server.
      void io.close(() => {
        if (bus === undefined) resolve();
        else void bus.close().then(resolve);
      });
      httpServer.closeAllConnections();
    });
    return closing;
  };
  return { id, port, close, stats };
}

function tagFirstResponse(socket: Duplex, id: string): void {
  const write = socket.write;
  const patched = function (this: Duplex, chunk: unknown, ...rest: unknown[]): boolean {
    socket.write = write;
    if (typeof chunk === 'string' && chunk.startsWith('HTTP/1.1 ') && !chunk.toLowerCase().includes(`\r\n${BACKEND_HEADER}:`)) {
      const eol = chunk.indexOf('\r\n');
      chunk = `${chunk.slice(0, eol)}\r\n${BACKEND_HEADER}: ${id}${chunk.slice(eol)}`;
    }
    return (write as (...a: unknown[]) => boolean).call(this, chunk, ...rest);
  };
  socket.write = patched as typeof socket.write;
}

/** How long a refused upgrade socket may linger for the client to read the answer and close. */
const REFUSED_LINGER_MS = 2000;

/**
 * Answers an upgrade no handler takes and closes the socket. It is read (input dropped) until it closes, so a FIN
 * or RST is noticed: a socket nobody reads keeps its fd after the kernel dropped the connection. Bounded linger.
 */
function refuseUpgrade(socket: Duplex, id: string, text: string, status: 400 | 404 = 400): void {
  const body = `${text}\n`;
  socket.on('error', () => {});
  socket.resume();
  socket.end(`HTTP/1.1 ${status} ${status === 400 ? 'Bad Request' : 'Not Found'}\r\n${BACKEND_HEADER}: ${id}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
  const timer = setTimeout(() => socket.destroy(), REFUSED_LINGER_MS);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
}

/** The engine.io session id (the `sid` a sticky balancer routes by); engine.io's typings mark it private. */
function engineSid(socket: Socket): string {
  return (socket.conn as unknown as { id: string }).id;
}
