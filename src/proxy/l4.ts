/**
 * The L4 listener: accept a TCP connection, pick a backend, connect, and splice bytes both ways (TCP mode of
 * HAProxy). Per connection it holds two sockets, two pipes and a few closures; no timers except while
 * connecting and after a half-close, so 8,000 relayed connections cost little beyond their 16,000 fds.
 */
import net from 'node:net';
import type tls from 'node:tls';
import { bookConnectFailure, bump, createAcceptGuard, endThenDestroy, type ListenerOptions } from './accept.js';
import type { BackendState } from './pool.js';
import { DEFAULT_SOURCE, type FdBackoff, portAcquire, portRelease, SourcePool } from './upstream.js';

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
  const ctx: RelayContext = { ...opts, relays, backoff: guard.backoff, sources: new SourcePool(opts.sourceAddresses ?? []) };
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

/**
 * One relayed connection. Written for memory, since a proxy holding 10,000s of idle WebSockets is what wsherd
 * measures: no stream pipe() (it adds nine closures and two once-wrappers per direction) and no once() (each
 * costs a bound function and a state object); plain listeners and flags instead, about 2 KiB less per connection.
 */
class Relay {
  private up: net.Socket | undefined;
  private connected = false;
  private halfClosed = false;
  /** The backend whose connect failed, excluded from the one retry (no Set per connection: retries are rare). */
  private failed: ReadonlySet<string> | undefined;
  private attempts = 0;

  constructor(
    private readonly client: net.Socket,
    private readonly c: RelayContext,
    /** True when this relay, not the accept guard, decrements connectionsOpen on close. */
    private readonly countsClose: boolean,
  ) {
    c.relays.add(this);
    client.setNoDelay(true);
    client.on('error', (err: NodeJS.ErrnoException) => bump(c.counters.errors, `client_${err.code ?? 'error'}`));
    client.on('close', (hadError: boolean) => this.onClientClose(hadError));
    client.on('end', () => {
      this.up?.end();
      this.onHalfClose();
    });
    // Paused until the upstream connects (plain sockets already are, by pauseOnConnect; a TLSSocket is not), so
    // nothing is written to an upstream that may fail and be replaced by a retry.
    client.pause();
    client.on('data', (chunk: Buffer) => {
      if (this.up?.write(chunk) === false) client.pause();
    });
    client.on('drain', () => this.up?.resume());
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
    const backend = picked as BackendState;
    this.attempts++;
    backend.active++;
    const localAddress = c.sources.pick(backend);
    const source = localAddress ?? DEFAULT_SOURCE;
    portAcquire(backend, source);
    const up = net.connect({ host: backend.host, port: backend.port, allowHalfOpen: true, noDelay: true, ...(localAddress === undefined ? {} : { localAddress }) });
    this.up = up;
    // A plain timer rather than socket.setTimeout: it is gone once the connect settles, leaving nothing behind.
    const connectTimer = setTimeout(() => up.destroy(Object.assign(new Error('connect timed out'), { code: 'ETIMEDOUT' })), c.connectTimeoutMs ?? 5000);
    up.on('connect', () => {
      clearTimeout(connectTimer);
      this.connected = true;
      backend.total++;
      client.resume();
    });
    up.on('data', (chunk: Buffer) => {
      if (!client.write(chunk)) up.pause();
    });
    up.on('drain', () => client.resume());
    up.on('end', () => {
      client.end();
      this.onHalfClose();
    });
    up.on('error', (err: NodeJS.ErrnoException) => this.onUpstreamError(backend, source, err));
    up.on('close', (hadError: boolean) => {
      clearTimeout(connectTimer);
      backend.active--;
      portRelease(backend, source);
      if (this.up !== up || !this.connected || client.destroyed) return;
      if (hadError) client.destroy();
      else endThenDestroy(client);
    });
  }

  destroyBoth(): void {
    this.client.destroy();
    this.up?.destroy();
  }

  private onClientClose(hadError: boolean): void {
    const { c, up } = this;
    // Without TLS the accept guard left counting the close to the relay (see createL4Server).
    if (this.countsClose) c.counters.connectionsOpen--;
    c.relays.delete(this);
    if (!up || up.destroyed) return;
    if (hadError || !this.connected) up.destroy();
    else endThenDestroy(up);
  }

  private onUpstreamError(backend: BackendState, source: string, err: NodeJS.ErrnoException): void {
    const { c, client } = this;
    const code = err.code ?? 'error';
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

  private onHalfClose(): void {
    // From now on the connection may idle forever waiting for the other FIN; bound it here rather than with
    // a timer on every healthy connection.
    if (this.halfClosed) return;
    this.halfClosed = true;
    const ms = this.c.halfCloseTimeoutMs ?? 30_000;
    this.client.setTimeout(ms, () => this.destroyBoth());
    this.up?.setTimeout(ms, () => this.destroyBoth());
  }
}
