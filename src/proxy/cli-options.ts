/** Turning `wsherd proxy` flag values into ProxyOptions pieces, with errors that name the flag and the fix. */
import { WsherdError } from '../errors.js';
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
