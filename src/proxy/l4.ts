/**
 * The L4 listener: accept a TCP connection, pick a backend, connect, and splice bytes both ways (TCP mode of
 * HAProxy). Per connection it holds two sockets, two pipes and a few closures; no timers except while
 * connecting and after a half-close, so 8,000 relayed connections cost little beyond their 16,000 fds.
 */
import net from 'node:net';
import type tls from 'node:tls';
import { bookConnectFailure, bump, createAcceptGuard, endThenDestroy, type ListenerOptions } from './accept.js';
import type { BackendState } from './pool.js';
import { DEFAULT_SOURCE, type FdBackoff, isPortCollision, portAcquire, portRelease, SourcePool } from './upstream.js';

export interface L4Options extends ListenerOptions {
  /** node:tls, required when `tls` is set: the caller imports it only then (it costs an idle proxy ~1.3 MB). */
  tlsModule?: typeof tls;
}

export interface L4Server {
  server: net.Server;
  /** Destroys every client and upstream socket (used at shutdown; server.close() alone waits for them). */
  destroyAll(): void;
}

export function createL4Server(opts: L4Options): L4Server {
  const { counters } = opts;
  // One entry per relayed connection (not per socket): destroyAll() and the fd estimate need no more.
  const relays = new Set<Relay>();
  const guard = createAcceptGuard(counters, () => relays.size * 2, opts.maxconn);
  const ctx: RelayContext = { ...opts, relays, backoff: guard.backoff, sources: new SourcePool(opts.sourceAddresses ?? [], opts.workers, opts.sourcePorts === 'named') };
  // allowHalfOpen: a client's FIN is relayed to the backend, which may still answer (TCP half-close).
  let server: net.Server;
  if (opts.tls === undefined) {
    server = net.createServer({ allowHalfOpen: true, noDelay: true, pauseOnConnect: true }, (client) => {
      // The relay counts the close itself: one listener fewer per connection.
      if (guard.admit(client, false)) new Relay(client, ctx, true).attempt();
    });
  } else {
    // Admission on the raw socket (before the handshake spends CPU on it); the relay starts once TLS is up. A
    // TLSSocket buffers decrypted bytes until read, so no pauseOnConnect is needed (it would stall the handshake).
    if (opts.tlsModule === undefined) throw new Error('createL4Server: tls without tlsModule');
    server = opts.tlsModule.createServer({ ...opts.tls, allowHalfOpen: true }, (client) => new Relay(client, ctx, false).attempt());
    server.on('connection', (raw: net.Socket) => guard.admit(raw));
    server.on('tlsClientError', (err: NodeJS.ErrnoException, socket) => {
      bump(counters.errors, `tls_${err.code ?? 'handshake_failed'}`);
      socket.destroy();
    });
  }
  server.on('error', (err: NodeJS.ErrnoException) => guard.onServerError(err));
  const destroyAll = (): void => {
    for (const r of relays) r.destroyBoth();
  };
  return { server, destroyAll };
}

interface RelayContext extends L4Options {
  relays: Set<Relay>;
  backoff: FdBackoff;
  sources: SourcePool;
}

/** The relay of a client or upstream socket, and the upstream's own bookkeeping (a retry replaces `relay.up`). */
const RELAY = Symbol('wsherd.relay');
const BACKEND = Symbol('wsherd.backend');
const SOURCE = Symbol('wsherd.source');
const TIMER = Symbol('wsherd.connectTimer');
const LEASE = Symbol('wsherd.sourcePort');
type ClientSocket = net.Socket & { [RELAY]?: Relay };
type UpSocket = net.Socket & { [RELAY]?: Relay; [BACKEND]?: BackendState; [SOURCE]?: string; [TIMER]?: NodeJS.Timeout; [LEASE]?: number };

/**
 * One relayed connection. Written for memory, since a proxy holding 10,000s of idle WebSockets is what wsherd
 * measures: no stream pipe() (nine closures and two once-wrappers per direction), no once(), and no closure at
 * all: every listener below is a module-level function that finds its relay through a symbol on the socket
 * (`this` is the emitter). Per connection: this record, the two sockets and three symbols on the upstream.
 */
class Relay {
  up: UpSocket | undefined;
  connected = false;
  private halfClosed = false;
  /** The backend whose connect failed, excluded from the one retry (no Set per connection: retries are rare). */
  private failed: ReadonlySet<string> | undefined;
  private attempts = 0;

  constructor(
    readonly client: ClientSocket,
    readonly c: RelayContext,
    /** True when this relay, not the accept guard, decrements connectionsOpen on close. */
    private readonly countsClose: boolean,
  ) {
    c.relays.add(this);
    client[RELAY] = this;
    client.setNoDelay(true);
    client.on('error', clientError);
    client.on('close', clientClose);
    client.on('end', clientEnd);
    // Paused until the upstream connects (plain sockets already are, by pauseOnConnect; a TLSSocket is not), so
    // nothing is written to an upstream that may fail and be replaced by a retry.
    client.pause();
    client.on('data', clientData);
    client.on('drain', clientDrain);
  }

  attempt(): void {
    const { client, c } = this;
    if (client.destroyed) return;
    c.pool.reviveDue(Date.now());
    const picked = c.strategy.pick({ remoteAddress: client.remoteAddress, remotePort: client.remotePort, activeConnections: c.pool.activeConnections, ...(this.failed ? { exclude: this.failed } : {}) });
    if (!picked) {
      bump(c.counters.errors, this.attempts === 0 ? 'no_backend' : 'no_backend_after_retry');
      client.destroy();
      return;
    }
    this.attempts++;
    this.connectTo(picked as BackendState, false);
  }

