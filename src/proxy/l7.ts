/**
 * The L7 listener (HAProxy `mode http`): parses each request, routes it by the strategy (which may read the
 * cookie, the query string or a learned table), forwards it over keep-alive connections to the backend and
 * streams the answer back; WebSocket upgrades become tunnels (l7-upgrade.ts). The proxy answers by itself only
 * when it must: 400 for malformed requests, 502 when the backends fail, 503 with an `x-wsherd-reason` header
 * when no backend is left or its own ports or fds ran out.
 */
import http from 'node:http';
import type net from 'node:net';
import { bookConnectFailure, bump, createAcceptGuard } from './accept.js';
import { addForwarded, endToEndHeaders, ownLimitAnswer, proxyResponse, REASON_HEADER } from './http-util.js';
import { pickContext, route, type L7Context, type L7Options } from './l7-shared.js';
import { handleUpgrade } from './l7-upgrade.js';
import type { BackendState } from './pool.js';
import { isSticky, type PickContext, type ResponseInfo, type StickyStrategy } from './strategies/types.js';
import type { TunnelOwner } from './tunnel.js';
import { DEFAULT_SOURCE, portAcquire, portRelease, SourcePool } from './upstream.js';

export type { L7Options } from './l7-shared.js';

/** The most of a response body held back for a strategy to learn from (an Engine.IO handshake is ~100 bytes). */
const MAX_LEARN_BODY = 64 * 1024;
/** Methods retried on another backend after a failed connect: they carry no body, so nothing was consumed. */
const BODYLESS = new Set(['GET', 'HEAD', 'OPTIONS', 'DELETE']);
const UPSTREAM_IDLE_MS = 5000;

export interface L7Server {
  server: net.Server;
  destroyAll(): void;
}

export function createL7Server(opts: L7Options): L7Server {
  const sockets = new Set<net.Socket>();
  // One listener function for every socket (no closure per socket): this is the emitter.
  const untrack = function (this: net.Socket): void {
    sockets.delete(this);
  };
  const track = (s: net.Socket): void => {
    sockets.add(s);
    s.on('close', untrack);
  };
  const guard = createAcceptGuard(opts.counters, () => sockets.size, opts.maxconn);
  const tunnels: TunnelOwner = {
    errors: opts.counters.errors,
    halfCloseTimeoutMs: opts.halfCloseTimeoutMs ?? 30_000,
    upstreamClosed: (t) => {
      t.backend.active--;
      portRelease(t.backend, t.source);
    },
  };
  const c: L7Context = { ...opts, sources: new SourcePool(opts.sourceAddresses ?? [], opts.workers, opts.sourcePorts === 'named'), backoff: guard.backoff, track, tunnels, encrypted: opts.tls !== undefined };
  // One keep-alive pool for every backend: Node keys idle sockets by host, port and local address, so each
  // (backend, source) pair reuses its own connections, as HAProxy's `http-reuse` does.
  const agent = new http.Agent({ keepAlive: true, maxFreeSockets: 1024, scheduling: 'lifo' });
  // Idle upstream connections close after a while (HAProxy `timeout server` on idle reuse), so a removed
  // backend's pool and a quiet proxy's ports do not linger; a socket taken for a request clears it.
  agent.on('free', (s: net.Socket) => {
    idle.add(s);
    s.setTimeout(UPSTREAM_IDLE_MS);
  });
  const onRequest = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    forward(c, agent, req, res).catch((err: unknown) => {
      bump(c.counters.errors, 'internal');
      if (!res.headersSent) res.writeHead(502, { [REASON_HEADER]: 'internal', connection: 'close' }).end(`${String(err)}\n`);
      else res.destroy();
    });
  };
  if (opts.tls !== undefined && opts.httpsModule === undefined) throw new Error('createL7Server: tls without httpsModule');
  const server = opts.tls === undefined || opts.httpsModule === undefined ? http.createServer(onRequest) : opts.httpsModule.createServer({ ...opts.tls }, onRequest);
  server.on('connection', (socket: net.Socket) => {
    if (guard.admit(socket)) track(socket);
  });
  server.on('upgrade', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => handleUpgrade(c, req, socket, head));
  server.on('clientError', (err: NodeJS.ErrnoException, socket: net.Socket) => {
    // Malformed request line or headers: answer like HAProxy/nginx and close; never a crash.
    const code = err.code ?? 'error';
    if (code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const status = code === 'HPE_HEADER_OVERFLOW' ? 431 : code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
    bump(c.counters.errors, `bad_request_${code}`);
    socket.end(proxyResponse(status, 'bad-request', `Malformed HTTP request (${code}).`));
  });
  if (opts.tls !== undefined) {
    server.on('tlsClientError', (err: NodeJS.ErrnoException, socket: net.Socket) => {
      bump(c.counters.errors, `tls_${err.code ?? 'handshake_failed'}`);
      socket.destroy();
    });
  }
  server.on('error', (err: NodeJS.ErrnoException) => guard.onServerError(err));
  const destroyAll = (): void => {
    for (const s of sockets) s.destroy();
    agent.destroy();
  };
  return { server, destroyAll };
}

