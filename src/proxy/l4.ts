/**
 * The L4 listener: accept a TCP connection, pick a backend, connect, and splice bytes both ways (TCP mode of
 * HAProxy). Per connection it holds two sockets, two pipes and a few closures; no timers except while
 * connecting and after a half-close, so 8,000 relayed connections cost little beyond their 16,000 fds.
 */
import net from 'node:net';
import type { BackendPool, BackendState } from './pool.js';
import type { Strategy } from './strategies/types.js';

export interface L4Counters {
  connectionsTotal: number;
  connectionsOpen: number;
  /** Accept failures on the listener (EMFILE/ENFILE): the proxy ran out of fds, not the backends. */
  acceptsRefused: number;
  /**
   * Failure counts by reason: `no_backend`, `no_backend_after_retry`, `upstream_connect_failed` (the backend
   * refused or timed out), `upstream_connect_EMFILE` (this proxy is out of fds), `upstream_<code>` (the backend
   * reset mid-stream), `client_<code>` (the client reset), `accept_<code>` (other accept failures).
   */
  errors: Record<string, number>;
}

export interface L4Options {
  strategy: Strategy;
  pool: BackendPool;
  counters: L4Counters;
  /** Upstream connect timeout, ms. Default 5000. */
  connectTimeoutMs?: number;
  /** How long a backend stays out of rotation after a failed connect, ms. Default 1000. */
  failureCooldownMs?: number;
  /** Idle time allowed after one side half-closed before both are dropped, ms. Default 30000. */
  halfCloseTimeoutMs?: number;
  /** Told about every failed upstream connect (passive health observation), with the error code. */
  onConnectFailed?: (backend: BackendState, code: string) => void;
}

/** Errors that mean this process is out of fds: never the backend's fault, so never marked on it. */
const OWN_LIMIT_CODES = new Set(['EMFILE', 'ENFILE']);

export function bump(errors: Record<string, number>, reason: string): void {
  errors[reason] = (errors[reason] ?? 0) + 1;
}

export interface L4Server {
  server: net.Server;
  /** Destroys every client and upstream socket (used at shutdown; server.close() alone waits for them). */
  destroyAll(): void;
}

export function createL4Server(opts: L4Options): L4Server {
  const { counters } = opts;
  const sockets = new Set<net.Socket>();
  const track = (s: net.Socket): void => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  };
  // allowHalfOpen: a client's FIN is relayed to the backend, which may still answer (TCP half-close).
  const server = net.createServer({ allowHalfOpen: true, noDelay: true, pauseOnConnect: true }, (client) => {
    counters.connectionsTotal++;
    counters.connectionsOpen++;
    relay(client, opts, track);
  });
  server.on('error', (err: NodeJS.ErrnoException) => {
    // Node reports a failed accept as a server error and keeps listening (libuv drops the pending connection).
    if (err.code !== undefined && OWN_LIMIT_CODES.has(err.code)) counters.acceptsRefused++;
    else bump(counters.errors, `accept_${err.code ?? 'error'}`);
  });
  const destroyAll = (): void => {
    for (const s of sockets) s.destroy();
  };
  return { server, destroyAll };
}

function relay(client: net.Socket, opts: L4Options, track: (s: net.Socket) => void): void {
  const { counters, pool, strategy } = opts;
  const connectTimeoutMs = opts.connectTimeoutMs ?? 5000;
  const halfCloseMs = opts.halfCloseTimeoutMs ?? 30_000;
  let upstream: net.Socket | undefined;
  let connected = false;
  const tried = new Set<string>();
  const remoteAddress = client.remoteAddress;
  const remotePort = client.remotePort;

  track(client);
  client.setNoDelay(true);
  client.on('error', (err: NodeJS.ErrnoException) => bump(counters.errors, `client_${err.code ?? 'error'}`));
  client.once('close', (hadError) => {
    counters.connectionsOpen--;
    if (!upstream || upstream.destroyed) return;
    if (hadError || !connected) upstream.destroy();
    else endThenDestroy(upstream);
  });
  client.once('end', onHalfClose);

  const attempt = (): void => {
    if (client.destroyed) return;
    const now = Date.now();
    pool.reviveDue(now);
    const picked = strategy.pick({ remoteAddress, remotePort, activeConnections: pool.activeConnections, exclude: tried });
    if (!picked) {
      bump(counters.errors, tried.size === 0 ? 'no_backend' : 'no_backend_after_retry');
      client.destroy();
      return;
    }
    const backend = picked as BackendState;
    tried.add(backend.id);
    backend.active++;
    const up = net.connect({ host: backend.host, port: backend.port, allowHalfOpen: true, noDelay: true });
    upstream = up;
    track(up);
    up.setTimeout(connectTimeoutMs);
    up.once('connect', () => {
      connected = true;
      backend.total++;
      up.setTimeout(0);
      client.pipe(up);
      up.pipe(client);
      client.resume();
    });
    up.on('timeout', () => {
      if (!connected) up.destroy(Object.assign(new Error('connect timed out'), { code: 'ETIMEDOUT' }));
      else destroyBoth();
    });
    up.on('error', (err: NodeJS.ErrnoException) => onUpstreamError(backend, err));
    up.once('end', onHalfClose);
    up.once('close', (hadError) => {
      backend.active--;
      if (upstream !== up || !connected || client.destroyed) return;
      if (hadError) client.destroy();
      else endThenDestroy(client);
    });
  };

  function onUpstreamError(backend: BackendState, err: NodeJS.ErrnoException): void {
    const code = err.code ?? 'error';
    if (connected) {
      // The backend reset or vanished mid-stream; the close handler drops the client.
      bump(counters.errors, `upstream_${code}`);
      return;
    }
    if (OWN_LIMIT_CODES.has(code)) {
      bump(counters.errors, `upstream_connect_${code}`);
      client.destroy();
      return;
    }
    bump(counters.errors, 'upstream_connect_failed');
    pool.markFailed(backend, Date.now(), opts.failureCooldownMs ?? 1000);
    opts.onConnectFailed?.(backend, code);
    // One retry on another backend; the client has sent nothing upstream yet (it stays paused until connect).
    if (tried.size < 2) attempt();
    else client.destroy();
  }

  let halfClosed = false;
  function onHalfClose(): void {
    // From now on the connection may idle forever waiting for the other FIN; bound it here rather than with
    // a timer on every healthy connection.
    if (halfClosed) return;
    halfClosed = true;
    client.setTimeout(halfCloseMs);
    upstream?.setTimeout(halfCloseMs);
    client.on('timeout', destroyBoth);
  }

  function destroyBoth(): void {
    client.destroy();
    upstream?.destroy();
  }

  attempt();
}

/** Flush what is queued for `s`, then close it fully. */
function endThenDestroy(s: net.Socket): void {
  if (s.destroyed) return;
  if (s.writableFinished) {
    s.destroy();
    return;
  }
  s.once('finish', () => s.destroy());
  s.end();
}
