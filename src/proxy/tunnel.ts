/**
 * The L7 proxy's WebSocket tunnel once the upgrade is answered: two sockets spliced both ways, holding no more
 * per connection than the L4 relay (issue 17: an upgraded L7 connection cost 2.7× an L4 one, because the
 * handshake's closures kept the request, its headers and buffers alive, and stream pipe() added its own).
 *
 * Per connection: one Tunnel record and the two sockets. Every listener is a module-level function that finds its
 * tunnel through a symbol on the socket (`this` is the emitter), so a tunnel adds no closure at all; the caller
 * removes its handshake listeners first, which frees everything the handshake captured.
 */
import type net from 'node:net';
import { bump, endThenDestroy } from './accept.js';
import type { BackendState } from './pool.js';

/** What the tunnels of one listener share (one object per listener, not per connection). */
export interface TunnelOwner {
  errors: Record<string, number>;
  /** Idle time allowed after one side half-closed before both are dropped, ms. */
  halfCloseTimeoutMs: number;
  /** The upstream socket closed: release its backend and source bookkeeping. */
  upstreamClosed(t: Tunnel): void;
}

const TUNNEL = Symbol('wsherd.tunnel');
type Tunneled = net.Socket & { [TUNNEL]?: Tunnel };

export class Tunnel {
  halfClosed = false;

  constructor(
    readonly client: net.Socket,
    readonly up: net.Socket,
    readonly owner: TunnelOwner,
    /** The backend `up` connects to and the local source address it was bound from, for upstreamClosed. */
    readonly backend: BackendState,
    readonly source: string,
  ) {}
}

const peerOf = (s: Tunneled): net.Socket | undefined => {
  const t = s[TUNNEL];
  return t === undefined ? undefined : t.client === s ? t.up : t.client;
};

function onData(this: Tunneled, chunk: Buffer): void {
  if (peerOf(this)?.write(chunk) === false) this.pause();
}

function onDrain(this: Tunneled): void {
  peerOf(this)?.resume();
}

function onEnd(this: Tunneled): void {
  const t = this[TUNNEL];
  if (t === undefined) return;
  peerOf(this)?.end();
  if (t.halfClosed) return;
  // From now on the connection may idle forever waiting for the other FIN: bounded here rather than by a timer on
  // every healthy tunnel.
  t.halfClosed = true;
  t.client.setTimeout(t.owner.halfCloseTimeoutMs, destroyTunnel);
  t.up.setTimeout(t.owner.halfCloseTimeoutMs, destroyTunnel);
}

function destroyTunnel(this: Tunneled): void {
  const t = this[TUNNEL];
  t?.client.destroy();
  t?.up.destroy();
}

function onClientError(this: Tunneled, err: NodeJS.ErrnoException): void {
  const t = this[TUNNEL];
  if (t !== undefined) bump(t.owner.errors, `client_${err.code ?? 'error'}`);
}

function onUpError(this: Tunneled, err: NodeJS.ErrnoException): void {
  const t = this[TUNNEL];
  if (t === undefined) return;
  bump(t.owner.errors, `upstream_${err.code ?? 'error'}`);
  t.client.destroy();
}

function onClientClose(this: Tunneled, hadError: boolean): void {
  const up = this[TUNNEL]?.up;
  if (up === undefined || up.destroyed) return;
  if (hadError) up.destroy();
  else endThenDestroy(up);
}

function onUpClose(this: Tunneled): void {
  const t = this[TUNNEL];
  if (t === undefined) return;
  t.owner.upstreamClosed(t);
  endThenDestroy(t.client);
}

/**
 * Splices `client` and `up` (both with no listeners of the handshake left, `up` paused) and writes nothing itself:
 * the caller has sent the handshake answer. Bytes `up` already buffered flow on once it resumes.
 */
export function startTunnel(client: net.Socket, up: net.Socket, owner: TunnelOwner, backend: BackendState, source: string): Tunnel {
  const t = new Tunnel(client, up, owner, backend, source);
  (client as Tunneled)[TUNNEL] = t;
  (up as Tunneled)[TUNNEL] = t;
  for (const s of [client, up]) {
    s.on('data', onData);
    s.on('drain', onDrain);
    s.on('end', onEnd);
  }
  client.on('error', onClientError);
  client.on('close', onClientClose);
  up.on('error', onUpError);
  up.on('close', onUpClose);
  client.resume();
  up.resume();
  // A side that sent its FIN while the handshake was under way has emitted 'end' already, to no listener of ours: passed
  // on now, or the other side would wait for it forever (and both fds with it).
  for (const s of [client, up]) if (s.readableEnded) onEnd.call(s as Tunneled);
  return t;
}