/** Which backend and source an agent socket belongs to, so its port is released once, when it closes. */
const accounted = new WeakSet<net.Socket>();
/** Pooled upstream sockets waiting for a request. */
const idle = new WeakSet<net.Socket>();
/** Responses the proxy itself cut because the backend failed: their close is not the client's doing. */
const cutByProxy = new WeakSet<http.ServerResponse>();

function cut(res: http.ServerResponse): void {
  cutByProxy.add(res);
  res.destroy();
}

async function forward(c: L7Context, agent: http.Agent, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  c.counters.requestsTotal++;
  const tried = new Set<string>();
  const retryable = BODYLESS.has(req.method ?? '') && req.headers['content-length'] === undefined && req.headers['transfer-encoding'] === undefined;
  const headers = addForwarded(endToEndHeaders(req.rawHeaders), req, c.encrypted);
  let clientGone = false;
  res.once('close', () => {
    clientGone = !res.writableFinished;
  });

  for (;;) {
    const ctx = pickContext(req, c.pool, tried);
    const backend = await route(c, ctx);
    if (clientGone) return;
    if (backend === undefined) {
      bump(c.counters.errors, tried.size === 0 ? 'no_backend' : 'no_backend_after_retry');
      answer(res, 503, 'no-backend', 'No backend is available.');
      return;
    }
    tried.add(backend.id);
    let outcome = await exchange(c, agent, req, res, { backend, ctx, headers, retryable, resent: false });
    if (outcome === 'again') outcome = await exchange(c, agent, req, res, { backend, ctx, headers, retryable, resent: true });
    if (outcome !== 'retry' || tried.size >= 2) {
      if (outcome === 'retry') answer(res, 502, 'upstream-connect-failed', `Backends ${[...tried].join(', ')} refused the connection.`);
      return;
    }
  }
}

interface Exchange {
  backend: BackendState;
  ctx: PickContext;
  headers: string[];
  retryable: boolean;
  /** Already sent again after a keep-alive race (at most once). */
  resent: boolean;
}

/** `retry`: the connect failed, try another backend; `again`: resend to the same backend (keep-alive race). */
type Outcome = 'done' | 'retry' | 'again';

