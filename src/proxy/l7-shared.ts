/**
 * What the L7 listener's request path (l7.ts) and upgrade path (l7-upgrade.ts) share: options, the per-listener
 * context, routing through plain or sticky strategies, and what to do when an upstream connect fails.
 */
import type http from 'node:http';
import type https from 'node:https';
import type net from 'node:net';
import type { ListenerOptions } from './accept.js';
import type { BackendPool, BackendState } from './pool.js';
import { isSticky, type PickContext } from './strategies/types.js';
import type { TunnelOwner } from './tunnel.js';
import type { FdBackoff, SourcePool } from './upstream.js';

export interface L7Options extends ListenerOptions {
  /** node:https, required when `tls` is set: the caller imports it only then (it costs an idle proxy RSS). */
  httpsModule?: typeof https;
}

export interface L7Context extends L7Options {
  sources: SourcePool;
  backoff: FdBackoff;
  /** Registers a socket for destroyAll() and the fd estimate. */
  track(s: net.Socket): void;
  /** What every upgraded connection's tunnel shares (tunnel.ts). */
  tunnels: TunnelOwner;
  encrypted: boolean;
}

/** The PickContext of a request: its client address and the fields strategies may read. */
export function pickContext(req: http.IncomingMessage, pool: BackendPool, exclude: ReadonlySet<string>): PickContext {
  return {
    remoteAddress: req.socket.remoteAddress,
    remotePort: req.socket.remotePort,
    activeConnections: pool.activeConnections,
    exclude,
    request: { method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers },
  };
}

/** The backend for a request: sticky strategies may consult their store; the rest pick at once. */
export async function route(c: L7Context, ctx: PickContext): Promise<BackendState | undefined> {
  c.pool.reviveDue(Date.now());
  const picked = isSticky(c.strategy) ? await c.strategy.route(ctx) : c.strategy.pick(ctx);
  return picked as BackendState | undefined;
}
