/** The registry of balancing strategies: the one place a strategy name becomes an implementation. */
import { WsherdError } from '../../errors.js';
import { ConsistentHash } from './consistent-hash.js';
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
import type { Strategy, StrategyOptions } from './types.js';
import { WeightedRoundRobin } from './weighted-round-robin.js';

export type { BackendRef, HashKey, Layer, PickContext, PickRequest, Strategy, StrategyOptions } from './types.js';
export { ALL_STRATEGY_NAMES, STRATEGIES, strategyInfo, type StrategyInfo, type StrategyName, type StrategyOptionName } from './metadata.js';
export { DEFAULT_POINTS_PER_BACKEND, DEFAULT_TABLE_SIZE } from './options.js';

type Factory = (options: StrategyOptions) => Strategy;

const NAMES = Object.keys(STRATEGIES) as StrategyName[];

/** Implemented strategies; the reserved L7 names (cookie, stick-table, engineio-sid) have metadata but no factory yet. */
const FACTORIES: Readonly<Partial<Record<StrategyName, Factory>>> = {
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
};

/** Names createStrategy builds, in registration order (the reserved L7 names are not among them yet). */
export const STRATEGY_NAMES: readonly string[] = NAMES.filter((n) => FACTORIES[n] !== undefined);

const RESERVED = NAMES.filter((n) => FACTORIES[n] === undefined);

/**
 * A fresh strategy instance. Throws WSH_ERR_INVALID_INPUT for an unknown name (listing the valid ones), for a
 * reserved L7 name (not available until the L7 proxy exists), and for options the strategy does not take or
 * values out of range.
 */
export function createStrategy(name: string, options: StrategyOptions = {}): Strategy {
  const info = strategyInfo(name);
  if (info === undefined) {
    const reserved = RESERVED.length === 0 ? '' : ` Reserved for the L7 proxy, not available yet: ${RESERVED.join(', ')}.`;
    throw new WsherdError('WSH_ERR_INVALID_INPUT', `Unknown strategy "${name}". Valid strategies: ${STRATEGY_NAMES.join(', ')}.${reserved}`, {
      hint: `Use one of: ${STRATEGY_NAMES.join(', ')}.`,
    });
  }
  const factory = FACTORIES[info.name];
  if (factory === undefined) {
    throw new WsherdError('WSH_ERR_INVALID_INPUT', `Strategy "${name}" is not available yet: it needs the L7 proxy (mode l7), which is still to come.`, {
      hint: `Pick an available strategy: ${STRATEGY_NAMES.join(', ')}.`,
    });
  }
  validateOptions(info, options);
  return factory(options);
}

/** One line per strategy, `name  [layers]  description`, for --help and error output. */
export function describeStrategies(): string[] {
  const width = Math.max(...NAMES.map((n) => n.length));
  return NAMES.map((n) => {
    const s = STRATEGIES[n];
    return `${n.padEnd(width)}  ${s.layers.join('+').padEnd(5)}  ${s.description}`;
  });
}
