/**
 * The reference balancer as a library: validate the options, then start one proxy process (instance.ts) or a
 * primary with worker processes (cluster.ts). `src/proxy/main.ts` runs it as a lab child process; `wsherd proxy`
 * in the foreground.
 */
import { WsherdError } from '../errors.js';
import type { ProxyStats } from '../results/lab-types.js';
import type { HealthOptions } from './health.js';
import { startInstance } from './instance.js';
import type { BackendTarget } from './pool.js';
import { createStrategy, strategyInfo, type Layer, type StrategyOptions } from './strategies/index.js';
import { STORE_STRATEGIES } from './strategies/metadata.js';
import { assertHashKeyMode } from './strategies/options.js';
import type { TlsMaterial, TlsOptions } from './tls.js';
import { assertLocalSources } from './upstream.js';

export type { BackendTarget } from './pool.js';
export type { HealthCheckKind, HealthOptions } from './health.js';
export type { TlsOptions } from './tls.js';

/**
 * Node flags for processes that run the proxy (the lab's proxy child, cluster workers). A 1 MiB young
 * generation instead of V8's default 16 MiB: a proxy holding thousands of idle connections allocates little,
 * and the default young generation alone is ~6 KiB per connection at 5,000 (bench/proxy-vs-haproxy.ts).
 */
export const PROXY_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=1'];

/** More worker processes than this buys nothing on any host wsherd targets, and each costs ~50 MiB. */
export const MAX_WORKERS = 64;

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
  /** Options of the strategy (ring points, fallback, cookie secret…); see StrategyOptions. */
  strategyOptions?: StrategyOptions;
  /** `l4` splices TCP (knows addresses only); `l7` parses HTTP (cookies, query, keep-alive, upgrades). Default l4. */
  mode?: 'l4' | 'l7';
  /** Terminate TLS: certificate and key files, or a self-signed certificate made at start. */
  tls?: TlsOptions;
  /**
   * Where the sticky tables (stick-table, engineio-sid) live: `memory` (default) or a `redis://host:port[/db]` URL,
   * so several proxies agree. Checked at start: a Redis that does not answer is an error, not a hang.
   */
  store?: string;
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
  /** With sourceAddresses: `named` names the upstream source ports (as HAProxy's `source addr:port-range`); default
   *  `kernel` binds port 0. See upstream.ts. */
  sourcePorts?: 'kernel' | 'named';
  /** Open client connections above which new ones are closed at once (counted `maxconnRefused`). Default none. */
  maxconn?: number;
  /**
   * Worker processes sharing the listening port (Node cluster, the kernel spreading accepts): both cores and one
   * fd limit each. Hash strategies answer alike in every worker; sticky tables live in the primary (or Redis).
   * Default 1 (no workers: this process serves).
   */
  workers?: number;
}

export interface RunningProxy {
  port: number;
  adminPort: number;
  /** The certificate in use when TLS is on (fingerprint to print, expiry). */
  tls?: TlsMaterial;
  /** Stops both listeners and drops every relayed connection; idempotent. */
  close(): Promise<void>;
  stats(): ProxyStats;
}

export async function startProxy(opts: ProxyOptions): Promise<RunningProxy> {
  const mode = opts.mode ?? 'l4';
  validate(opts, mode);
  // Cluster, TLS (certificates, ASN.1) and the store are imported only by a proxy that uses them: an idle
  // default proxy (L4, one process) pays no RSS for them (docs/proxy.md, "Idle memory").
  if ((opts.workers ?? 1) > 1) return (await import('./cluster.js')).startCluster(opts);
  const tlsMaterial = opts.tls === undefined ? undefined : (await import('./tls.js')).loadTls(opts.tls);
  const store = needsStore(opts) ? await (await import('./store/index.js')).openStore(opts.store, { tables: [...STICKY_TABLES] }) : undefined;
  return startInstance(opts, { tlsMaterial, store, withAdmin: true });
}

/** The tables sticky strategies keep in a store, reported in stats from the start. */
export const STICKY_TABLES = ['stick', 'sid'] as const;

/** True when the strategy keeps learned tables (stick-table, engineio-sid) or a store was asked for. */
export function needsStore(opts: ProxyOptions): boolean {
  return STORE_STRATEGIES.has(opts.strategy) || opts.store !== undefined;
}

/** Throws WSH_ERR_INVALID_INPUT unless `mode` is l4 or l7. */
export function assertProxyMode(mode: string): void {
  if (mode !== 'l4' && mode !== 'l7') {
    throw new WsherdError('WSH_ERR_INVALID_INPUT', `Unknown proxy mode "${mode}". Valid modes: l4 (TCP), l7 (HTTP).`, { hint: 'Use l4 to splice TCP, l7 to route by HTTP request.' });
  }
}

/** Throws WSH_ERR_INVALID_INPUT when the strategy needs the HTTP request but the mode is l4. */
export function assertStrategyMode(strategy: string, mode: string): void {
  const layers = strategyInfo(strategy)?.layers;
  if (layers !== undefined && !layers.includes(mode as Layer)) {
    throw new WsherdError('WSH_ERR_INVALID_INPUT', `Strategy "${strategy}" needs mode ${layers.join(' or ')} (it reads the HTTP request), but the mode is ${mode}.`, {
      hint: `Use --mode l7 (lab.proxy.mode: l7), or a strategy that works at L4, e.g. consistent-hash or round-robin.`,
    });
  }
}

function validate(opts: ProxyOptions, mode: string): void {
  assertProxyMode(mode);
  if (strategyInfo(opts.strategy) === undefined) createStrategy(opts.strategy); // throws the unknown-name error
  assertStrategyMode(opts.strategy, mode);
  if (strategyInfo(opts.strategy)?.options.includes('hashKey') === true) assertHashKeyMode(opts.strategy, opts.strategyOptions, mode);
  if (opts.backends.length === 0) {
    throw new WsherdError('WSH_ERR_INVALID_INPUT', 'The proxy needs at least one backend.', { hint: 'Give one or more backends (--backend host:port).' });
  }
  const ids = new Set<string>();
  for (const b of opts.backends) {
    if (ids.has(b.id)) throw new WsherdError('WSH_ERR_INVALID_INPUT', `Duplicate backend id "${b.id}".`, { hint: 'Give every backend its own id.' });
    ids.add(b.id);
  }
  if (opts.sourceAddresses !== undefined) assertLocalSources(opts.sourceAddresses);
  if (opts.workers !== undefined && (!Number.isInteger(opts.workers) || opts.workers < 1 || opts.workers > MAX_WORKERS)) {
    throw new WsherdError('WSH_ERR_INVALID_INPUT', `workers must be an integer from 1 to ${MAX_WORKERS}, got ${opts.workers}.`, { hint: 'e.g. --workers 2 for a 2-core host.' });
  }
  if (opts.maxconn !== undefined && (!Number.isInteger(opts.maxconn) || opts.maxconn < 1)) {
    throw new WsherdError('WSH_ERR_INVALID_INPUT', `maxconn must be a positive integer, got ${opts.maxconn}.`, { hint: 'e.g. maxconn: 10000, or leave it out for no limit.' });
  }
}
