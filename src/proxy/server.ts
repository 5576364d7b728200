/**
 * The reference balancer as a library: validate the options, start the L4 listener and the admin endpoint,
 * and report ProxyStats. `src/proxy/main.ts` runs it as a lab child process; `wsherd proxy` in the foreground.
 */
import type { Server } from 'node:net';
import { WsherdError } from '../errors.js';
import type { ProxyStats } from '../lab/types.js';
import { listenOn } from '../lab/listen.js';
import { fdLimit, openFds, rssBytes } from '../probes/proc.js';
import { createAdminServer } from './admin.js';
import { HealthChecker, resolveHealth, type HealthOptions } from './health.js';
import { createL4Server, type L4Counters } from './l4.js';
import { startLoopLag } from './loop-lag.js';
import { BackendPool, type BackendTarget } from './pool.js';
import { createStrategy } from './strategies/index.js';
import { assertLocalSources } from './upstream.js';

export type { BackendTarget } from './pool.js';
export type { HealthCheckKind, HealthOptions } from './health.js';

export interface ProxyOptions {
  /** Listen address for clients. Default 127.0.0.1. */
  host?: string;
  /** Listen port; 0 (default) picks an ephemeral port. */
  port?: number;
  /** Admin endpoint address; loopback by default so stats are never exposed. Default 127.0.0.1. */
  adminHost?: string;
  /** Admin port; 0 (default) picks an ephemeral port. */
  adminPort?: number;
  backends: BackendTarget[];
  /** Strategy name (see STRATEGY_NAMES), e.g. `round-robin`. */
  strategy: string;
  /** `l4` splices TCP. `l7` (HTTP-aware) is not implemented yet. Default l4. */
  mode?: 'l4' | 'l7';
  /** Upstream connect timeout, ms. Default 5000. */
  connectTimeoutMs?: number;
  /** How long a backend stays out of rotation after a failed connect, ms. Default 1000. */
  failureCooldownMs?: number;
  /**
   * Active health checks (see HealthOptions; defaults inter 2s, rise 2, fall 3 as HAProxy). Absent: no active
   * checks, so the library is a plain relay unless asked; the lab and `wsherd proxy` turn tcp checks on.
   */
  health?: HealthOptions;
  /**
   * Local IPv4 addresses to bind upstream connects to, e.g. 127.0.0.2..127.0.0.9: ephemeral ports run out per
   * (source, backend address, backend port), so N sources allow about N times the connections per backend.
   * Each connect takes the source with the fewest connections to that backend. Default: the kernel picks.
   */
  sourceAddresses?: string[];
  /** Open client connections above which new ones are closed at once (counted `maxconnRefused`). Default none. */
  maxconn?: number;
}

export interface RunningProxy {
  port: number;
  adminPort: number;
  /** Stops both listeners and drops every relayed connection; idempotent. */
  close(): Promise<void>;
  stats(): ProxyStats;
}

