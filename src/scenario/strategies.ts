/**
 * Balancing strategy names the scenario file accepts for `lab.proxy.strategy`, checked against the proxy's strategy
 * metadata (src/proxy/strategies/metadata.ts, which loads no implementation): one list, so a strategy that lands
 * in the proxy is selectable here at once. Unknown names get a "did you mean" hint; a strategy that needs the
 * HTTP request (cookie, stick-table, engineio-sid) is refused in an L4 lab, pointing at the strategy.
 */
import { ALL_STRATEGY_NAMES, strategyInfo } from '../proxy/strategies/metadata.js';
import { type Context, type Field, readString } from './context.js';
import { closest } from './suggest.js';
import type { ProxyMode } from './types.js';

/** Every name a scenario may give, including the ones reserved for the L7 proxy. */
export const KNOWN_STRATEGIES: readonly string[] = ALL_STRATEGY_NAMES;

export function isKnownStrategy(name: string): boolean {
  return strategyInfo(name) !== undefined;
}

/** The proxy modes a strategy works in, or undefined for an unknown name. */
export function strategyModes(name: string): readonly ProxyMode[] | undefined {
  return strategyInfo(name)?.layers;
}

/** Reads `lab.proxy.strategy`; an unknown name is a problem with a suggestion or the list of known names. */
export function readStrategy(ctx: Context, field: Field): string | undefined {
  const name = readString(ctx, field);
  if (name === undefined) return undefined;
  if (isKnownStrategy(name)) return name;
  const match = closest(name, KNOWN_STRATEGIES);
  const hint = match === undefined ? `known strategies: ${KNOWN_STRATEGIES.join(', ')}` : `did you mean "${match}"?`;
  ctx.report(field.at, field.path, `unknown strategy "${name}" in ${field.path}`, hint);
  return undefined;
}

/**
 * A strategy that cannot work in `mode` is reported at the strategy field. `modeGiven` says whether the file set
 * the mode, so the message can say the mode was the default. True when the combination is fine.
 */
export function checkStrategyMode(ctx: Context, field: Field, strategy: string, mode: ProxyMode, modeGiven: boolean): boolean {
  const modes = strategyModes(strategy);
  if (modes === undefined || modes.includes(mode)) return true;
  const need = modes.join(' or ');
  const modePath = field.path.replace(/strategy$/, 'mode');
  const why = modeGiven ? `${modePath} is ${mode}` : `${modePath} defaults to ${mode}`;
  const hint =
    mode === 'l4'
      ? `set ${modePath}: ${need} (${strategy} reads the HTTP request), or pick a strategy that works at L4, e.g. consistent-hash or round-robin`
      : `set ${modePath}: ${need}`;
  ctx.report(field.at, field.path, `strategy "${strategy}" needs mode ${need}, but ${why}`, hint);
  return false;
}