/** One attempt against one backend. */
function exchange(c: L7Context, agent: http.Agent, req: http.IncomingMessage, res: http.ServerResponse, x: Exchange): Promise<Outcome> {
  const { backend } = x;
  const localAddress = c.sources.pick(backend);
  const source = localAddress ?? DEFAULT_SOURCE;
  backend.active++;
  let settled = false;
  /** The client left first and we destroyed the upstream request: its error is our doing, not the backend's. */
  let abandoned = false;
  return new Promise((resolve) => {
    const finish = (outcome: Outcome): void => {
      if (settled) return;
      settled = true;
      backend.active--;
      resolve(outcome);
    };
    const up = http.request({
      host: backend.host,
      port: backend.port,
      method: req.method,
      path: req.url,
      headers: x.headers,
      agent,
      setHost: false,
      ...(localAddress === undefined ? {} : { localAddress }),
    });
    let connected = false;
    up.on('socket', (s: net.Socket) => {
      if (!accounted.has(s)) {
        accounted.add(s);
        portAcquire(backend, source);
        s.once('close', () => portRelease(backend, source));
        s.on('timeout', () => {
          if (idle.has(s)) s.destroy();
        });
      }
      idle.delete(s);
      s.setTimeout(0);
      if (!s.connecting) {
        connected = true;
        return;
      }
      s.setTimeout(c.connectTimeoutMs ?? 5000, () => s.destroy(Object.assign(new Error('connect timed out'), { code: 'ETIMEDOUT' })));
      s.once('connect', () => {
        connected = true;
        s.setTimeout(0);
      });
    });
    up.on('response', (ures) => {
      backend.total++;
      respond(c, x, res, ures)
        .catch(() => res.destroy())
        .finally(() => finish('done'));
    });
    up.on('error', (err: NodeJS.ErrnoException) => {
      // Node reports our own destroy() of a request still connecting as ECONNRESET "socket hang up": booked as a
      // failed connect, any client that resets early would put a healthy backend into its cooldown (issue 15).
      if (abandoned) return;
      const code = err.code ?? 'error';
      if (res.headersSent) {
        // The backend failed mid-response: nothing honest can be sent but a cut connection.
        bump(c.counters.errors, `upstream_${code}`);
        cut(res);
        finish('done');
        return;
      }
      if (connected) {
        // A pooled connection the backend closed just as we reused it (the keep-alive race): nothing reached
        // the backend's application, so a body-less request is sent again, once, to the same backend.
        if (up.reusedSocket && x.retryable && !x.resent) {
          bump(c.counters.errors, 'upstream_reused_closed');
          finish('again');
          return;
        }
        // Connected, but the backend closed or reset before any answer: a 502 says so (HAProxy's "SH").
        bump(c.counters.errors, `upstream_${code}`);
        answer(res, 502, 'upstream-closed', `Backend ${backend.id} closed the connection without answering (${code}).`);
        finish('done');
        return;
      }
      if (bookConnectFailure(c, backend, source, code) === 'own') {
        const a = ownLimitAnswer(code) ?? { status: 503, reason: 'proxy-limit', text: code };
        answer(res, a.status, a.reason, a.text);
        finish('done');
        return;
      }
      if (x.retryable) finish('retry');
      else {
        answer(res, 502, 'upstream-connect-failed', `Backend ${backend.id} refused the connection (${code}).`);
        finish('done');
      }
    });
    res.once('close', () => {
      if (!res.writableFinished) {
        if (!cutByProxy.has(res)) bump(c.counters.errors, 'client_aborted');
        abandoned = true;
        up.destroy();
        finish('done');
      }
    });
    if (x.retryable) up.end();
    else req.pipe(up);
  });
}

/** Sends the backend's response on, with the strategy's additions, after it learned from the body if it asked. */
async function respond(c: L7Context, x: Exchange, res: http.ServerResponse, ures: http.IncomingMessage): Promise<void> {
  const info: ResponseInfo = { statusCode: ures.statusCode ?? 502, headers: ures.headers };
  const sticky: StickyStrategy | undefined = isSticky(c.strategy) ? c.strategy : undefined;
  const headers = endToEndHeaders(ures.rawHeaders);
  const extra = sticky?.onResponse?.(x.ctx, x.backend, info);
  for (const [k, v] of Object.entries(extra ?? {})) headers.push(k, v);
  let held: Buffer[] = [];
  if (sticky?.learn !== undefined && sticky.wantsBody?.(x.ctx, info) === true) {
    // Learn before the client sees the answer: its next request (here or at a proxy sharing the store) must
    // already find the entry.
    held = await readUpTo(ures, MAX_LEARN_BODY);
    await sticky.learn(x.ctx, x.backend, Buffer.concat(held).toString('utf8'));
  }
  ures.on('error', (err: NodeJS.ErrnoException) => {
    bump(c.counters.errors, `upstream_${err.code ?? 'error'}`);
    cut(res);
  });
  res.writeHead(info.statusCode, ures.statusMessage, headers);
  for (const chunk of held) res.write(chunk);
  if (ures.readableEnded) {
    // The whole body was held: a pipe from an ended stream would never end the response.
    res.end();
    return;
  }
  await new Promise<void>((resolve) => {
    ures.pipe(res);
    res.once('close', resolve);
    ures.once('close', () => {
      if (!ures.complete) cut(res);
      resolve();
    });
  });
}

/** Reads chunks until `limit` bytes or the end, leaving the stream paused for a later pipe. */
function readUpTo(stream: http.IncomingMessage, limit: number): Promise<Buffer[]> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (): void => {
      stream.off('data', onData);
      stream.off('end', done);
      stream.pause();
      resolve(chunks);
    };
    const onData = (chunk: Buffer): void => {
      chunks.push(chunk);
      size += chunk.length;
      if (size >= limit) done();
    };
    stream.on('data', onData);
    stream.once('end', done);
  });
}

function answer(res: http.ServerResponse, status: number, reason: string, text: string): void {
  if (res.headersSent || res.destroyed) {
    res.destroy();
    return;
  }
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', [REASON_HEADER]: reason, connection: 'close' }).end(`${text}\n`);
}
