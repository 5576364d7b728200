/**
 * One reference-proxy process as a library object (see server.ts for the options). `wsherd proxy`, the lab's
 * proxy child and each cluster worker run one of these.
 */
import type { Server } from 'node:net';
import type { ProxyStats } from '../results/lab-types.js';
import { listenOn } from '../lab/listen.js';
import { fdLimit, openFds, rssBytes } from '../probes/proc.js';
import { newCounters } from './accept.js';
import { HealthChecker, resolveHealth } from './health.js';
import { startLoopLag } from './loop-lag.js';
import { BackendPool, type BackendState } from './pool.js';
import type { ProxyOptions, RunningProxy } from './server.js';
import type { StickyStore } from './store/types.js';
import { createStrategy, isSticky, type Strategy } from './strategies/index.js';
import type { TlsMaterial } from './tls.js';

export interface InstanceParts {
  tlsMaterial: TlsMaterial | undefined;
  store: StickyStore | undefined;
  withAdmin: boolean;
}

export interface RunningInstance extends RunningProxy {
  /** The live backend set, for the cluster worker's admin commands. */
  pool: BackendPool;
}

/**
 * One proxy process: strategy, pool, health checks, the listener and (unless `withAdmin` is false, as in cluster
 * workers whose primary serves the admin endpoint) the admin server. Options are validated by the caller. Takes
 * ownership of `store` (closes it on close or failure).
 */
export async function startInstance(opts: ProxyOptions, parts: InstanceParts): Promise<RunningInstance> {
  const mode = opts.mode ?? 'l4';
  const { tlsMaterial, store } = parts;
  let strategy: Strategy;
  try {
    strategy = createStrategy(opts.strategy, opts.strategyOptions ?? {}, store === undefined ? {} : { store });
  } catch (err) {
    await store?.close();
    throw err;
  }
  const sticky = isSticky(strategy) ? strategy : undefined;
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
  const counters = newCounters();
  const lag = startLoopLag();

  const stats = (): ProxyStats => ({
    pid: process.pid,
    strategy: strategy.name,
    mode,
    connectionsTotal: counters.connectionsTotal,
    connectionsOpen: counters.connectionsOpen,
    acceptsRefused: counters.acceptsRefused,
    maxconnRefused: counters.maxconnRefused,
    ...(mode === 'l7' ? { requestsTotal: counters.requestsTotal, upgradesTotal: counters.upgradesTotal } : {}),
    errors: { ...counters.errors, ...prefixed('store_', store?.errors()) },
    ...(sticky === undefined ? {} : { tables: sticky.tableSizes(), sticky: sticky.counters() }),
    ...withHash(strategy.hashCounters?.()),
    ...(store === undefined ? {} : { store: store.kind }),
    ...(tlsMaterial === undefined ? {} : { tls: true }),
    backends: pool.snapshot(),
    process: { fds: openFds(), fdLimit: fdLimit(), rssBytes: rssBytes(), eventLoopLagMs: lag.ms() },
  });

  const listenerOptions = {
    strategy,
    pool,
    counters,
    ...(opts.connectTimeoutMs === undefined ? {} : { connectTimeoutMs: opts.connectTimeoutMs }),
    ...(opts.failureCooldownMs === undefined ? {} : { failureCooldownMs: opts.failureCooldownMs }),
    ...(opts.sourceAddresses === undefined ? {} : { sourceAddresses: opts.sourceAddresses }),
    ...(opts.workers === undefined ? {} : { workers: opts.workers }),
    ...(opts.sourcePorts === undefined ? {} : { sourcePorts: opts.sourcePorts }),
    ...(opts.maxconn === undefined ? {} : { maxconn: opts.maxconn }),
    ...(tlsMaterial === undefined ? {} : { tls: { cert: tlsMaterial.cert, key: tlsMaterial.key } }),
    onConnectFailed: (b: BackendState, code: string) => checker.observeFailure(b, code === 'error' ? 'CONNECT_FAILED' : code),
  };
  // Imported for the mode in use only, TLS only when asked: each module a default proxy never runs is RSS it
  // never pays (docs/proxy.md, "Idle memory").
  const tlsModule = tlsMaterial === undefined ? undefined : mode === 'l7' ? { httpsModule: await import('node:https') } : { tlsModule: await import('node:tls') };
  const { server: l4, destroyAll } = mode === 'l7'
    ? (await import('./l7.js')).createL7Server({ ...listenerOptions, ...tlsModule })
    : (await import('./l4.js')).createL4Server({ ...listenerOptions, ...tlsModule });
  const admin = parts.withAdmin ? (await import('./admin.js')).createAdminServer(stats, pool) : undefined;
  let port: number;
  let adminPort = 0;
  try {
    port = await listenOn(l4, opts.host ?? '127.0.0.1', opts.port ?? 0, 'proxy');
    if (admin) adminPort = await listenOn(admin, opts.adminHost ?? '127.0.0.1', opts.adminPort ?? 0, 'proxy admin');
  } catch (err) {
    lag.stop();
    checker.close();
    await Promise.all([closeServer(l4), admin && closeServer(admin), store?.close()]);
    throw err;
  }

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      lag.stop();
      checker.close();
      const done = Promise.all([closeServer(l4), admin && closeServer(admin)]);
      destroyAll();
      admin?.closeAllConnections();
      await done;
      await store?.close();
    })();
    return closing;
  };
  return { port, adminPort, close, stats, pool, ...(tlsMaterial === undefined ? {} : { tls: tlsMaterial }) };
}


/** Request-keyed hash strategies' picks and fallbacks; absent for every other strategy. */
function withHash(hash: Record<string, number> | undefined): { hash?: Record<string, number> } {
  return hash === undefined ? {} : { hash };
}

/** Store errors under their own prefix in the proxy's error counts. */
function prefixed(prefix: string, counts: Record<string, number> | undefined): Record<string, number> {
  return Object.fromEntries(Object.entries(counts ?? {}).map(([k, v]) => [`${prefix}${k}`, v]));
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) resolve();
    else server.close(() => resolve());
  });
}
