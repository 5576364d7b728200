/** Checks StrategyOptions before a strategy is built, so a bad value fails at start-up with the fix in the message. */
import { WsherdError } from '../../errors.js';
import type { StrategyInfo } from './metadata.js';
import { HASH_KEY_FORMS, isRequestKey, parseHashKey } from './request-key.js';
import type { StrategyOptions } from './types.js';

export const DEFAULT_POINTS_PER_BACKEND = 160;
export const MAX_POINTS_PER_BACKEND = 10_000;
export const DEFAULT_TABLE_SIZE = 65_537;
export const MAX_TABLE_SIZE = 10_000_000;
/** 30 days: longer-lived sticky entries are a leak, not a session. */
export const MAX_EXPIRE_SECONDS = 30 * 24 * 3600;

export function isPrime(n: number): boolean {
  if (!Number.isInteger(n) || n < 2) return false;
  if (n % 2 === 0) return n === 2;
  for (let d = 3; d * d <= n; d += 2) if (n % d === 0) return false;
  return true;
}

/** The smallest prime >= n. */
export function nextPrime(n: number): number {
  let p = Math.max(2, Math.ceil(n));
  while (!isPrime(p)) p++;
  return p;
}

function invalid(name: string, message: string, hint: string): never {
  throw new WsherdError('WSH_ERR_INVALID_INPUT', `Strategy "${name}": ${message}`, { hint });
}

function checkInteger(name: string, key: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    invalid(name, `${key} must be an integer from ${min} to ${max}, got ${value}.`, `Give ${key} as a whole number in ${min}..${max}.`);
  }
}

/** Throws WSH_ERR_INVALID_INPUT for an option the strategy does not take or a value out of range. */
/** `fallbacks`: the names a sticky strategy may fall back to (L4-capable ones). */
export function validateOptions(info: StrategyInfo, options: StrategyOptions, fallbacks: readonly string[] = []): void {
  const name = info.name;
  for (const [key, value] of Object.entries(options)) {
    if (value === undefined) continue;
    if (!(info.options as readonly string[]).includes(key)) {
      const accepted = info.options.length === 0 ? 'it takes no options' : `it takes: ${info.options.join(', ')}`;
      invalid(name, `option ${key} does not apply (${accepted}).`, `Remove ${key}, or pick a strategy that uses it.`);
    }
  }
  const { pointsPerBackend, balanceFactor, tableSize, seed, hashKey, fallback, cookieName, cookieSecret, expireSeconds } = options;
  if (pointsPerBackend !== undefined) checkInteger(name, 'pointsPerBackend', pointsPerBackend, 1, MAX_POINTS_PER_BACKEND);
  if (balanceFactor !== undefined && balanceFactor !== 0) {
    if (!Number.isInteger(balanceFactor) || balanceFactor < 100) {
      invalid(name, `balanceFactor must be 0 (off) or an integer >= 100, got ${balanceFactor}.`, 'It is a percentage of the average load, as HAProxy hash-balance-factor: e.g. 125 lets a backend reach 1.25 × average.');
    }
  }
  if (tableSize !== undefined) {
    checkInteger(name, 'tableSize', tableSize, 2, MAX_TABLE_SIZE);
    if (!isPrime(tableSize)) {
      invalid(name, `tableSize must be a prime, got ${tableSize}.`, `The nearest larger prime is ${nextPrime(tableSize)}; the default is ${DEFAULT_TABLE_SIZE}.`);
    }
  }
  if (seed !== undefined && !Number.isSafeInteger(seed)) invalid(name, `seed must be an integer, got ${seed}.`, 'e.g. seed: 42');
  if (hashKey !== undefined) {
    const parsed = typeof hashKey === 'string' ? parseHashKey(hashKey) : { error: `must be ${HASH_KEY_FORMS}, got ${String(hashKey)}` };
    if ('error' in parsed) {
      invalid(name, `hashKey ${parsed.error}.`, 'Use source-ip to keep a client on one backend; in mode l7, e.g. query:room to keep each room on one.');
    }
  }
  if (fallback !== undefined && !fallbacks.includes(fallback)) {
    invalid(name, `fallback must be a strategy that places clients by itself, got "${fallback}".`, `Use one of: ${fallbacks.join(', ')}.`);
  }
  if (cookieName !== undefined && !/^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,64}$/.test(cookieName)) {
    invalid(name, `cookieName must be an HTTP token of 1..64 characters, got "${cookieName}".`, 'e.g. cookieName: SERVERID');
  }
  if (cookieSecret !== undefined && (typeof cookieSecret !== 'string' || cookieSecret.length < 16)) {
    invalid(name, 'cookieSecret must be a string of at least 16 characters.', 'Give every proxy that must accept the same cookies the same long random secret.');
  }
  if (expireSeconds !== undefined) checkInteger(name, 'expireSeconds', expireSeconds, 1, MAX_EXPIRE_SECONDS);
}

/**
 * Throws WSH_ERR_INVALID_INPUT when `hashKey` reads the request (uri, path, query:NAME, header:NAME) but the proxy
 * splices TCP: at L4 it never parses HTTP, so every connection would fall back to round robin.
 */
export function assertHashKeyMode(strategy: string, options: StrategyOptions | undefined, mode: string): void {
  const hashKey = options?.hashKey;
  if (mode !== 'l4' || hashKey === undefined || !isRequestKey(hashKey)) return;
  invalid(strategy, `hashKey ${hashKey} needs mode: l7, the proxy must read the HTTP request (the mode is l4).`, 'Use --mode l7 (lab.proxy.mode: l7), or hashKey source-ip or source-ip-port at L4.');
}
