/**
 * The L4 listener: accept a TCP connection, pick a backend, connect, and splice bytes both ways (TCP mode of
 * HAProxy). Per connection it holds two sockets, two pipes and a few closures; no timers except while
 * connecting and after a half-close, so 8,000 relayed connections cost little beyond their 16,000 fds.
 */
import net from 'node:net';
import { fdLimit, openFds } from '../probes/proc.js';
import type { BackendPool, BackendState } from './pool.js';
import type { Strategy } from './strategies/types.js';
import { DEFAULT_SOURCE, FdBackoff, portAcquire, portRelease, SourcePool } from './upstream.js';

export interface L4Counters {
  connectionsTotal: number;
  connectionsOpen: number;
  /** Accept failures on the listener (EMFILE/ENFILE): the proxy ran out of fds, not the backends. */
  acceptsRefused: number;
  /** Clients closed at once because `maxconn` connections were open. */
  maxconnRefused: number;
  /**
   * Failure counts by reason: `no_backend`, `no_backend_after_retry`, `upstream_connect_failed` (the backend
   * refused or timed out), `upstream_connect_EMFILE`, `_ENFILE` (this proxy is out of fds),
   * `upstream_connect_EADDRNOTAVAIL`, `upstream_connect_EADDRINUSE` (no free local port: an unbound connect
   * reports the first, a bind to a source address the second), `accept_EMFILE`,
   * `accept_ENFILE` (accept failed), `accept_backoff` (closed while backing off after running out of fds), `upstream_<code>` (the backend
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
  /** Local addresses to bind upstream connects to (least-used per backend). Empty: the kernel picks. */
  sourceAddresses?: readonly string[];
  /** Above this many open client connections, new ones are closed at once (HAProxy `maxconn`). Default none. */
  maxconn?: number;
}

/**
 * Errors that mean this process is out of fds or local ports: never the backend's fault, so never marked on it.
 * Out of ports, an unbound connect fails EADDRNOTAVAIL; one bound to a source address fails EADDRINUSE (the
 * implicit bind finds no free port; Node reports it on the connect).
 */
const OWN_LIMIT_CODES = new Set(['EMFILE', 'ENFILE', 'EADDRNOTAVAIL', 'EADDRINUSE']);
const FD_CODES = new Set(['EMFILE', 'ENFILE']);

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
  const backoff = new FdBackoff();
  const fdGuard = createFdGuard(() => sockets.size);
  const ctx: RelayContext = { ...opts, track, backoff, sources: new SourcePool(opts.sourceAddresses ?? []) };
  const server = net.createServer({ allowHalfOpen: true, noDelay: true, pauseOnConnect: true }, (client) => {
    if (!fdGuard()) {
      // Not enough fds left for the upstream connect: refuse now rather than at the next accept, which libuv's
      // EMFILE trick would drop without telling us (it accepts and closes pending connections silently).
      counters.acceptsRefused++;
      bump(counters.errors, 'accept_EMFILE');
      backoff.hit(Date.now());
      client.on('error', () => {});
      client.destroy();
      return;
    }
    if (backoff.paused(Date.now())) {
      counters.acceptsRefused++;
      bump(counters.errors, 'accept_backoff');
      client.on('error', () => {});
      client.destroy();
      return;
    }
    if (opts.maxconn !== undefined && counters.connectionsOpen >= opts.maxconn) {
      counters.maxconnRefused++;
      client.on('error', () => {});
      client.destroy();
      return;
    }
    counters.connectionsTotal++;
    counters.connectionsOpen++;
    relay(client, ctx);
  });
  server.on('error', (err: NodeJS.ErrnoException) => {
    // Node reports a failed accept as a server error and keeps listening: libuv's EMFILE trick (a reserved fd)
    // accepts and closes the pending connections, so the loop does not spin; we add the back-off above.
    const code = err.code ?? 'error';
    bump(counters.errors, `accept_${code}`);
    if (FD_CODES.has(code)) {
      counters.acceptsRefused++;
      backoff.hit(Date.now());
    }
  });
  const destroyAll = (): void => {
    for (const s of sockets) s.destroy();
  };
  return { server, destroyAll };
}

interface RelayContext extends L4Options {
  track: (s: net.Socket) => void;
  backoff: FdBackoff;
  sources: SourcePool;
}

/** fds kept free: one for this client's upstream, one so the next accept still succeeds and is counted. */
const FD_SPARE = 2;
/** Below this many fds of estimated headroom, count the real fds (a /proc read) on every accept. */
const FD_CHECK_MARGIN = 32;

/**
 * True while an accepted client can get its upstream fd. Cheap far from the limit (an estimate from the
 * socket count); near it, the real count from /proc/self/fd, which itself fails with EMFILE when none is left.
 */
function createFdGuard(relayedSockets: () => number): () => boolean {
  const limit = fdLimit();
  const baseline = openFds();
  if (limit < 0 || baseline < 0 || limit >= Number.MAX_SAFE_INTEGER) return () => true;
  return () => {
    if (baseline + relayedSockets() + FD_CHECK_MARGIN < limit) return true;
    const open = openFds();
    return open >= 0 && open + FD_SPARE <= limit;
  };
}

function relay(client: net.Socket, opts: RelayContext): void {
  const { counters, pool, strategy, track } = opts;
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
    const localAddress = opts.sources.pick(backend);
    const source = localAddress ?? DEFAULT_SOURCE;
    portAcquire(backend, source);
    const up = net.connect({ host: backend.host, port: backend.port, allowHalfOpen: true, noDelay: true, ...(localAddress === undefined ? {} : { localAddress }) });
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
    up.on('error', (err: NodeJS.ErrnoException) => onUpstreamError(backend, source, err));
    up.once('end', onHalfClose);
    up.once('close', (hadError) => {
      backend.active--;
      portRelease(backend, source);
      if (upstream !== up || !connected || client.destroyed) return;
      if (hadError) client.destroy();
      else endThenDestroy(client);
    });
  };

  function onUpstreamError(backend: BackendState, source: string, err: NodeJS.ErrnoException): void {
    const code = err.code ?? 'error';
    if (connected) {
      // The backend reset or vanished mid-stream; the close handler drops the client.
      bump(counters.errors, `upstream_${code}`);
      return;
    }
    if (OWN_LIMIT_CODES.has(code)) {
      // Our own limit (fds, or local ports for this source and backend): not the backend's fault, and another
      // backend would hit the same wall, so close the client (L4 has no way to answer it).
      bump(counters.errors, `upstream_connect_${code}`);
      backend.sourceErrors.set(source, (backend.sourceErrors.get(source) ?? 0) + 1);
      if (FD_CODES.has(code)) opts.backoff.hit(Date.now());
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
