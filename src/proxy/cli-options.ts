/** Turning `wsherd proxy` flag values into ProxyOptions pieces, with errors that name the flag and the fix. */
import { WsherdError } from '../errors.js';
import { parseBackendArg, parseHostPort } from './address.js';
import type { HealthCheckKind } from './health.js';
import type { ProxyOptions } from './server.js';
import { parseSourceArgs } from './upstream.js';
import { STRATEGIES, strategyInfo, type StrategyOptionName, type StrategyOptions } from './strategies/index.js';

/** camelCase option name → snake_case, as scenario files spell them. */
export function snakeCase(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

const NUMERIC: ReadonlySet<StrategyOptionName> = new Set(['pointsPerBackend', 'balanceFactor', 'tableSize', 'seed', 'expireSeconds']);

/**
 * `--option key=value` (repeatable) → StrategyOptions. Keys may be written as in a scenario (points_per_backend)
 * or camelCase (pointsPerBackend). The values are range-checked later by createStrategy.
 */
export function parseStrategyOptions(strategy: string, texts: readonly string[]): StrategyOptions {
  const accepted = strategyInfo(strategy)?.options ?? [];
  const all = new Set(Object.values(STRATEGIES).flatMap((s) => s.options));
  const out: Record<string, string | number> = {};
  for (const text of texts) {
    const eq = text.indexOf('=');
    const rawKey = eq < 0 ? text : text.slice(0, eq);
    const key = rawKey.trim().replace(/[_-]([a-z])/g, (_, c: string) => c.toUpperCase()) as StrategyOptionName;
    if (eq < 0 || !all.has(key)) {
      throw new WsherdError('WSH_ERR_INVALID_INPUT', `--option "${text}": ${eq < 0 ? 'expected key=value' : `unknown option "${rawKey}"`}.`, {
        hint: accepted.length === 0 ? `Strategy ${strategy} takes no options.` : `Strategy ${strategy} takes: ${accepted.map(snakeCase).join(', ')}.`,
      });
    }
    const value = text.slice(eq + 1).trim();
    if (NUMERIC.has(key)) {
      const n = Number(value);
      if (value === '' || !Number.isFinite(n)) {
        throw new WsherdError('WSH_ERR_INVALID_INPUT', `--option ${rawKey}=${value}: expected a number.`, { hint: `e.g. --option ${snakeCase(key)}=100` });
      }
      out[key] = n;
    } else out[key] = value;
  }
  return out as StrategyOptions;
}

/** The `wsherd proxy` flag values, as oclif parses them. */
export interface ProxyFlags {
  backend: string[];
  listen: string;
  'admin-port': number;
  strategy: string;
  option?: string[] | undefined;
  mode: string;
  workers: number;
  'tls-cert'?: string | undefined;
  'tls-key'?: string | undefined;
  'tls-self-signed'?: boolean | undefined;
  store?: string | undefined;
  'health-check': string;
  'health-interval': number;
  'health-timeout'?: number | undefined;
  'health-path': string;
  rise: number;
  fall: number;
  source?: string[] | undefined;
  'source-ports'?: string | undefined;
  maxconn?: number | undefined;
}

/**
 * The cookie secret from the environment: a command line (`-o cookie_secret=…`) is readable by every user on the
 * host in /proc/PID/cmdline, a process's environment only by its owner.
 */
export const COOKIE_SECRET_ENV = 'WSHERD_COOKIE_SECRET';

/** ProxyOptions from `wsherd proxy` flags; throws WSH_ERR_INVALID_INPUT naming the flag for a bad value. */
export function proxyOptionsFromFlags(flags: ProxyFlags, env: NodeJS.ProcessEnv = process.env): ProxyOptions & { mode: 'l4' | 'l7'; workers: number } {
  const listen = parseHostPort(flags.listen, '--listen');
  const sources = flags.source === undefined ? undefined : parseSourceArgs(flags.source);
  const parsed = parseStrategyOptions(flags.strategy, flags.option ?? []);
  const secret = env[COOKIE_SECRET_ENV];
  const strategyOptions = parsed.cookieSecret === undefined && flags.strategy === 'cookie' && secret !== undefined && secret !== '' ? { ...parsed, cookieSecret: secret } : parsed;
  const tls = flags['tls-self-signed'] === true ? { selfSigned: true } : flags['tls-cert'] === undefined ? undefined : { certFile: flags['tls-cert'], keyFile: flags['tls-key'] ?? '' };
  return {
    host: listen.host,
    port: listen.port,
    adminHost: '127.0.0.1',
    adminPort: flags['admin-port'],
    strategy: flags.strategy,
    strategyOptions,
    mode: flags.mode as 'l4' | 'l7',
    workers: flags.workers,
    backends: flags.backend.map((text, i) => parseBackendArg(text, i)),
    health: {
      kind: flags['health-check'] as HealthCheckKind,
      intervalMs: flags['health-interval'],
      rise: flags.rise,
      fall: flags.fall,
      path: flags['health-path'],
      ...(flags['health-timeout'] === undefined ? {} : { timeoutMs: flags['health-timeout'] }),
    },
    ...(tls === undefined ? {} : { tls }),
    ...(flags.store === undefined ? {} : { store: flags.store }),
    ...(sources === undefined ? {} : { sourceAddresses: sources }),
    ...(sources === undefined || flags['source-ports'] !== 'named' ? {} : { sourcePorts: 'named' as const }),
    ...(flags.maxconn === undefined ? {} : { maxconn: flags.maxconn }),
  };
}
