/**
 * `behavior.reconnect`: how a slot comes back after its connection failed or dropped before its planned end.
 * Written as a word (`reconnect: backoff`) or a map (`reconnect: {policy: backoff, base: 200ms, max: 5s}`); the
 * backoff keys apply to backoff only, and `none` takes no keys at all, so a key that would be ignored is reported.
 */
import { isScalar } from 'yaml';
import { type Context, type Field, childPath, readChoice, readDuration, readInteger, readSection, reportMissing } from './context.js';
import type { ReconnectJitter, ReconnectPolicy, ReconnectPolicyName } from './types.js';

export const RECONNECT_KEYS = ['policy', 'base', 'max', 'jitter', 'max_attempts'] as const;
export const RECONNECT_POLICIES: readonly ReconnectPolicyName[] = ['none', 'immediate', 'backoff'];
export const RECONNECT_JITTERS: readonly ReconnectJitter[] = ['full', 'equal', 'none'];
/** Far more than any outage needs; a bound that keeps a typo (max_attempts: 1e9) from meaning "forever" silently. */
export const MAX_RECONNECT_ATTEMPTS = 1_000_000;

/** Full jitter by default: AWS's measurements show it spreads a reconnect storm best for the least total work. */
export const DEFAULT_RECONNECT: Readonly<Omit<ReconnectPolicy, 'policy' | 'maxAttempts'>> = { baseMs: 100, maxMs: 10_000, jitter: 'full' };

const BACKOFF_ONLY = ['base', 'max', 'jitter'] as const;

/**
 * Reads `behavior.reconnect`. Returns null when the field is absent, blank or says `none` (today's behaviour: the
 * slot waits for its next planned opening), undefined when it had a problem (reported into `ctx`).
 */
export function readReconnect(ctx: Context, field: Field | undefined): ReconnectPolicy | null | undefined {
  if (field === undefined || field.value === null || (isScalar(field.value) && field.value.value === null)) return null;
  if (isScalar(field.value)) {
    const policy = readChoice(ctx, field, RECONNECT_POLICIES);
    if (policy === undefined) return undefined;
    return policy === 'none' ? null : { policy, ...DEFAULT_RECONNECT };
  }
  const section = readSection(ctx, field, RECONNECT_KEYS);
  if (section === undefined) return undefined;
  const f = section.fields;
  const policyField = f.get('policy');
  if (policyField === undefined) {
    reportMissing(ctx, section, 'policy', `one of ${RECONNECT_POLICIES.join(', ')}, e.g. policy: backoff`);
    return undefined;
  }
  const policy = readChoice(ctx, policyField, RECONNECT_POLICIES);
  if (policy === undefined) return undefined;
  let ok = true;
  const inapplicable: readonly string[] = policy === 'none' ? [...BACKOFF_ONLY, 'max_attempts'] : policy === 'immediate' ? BACKOFF_ONLY : [];
  // An inapplicable key is reported once, as such, and not also read (its value would be a second problem).
  const get = (key: string): Field | undefined => (inapplicable.includes(key) ? undefined : f.get(key));
  for (const key of inapplicable) {
    const k = f.get(key);
    if (k === undefined) continue;
    const needs = key === 'max_attempts' ? 'policy: immediate or backoff' : 'policy: backoff';
    ctx.report(k.key ?? k.at, k.path, `${k.path} applies with ${needs}, but the policy is ${policy}`, `set ${childPath(field.path, 'policy')}: backoff, or remove ${key}`);
    ok = false;
  }
  const baseField = get('base');
  const maxField = get('max');
  const jitterField = get('jitter');
  const attemptsField = get('max_attempts');
  const baseMs = baseField === undefined ? DEFAULT_RECONNECT.baseMs : readDuration(ctx, baseField);
  const maxMs = maxField === undefined ? DEFAULT_RECONNECT.maxMs : readDuration(ctx, maxField);
  const jitter = jitterField === undefined ? DEFAULT_RECONNECT.jitter : readChoice(ctx, jitterField, RECONNECT_JITTERS);
  const maxAttempts = attemptsField === undefined ? null : readInteger(ctx, attemptsField, { min: 1, max: MAX_RECONNECT_ATTEMPTS });
  if (baseMs === undefined || maxMs === undefined || jitter === undefined || maxAttempts === undefined) ok = false;
  else if (maxField !== undefined && maxMs < baseMs) {
    ctx.report(maxField.at, maxField.path, `${maxField.path} must be at least base (${baseMs} ms), got ${maxMs} ms`, 'max caps the doubling delay: make it at least base, e.g. base: 100ms, max: 10s');
    ok = false;
  }
  if (!ok || baseMs === undefined || maxMs === undefined || jitter === undefined || maxAttempts === undefined || policy === 'none') return ok ? null : undefined;
  return { policy, baseMs, maxMs, jitter, ...(maxAttempts === null ? {} : { maxAttempts }) };
}