export async function startProxy(opts: ProxyOptions): Promise<RunningProxy> {
  const mode = opts.mode ?? 'l4';
  validate(opts, mode);
  const strategy = createStrategy(opts.strategy);
  const health = resolveHealth(opts.health ?? { kind: 'none' });
  const pool = new BackendPool(opts.backends);
  const checker = new HealthChecker(pool, health);
  let watched = new Set(pool.backends);
  // Strategies rebuild on set and weight changes; health flips alone keep the same objects (types.ts).
  pool.onChange = () => {
    strategy.setBackends(pool.backends);
    const now = new Set(pool.backends);
    for (const b of watched) if (!now.has(b)) checker.unwatch(b);
    for (const b of now) checker.watch(b);
    watched = now;
  };
  strategy.setBackends(pool.backends);
  for (const b of pool.backends) checker.watch(b);
  const counters: L4Counters = { connectionsTotal: 0, connectionsOpen: 0, acceptsRefused: 0, maxconnRefused: 0, errors: {} };
  const lag = startLoopLag();

  const stats = (): ProxyStats => ({
    pid: process.pid,
    strategy: strategy.name,
    mode,
    connectionsTotal: counters.connectionsTotal,
    connectionsOpen: counters.connectionsOpen,
    acceptsRefused: counters.acceptsRefused,
    maxconnRefused: counters.maxconnRefused,
    errors: { ...counters.errors },
    backends: pool.snapshot(),
    process: { fds: openFds(), fdLimit: fdLimit(), rssBytes: rssBytes(), eventLoopLagMs: lag.ms() },
  });

  const { server: l4, destroyAll } = createL4Server({
    strategy,
    pool,
    counters,
    ...(opts.connectTimeoutMs === undefined ? {} : { connectTimeoutMs: opts.connectTimeoutMs }),
    ...(opts.failureCooldownMs === undefined ? {} : { failureCooldownMs: opts.failureCooldownMs }),
    ...(opts.sourceAddresses === undefined ? {} : { sourceAddresses: opts.sourceAddresses }),
    ...(opts.maxconn === undefined ? {} : { maxconn: opts.maxconn }),
    onConnectFailed: (b, code) => checker.observeFailure(b, code === 'error' ? 'CONNECT_FAILED' : code),
  });
  const admin = createAdminServer(stats, pool);
  let port: number;
  let adminPort: number;
  try {
    port = await listenOn(l4, opts.host ?? '127.0.0.1', opts.port ?? 0, 'proxy');
    adminPort = await listenOn(admin, opts.adminHost ?? '127.0.0.1', opts.adminPort ?? 0, 'proxy admin');
  } catch (err) {
    lag.stop();
    checker.close();
    await Promise.all([closeServer(l4), closeServer(admin)]);
    throw err;
  }

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      lag.stop();
      checker.close();
      const done = Promise.all([closeServer(l4), closeServer(admin)]);
      destroyAll();
      admin.closeAllConnections();
      await done;
    })();
    return closing;
  };
  return { port, adminPort, close, stats };
}

/** Throws WSH_ERR_INVALID_INPUT unless `mode` is one the proxy implements (today: l4). */
export function assertProxyMode(mode: string): void {
  if (mode === 'l7') {
    throw new WsherdError('WSH_ERR_INVALID_INPUT', 'Proxy mode "l7" is not implemented yet; only "l4" (TCP splicing) is available.', {
      hint: 'Use mode l4 (lab.proxy.mode: l4, or --mode l4).',
    });
  }
  if (mode !== 'l4') {
    throw new WsherdError('WSH_ERR_INVALID_INPUT', `Unknown proxy mode "${mode}". Valid modes: l4.`, { hint: 'Use mode l4.' });
  }
}

function validate(opts: ProxyOptions, mode: string): void {
  assertProxyMode(mode);
  if (opts.backends.length === 0) {
    throw new WsherdError('WSH_ERR_INVALID_INPUT', 'The proxy needs at least one backend.', { hint: 'Give one or more backends (--backend host:port).' });
  }
  const ids = new Set<string>();
  for (const b of opts.backends) {
    if (ids.has(b.id)) throw new WsherdError('WSH_ERR_INVALID_INPUT', `Duplicate backend id "${b.id}".`, { hint: 'Give every backend its own id.' });
    ids.add(b.id);
  }
  if (opts.sourceAddresses !== undefined) assertLocalSources(opts.sourceAddresses);
  if (opts.maxconn !== undefined && (!Number.isInteger(opts.maxconn) || opts.maxconn < 1)) {
    throw new WsherdError('WSH_ERR_INVALID_INPUT', `maxconn must be a positive integer, got ${opts.maxconn}.`, { hint: 'e.g. maxconn: 10000, or leave it out for no limit.' });
  }
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) resolve();
    else server.close(() => resolve());
  });
}
