/**
 * What each strategy name means, without loading any implementation: the layers it works at, a one-line
 * description (for --help and error messages) and the options it takes. The scenario validator reads this to
 * reject unknown names and L7-only strategies in an L4 lab before anything starts.
 */
import type { Layer, StrategyOptions } from './types.js';

export type StrategyName =
  | 'round-robin'
  | 'weighted-round-robin'
  | 'least-connections'
  | 'random'
  | 'power-of-two-choices'
  | 'source-ip-hash'
  | 'ip-hash'
  | 'source-ip-port-hash'
  | 'consistent-hash'
  | 'maglev'
  | 'rendezvous'
  | 'cookie'
  | 'stick-table'
  | 'engineio-sid';

export type StrategyOptionName = keyof StrategyOptions;

export interface StrategyInfo {
  readonly name: StrategyName;
  /** Where it can run: L4 strategies see only the client address, so they also work at L7. */
  readonly layers: readonly Layer[];
  readonly description: string;
  /** The StrategyOptions keys it accepts. */
  readonly options: readonly StrategyOptionName[];
}

const BOTH: readonly Layer[] = ['l4', 'l7'];
const L7: readonly Layer[] = ['l7'];
const HASH_OPTIONS: readonly StrategyOptionName[] = ['hashKey'];

function info(name: StrategyName, description: string, options: readonly StrategyOptionName[] = [], layers = BOTH): StrategyInfo {
  return { name, layers, description, options };
}

/** Every strategy name, in the order --help lists them. */
export const STRATEGIES: Readonly<Record<StrategyName, StrategyInfo>> = {
  'round-robin': info('round-robin', 'each new connection to the next healthy backend in turn (HAProxy roundrobin)'),
  'weighted-round-robin': info('weighted-round-robin', 'round robin in proportion to backend weights, interleaved smoothly (nginx default)'),
  'least-connections': info('least-connections', 'the backend with the fewest active connections per unit of weight; ties in turn (HAProxy leastconn)'),
  random: info('random', 'a random backend, in proportion to weights (HAProxy random(1))', ['seed']),
  'power-of-two-choices': info('power-of-two-choices', 'two random backends, the less loaded of them (HAProxy random(2), Envoy LEAST_REQUEST)', ['seed']),
  'source-ip-hash': info('source-ip-hash', 'hash of the client address modulo the healthy backends (HAProxy balance source)'),
  'ip-hash': info('ip-hash', 'nginx ip_hash: IPv4 hashed on its first three octets, so a /24 shares a backend'),
  'source-ip-port-hash': info('source-ip-port-hash', 'hash of client address and port modulo the healthy backends: per connection, not per client'),
  'consistent-hash': info('consistent-hash', 'hash ring with virtual nodes, optional bounded load (HAProxy hash-type consistent, hash-balance-factor)', [
    ...HASH_OPTIONS,
    'pointsPerBackend',
    'balanceFactor',
  ]),
  maglev: info('maglev', 'Maglev lookup table (Google, NSDI 2016): even spread, little remapping on change', [...HASH_OPTIONS, 'tableSize']),
  rendezvous: info('rendezvous', 'highest random weight hashing: the backend scoring highest for the key', HASH_OPTIONS),
  cookie: info('cookie', 'sticky by an inserted, signed cookie naming the backend (HAProxy cookie insert)', ['fallback', 'cookieName', 'cookieSecret'], L7),
  'stick-table': info('stick-table', 'sticky by a learned table of source address → backend, with expiry (HAProxy stick on src)', ['fallback', 'expireSeconds'], L7),
  'engineio-sid': info('engineio-sid', 'sticky by the Engine.IO session id, learned from handshake responses', ['fallback', 'expireSeconds'], L7),
};

/** Strategies that keep learned tables in a StickyStore (memory or Redis); cookie insert needs none. */
export const STORE_STRATEGIES: ReadonlySet<string> = new Set<StrategyName>(['stick-table', 'engineio-sid']);

/** Every strategy name. */
export const ALL_STRATEGY_NAMES: readonly string[] = Object.keys(STRATEGIES);

/** The metadata for `name`, or undefined for an unknown name. */
export function strategyInfo(name: string): StrategyInfo | undefined {
  return Object.hasOwn(STRATEGIES, name) ? STRATEGIES[name as StrategyName] : undefined;
}