  /** Connects to `backend`; `kernelPort`: bind the source address with port 0 (after a named port collided). */
  connectTo(backend: BackendState, kernelPort: boolean): void {
    const { c } = this;
    backend.active++;
    const localAddress = c.sources.pick(backend);
    const source = localAddress ?? DEFAULT_SOURCE;
    portAcquire(backend, source);
    const lease = kernelPort ? 0 : c.sources.lease(localAddress);
    const up: UpSocket = net.connect({ host: backend.host, port: backend.port, allowHalfOpen: true, noDelay: true, ...c.sources.bind(localAddress, lease) });
    this.up = up;
    up[RELAY] = this;
    up[BACKEND] = backend;
    up[SOURCE] = source;
    up[LEASE] = lease;
    // A plain timer rather than socket.setTimeout: it is gone once the connect settles, leaving nothing behind.
    up[TIMER] = setTimeout(connectTimedOut, c.connectTimeoutMs ?? 5000, up);
    up.on('connect', upConnect);
    up.on('data', upData);
    up.on('drain', upDrain);
    up.on('end', upEnd);
    up.on('error', upError);
    up.on('close', upClose);
  }

  destroyBoth(): void {
    this.client.destroy();
    this.up?.destroy();
  }

  onClientClose(hadError: boolean): void {
    const { c, up } = this;
    // Without TLS the accept guard left counting the close to the relay (see createL4Server).
    if (this.countsClose) c.counters.connectionsOpen--;
    c.relays.delete(this);
    if (!up || up.destroyed) return;
    if (hadError || !this.connected) up.destroy();
    else endThenDestroy(up);
  }

  onUpstreamError(backend: BackendState, source: string, err: NodeJS.ErrnoException, lease: number | undefined): void {
    const { c, client } = this;
    const code = err.code ?? 'error';
    if (!this.connected && isPortCollision(lease, code)) {
      // The named source port is held towards this backend by another socket: not a limit, not the backend.
      bump(c.counters.errors, 'upstream_port_redial');
      this.connectTo(backend, true);
      return;
    }
    if (this.connected) {
      // The backend reset or vanished mid-stream; the close handler drops the client.
      bump(c.counters.errors, `upstream_${code}`);
      return;
    }
    if (bookConnectFailure(c, backend, source, code) === 'own') {
      // Our own limit (fds, or local ports for this source and backend): another backend would hit the same
      // wall, so close the client (L4 has no way to answer it).
      client.destroy();
      return;
    }
    // One retry on another backend; the client has sent nothing upstream yet (it stays paused until connect).
    if (this.attempts >= 2) {
      client.destroy();
      return;
    }
    this.failed = new Set([backend.id]);
    this.attempt();
  }

  onHalfClose(): void {
    // From now on the connection may idle forever waiting for the other FIN; bound it here rather than with
    // a timer on every healthy connection.
    if (this.halfClosed) return;
    this.halfClosed = true;
    const ms = this.c.halfCloseTimeoutMs ?? 30_000;
    this.client.setTimeout(ms, halfCloseTimedOut);
    this.up?.setTimeout(ms, halfCloseTimedOut);
  }
}

function clientData(this: ClientSocket, chunk: Buffer): void {
  if (this[RELAY]?.up?.write(chunk) === false) this.pause();
}

function clientDrain(this: ClientSocket): void {
  this[RELAY]?.up?.resume();
}

function clientEnd(this: ClientSocket): void {
  const r = this[RELAY];
  r?.up?.end();
  r?.onHalfClose();
}

function clientError(this: ClientSocket, err: NodeJS.ErrnoException): void {
  const r = this[RELAY];
  if (r !== undefined) bump(r.c.counters.errors, `client_${err.code ?? 'error'}`);
}

function clientClose(this: ClientSocket, hadError: boolean): void {
  this[RELAY]?.onClientClose(hadError);
}

function connectTimedOut(up: UpSocket): void {
  up.destroy(Object.assign(new Error('connect timed out'), { code: 'ETIMEDOUT' }));
}

function halfCloseTimedOut(this: ClientSocket | UpSocket): void {
  this[RELAY]?.destroyBoth();
}

function upConnect(this: UpSocket): void {
  clearTimeout(this[TIMER]);
  const r = this[RELAY];
  if (r === undefined) return;
  r.connected = true;
  if (this[BACKEND] !== undefined) this[BACKEND].total++;
  r.client.resume();
}

function upData(this: UpSocket, chunk: Buffer): void {
  if (this[RELAY]?.client.write(chunk) === false) this.pause();
}

function upDrain(this: UpSocket): void {
  this[RELAY]?.client.resume();
}

function upEnd(this: UpSocket): void {
  const r = this[RELAY];
  r?.client.end();
  r?.onHalfClose();
}

function upError(this: UpSocket, err: NodeJS.ErrnoException): void {
  const b = this[BACKEND];
  if (b !== undefined) this[RELAY]?.onUpstreamError(b, this[SOURCE] ?? DEFAULT_SOURCE, err, this[LEASE]);
}

function upClose(this: UpSocket, hadError: boolean): void {
  clearTimeout(this[TIMER]);
  const b = this[BACKEND];
  if (b !== undefined) {
    b.active--;
    portRelease(b, this[SOURCE] ?? DEFAULT_SOURCE);
  }
  const r = this[RELAY];
  // The named port is free again once its socket is gone (only here, so a lease is released once).
  r?.c.sources.release(this[LEASE]);
  this[LEASE] = 0;
  // A failed first attempt's socket closing after the retry began: the relay is the new socket's now.
  if (r === undefined || r.up !== this || !r.connected || r.client.destroyed) return;
  if (hadError) r.client.destroy();
  else endThenDestroy(r.client);
}
