/** The registry of balancing strategies: the one place a strategy name becomes an implementation. */
import { WsherdError } from '../../errors.js';
import { MemoryStore } from '../store/memory.js';
import type { StickyStore } from '../store/types.js';
import { ConsistentHash } from './consistent-hash.js';
import { CookieInsert } from './cookie.js';
import { EngineIoSid } from './engineio-sid.js';
import { IpHash } from './ip-hash.js';
import { LeastConnections } from './least-connections.js';
import { Maglev } from './maglev.js';
import { STRATEGIES, strategyInfo, type StrategyName } from './metadata.js';
import { validateOptions } from './options.js';
import { PowerOfTwoChoices } from './power-of-two-choices.js';
import { RandomPick } from './random.js';
import { Rendezvous } from './rendezvous.js';
import { RoundRobin } from './round-robin.js';
import { SourceIpHash } from './source-ip-hash.js';
import { SourceIpPortHash } from './source-ip-port-hash.js';
import { StickTable } from './stick-table.js';
import type { Strategy, StrategyOptions } from './types.js';
import { WeightedRoundRobin } from './weighted-round-robin.js';

export type { BackendRef, HashKey, Layer, PickContext, PickRequest, ResponseInfo, StickyStrategy, Strategy, StrategyOptions } from './types.js';
export { isSticky } from './types.js';
export { ALL_STRATEGY_NAMES, STRATEGIES, strategyInfo, type StrategyInfo, type StrategyName, type StrategyOptionName } from './metadata.js';
export { DEFAULT_POINTS_PER_BACKEND, DEFAULT_TABLE_SIZE, assertHashKeyMode } from './options.js';
export { HASH_KEY_FORMS, isRequestKey, parseHashKey, type ParsedHashKey } from './request-key.js';

/** What a strategy may need besides its options: the table store of the sticky ones (memory when absent). */
export interface StrategyDeps {
  store?: StickyStore;
}

type Factory = (options: StrategyOptions, deps: StrategyDeps) => Strategy;

const NAMES = Object.keys(STRATEGIES) as StrategyName[];

/** The fallback of a sticky strategy: an L4-capable strategy built with no options of its own. */
function fallbackOf(o: StrategyOptions): Strategy {
  return createStrategy(o.fallback ?? 'round-robin');
}

const storeOf = (deps: StrategyDeps): StickyStore => deps.store ?? new MemoryStore();

const FACTORIES: Readonly<Record<StrategyName, Factory>> = {
  'round-robin': () => new RoundRobin(),
  'weighted-round-robin': () => new WeightedRoundRobin(),
  'least-connections': () => new LeastConnections(),
  random: (o) => new RandomPick(o.seed),
  'power-of-two-choices': (o) => new PowerOfTwoChoices(o.seed),
  'source-ip-hash': () => new SourceIpHash(),
  'ip-hash': () => new IpHash(),
  'source-ip-port-hash': () => new SourceIpPortHash(),
  'consistent-hash': (o) => new ConsistentHash(o),
  maglev: (o) => new Maglev(o),
  rendezvous: (o) => new Rendezvous(o),
  cookie: (o) => new CookieInsert(fallbackOf(o), o),
  'stick-table': (o, d) => new StickTable(fallbackOf(o), storeOf(d), o.expireSeconds),
  'engineio-sid': (o, d) => new EngineIoSid(fallbackOf(o), storeOf(d), o.expireSeconds),
};

/** Every strategy name, in the order --help lists them. */
export const STRATEGY_NAMES: readonly string[] = NAMES;

/** Names that can place a client on their own: the ones a sticky strategy may fall back to. */
export const FALLBACK_NAMES: readonly string[] = NAMES.filter((n) => STRATEGIES[n].layers.includes('l4'));

/**
 * A fresh strategy instance. Throws WSH_ERR_INVALID_INPUT for an unknown name (listing the valid ones), and for
 * options the strategy does not take or values out of range.
 */
export function createStrategy(name: string, options: StrategyOptions = {}, deps: StrategyDeps = {}): Strategy {
  const info = strategyInfo(name);
  if (info === undefined) {
    throw new WsherdError('WSH_ERR_INVALID_INPUT', `Unknown strategy "${name}". Valid strategies: ${STRATEGY_NAMES.join(', ')}.`, {
      hint: `Use one of: ${STRATEGY_NAMES.join(', ')}.`,
    });
  }
  validateOptions(info, options, FALLBACK_NAMES);
  return FACTORIES[info.name](options, deps);
}

/** One line per strategy, `name  [layers]  description`, for --help and error output. */
export function describeStrategies(): string[] {
  const width = Math.max(...NAMES.map((n) => n.length));
  return NAMES.map((n) => {
    const s = STRATEGIES[n];
    return `${n.padEnd(width)}  ${s.layers.join('+').padEnd(5)}  ${s.description}`;
  });
}
