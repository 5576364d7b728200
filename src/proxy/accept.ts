/**
 * Admission of client connections, shared by the L4 and L7 listeners: refuse (and count) a client when the
 * process is nearly out of fds, while backing off after running out, and above `maxconn`; count failed accepts
 * reported by the listener. Refusing early closes one fd instead of spending two more on a doomed upstream.
 */
import type net from 'node:net';
import { fdLimit, openFds } from '../probes/proc.js';
import type { BackendPool, BackendState } from './pool.js';
import type { Strategy } from './strategies/types.js';
import { FdBackoff } from './upstream.js';

export interface ProxyCounters {
  connectionsTotal: number;
  connectionsOpen: number;
  /** Accept failures on the listener (EMFILE/ENFILE): the proxy ran out of fds, not the backends. */
  acceptsRefused: number;
  /** Clients closed at once because `maxconn` connections were open. */
  maxconnRefused: number;
  /** L7: HTTP requests routed (upgrades not included). */
  requestsTotal: number;
  /** L7: WebSocket upgrade requests routed. */
  upgradesTotal: number;
  /** Failure counts by reason; see docs/proxy.md for the list. */
  errors: Record<string, number>;
}

export function newCounters(): ProxyCounters {
  return { connectionsTotal: 0, connectionsOpen: 0, acceptsRefused: 0, maxconnRefused: 0, requestsTotal: 0, upgradesTotal: 0, errors: {} };
}

export function bump(errors: Record<string, number>, reason: string): void {
  errors[reason] = (errors[reason] ?? 0) + 1;
}

export const FD_CODES = new Set(['EMFILE', 'ENFILE']);

/**
 * Errors that mean this process is out of fds or local ports: never the backend's fault, so never marked on it.
 * Out of ports, an unbound connect fails EADDRNOTAVAIL; one bound to a source address fails EADDRINUSE (the
 * implicit bind finds no free port; Node reports it on the connect).
 */
export const OWN_LIMIT_CODES = new Set(['EMFILE', 'ENFILE', 'EADDRNOTAVAIL', 'EADDRINUSE']);

/** What both listeners (L4 and L7) are built from. */
export interface ListenerOptions {
  strategy: Strategy;
  pool: BackendPool;
  counters: ProxyCounters;
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
  /** `named`: the proxy names upstream source ports (upstream.ts); default kernel. */
  sourcePorts?: 'kernel' | 'named';
  /** Workers of the proxy's cluster (1: none): how the named source ports are shared out (upstream.ts). */
  workers?: number;
  /** Above this many open client connections, new ones are closed at once (HAProxy `maxconn`). Default none. */
  maxconn?: number;
  /** Terminate TLS (wss://, https://) with this PEM certificate and key; the backends get plain TCP. */
  tls?: { cert: string; key: string };
}

/** fds kept free: one for this client's upstream, one so the next accept still succeeds and is counted. */
const FD_SPARE = 2;
/** Below this many fds of estimated headroom, count the real fds (a /proc read) on every accept. */
const FD_CHECK_MARGIN = 32;

export interface AcceptGuard {
  readonly backoff: FdBackoff;
  /**
   * True when the client may be served (counted as open); false after it was refused and destroyed. With
   * `countClose` false the caller decrements connectionsOpen when the client closes (saves a listener).
   */
  admit(client: net.Socket, countClose?: boolean): boolean;
  /** For the listener's 'error' event: a failed accept. */
  onServerError(err: NodeJS.ErrnoException): void;
}

/** `socketsOpen`: sockets the listener holds now (clients and upstreams), for the cheap fd estimate. */
export function createAcceptGuard(counters: ProxyCounters, socketsOpen: () => number, maxconn: number | undefined): AcceptGuard {
  const backoff = new FdBackoff();
  const fdGuard = createFdGuard(socketsOpen);
  const refuse = (client: net.Socket): false => {
    client.on('error', () => {});
    client.destroy();
    return false;
  };
  // One function for every client's close, not a closure per connection.
  const closed = (): void => {
    counters.connectionsOpen--;
  };
  return {
    backoff,
    admit(client, countClose = true) {
      if (!fdGuard()) {
        // Not enough fds left for the upstream connect: refuse now rather than at the next accept, which libuv's
        // EMFILE trick would drop without telling us (it accepts and closes pending connections silently).
        counters.acceptsRefused++;
        bump(counters.errors, 'accept_EMFILE');
        backoff.hit(Date.now());
        return refuse(client);
      }
      if (backoff.paused(Date.now())) {
        counters.acceptsRefused++;
        bump(counters.errors, 'accept_backoff');
        return refuse(client);
      }
      if (maxconn !== undefined && counters.connectionsOpen >= maxconn) {
        counters.maxconnRefused++;
        return refuse(client);
      }
      counters.connectionsTotal++;
      counters.connectionsOpen++;
      if (countClose) client.on('close', closed);
      return true;
    },
    onServerError(err) {
      // Node reports a failed accept as a server error and keeps listening: libuv's EMFILE trick (a reserved fd)
      // accepts and closes the pending connections, so the loop does not spin; we add the back-off above.
      const code = err.code ?? 'error';
      bump(counters.errors, `accept_${code}`);
      if (FD_CODES.has(code)) {
        counters.acceptsRefused++;
        backoff.hit(Date.now());
      }
    },
  };
}

/**
 * True while an accepted client can get its upstream fd. Cheap far from the limit (an estimate from the
 * socket count); near it, the real count from /proc/self/fd, which itself fails with EMFILE when none is left.
 */
function createFdGuard(socketsOpen: () => number): () => boolean {
  const limit = fdLimit();
  const baseline = openFds();
  if (limit < 0 || baseline < 0 || limit >= Number.MAX_SAFE_INTEGER) return () => true;
  return () => {
    if (baseline + socketsOpen() + FD_CHECK_MARGIN < limit) return true;
    const open = openFds();
    return open >= 0 && open + FD_SPARE <= limit;
  };
}

/** Flush what is queued for `s`, then close it fully. */
export function endThenDestroy(s: net.Socket): void {
  if (s.destroyed) return;
  if (s.writableFinished) {
    s.destroy();
    return;
  }
  s.once('finish', () => s.destroy());
  s.end();
}

/**
 * Books a failed upstream connect. Returns `own` when the proxy's own limit was hit (no port, no fd: counted per
 * source, not the backend's fault, and no other backend would fare better), else `backend` (counted against it,
 * marked for passive health; the caller may retry elsewhere).
 */
export function bookConnectFailure(c: ListenerOptions & { backoff: FdBackoff }, backend: BackendState, source: string, code: string): 'own' | 'backend' {
  if (OWN_LIMIT_CODES.has(code)) {
    bump(c.counters.errors, `upstream_connect_${code}`);
    backend.sourceErrors.set(source, (backend.sourceErrors.get(source) ?? 0) + 1);
    if (FD_CODES.has(code)) c.backoff.hit(Date.now());
    return 'own';
  }
  bump(c.counters.errors, 'upstream_connect_failed');
  c.pool.markFailed(backend, Date.now(), c.failureCooldownMs ?? 1000);
  c.onConnectFailed?.(backend, code);
  return 'backend';
}
