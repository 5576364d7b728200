/**
 * `compare:` — the approaches `wsherd compare` runs one after another on fresh labs with the same clients. An
 * entry is a strategy name (the lab's proxy with that strategy; l7 when the strategy needs it) or a full
 * `lab.proxy` section with an optional `name`.
 */
import { isMap, isScalar } from 'yaml';
import { strategyInfo } from '../proxy/strategies/metadata.js';
import { type Context, type Field, childPath, readList, readString } from './context.js';
import { readApproachParts, readProxy } from './sections.js';
import { readStrategy } from './strategies.js';
import { readReconnect } from './reconnect.js';
import type { CompareEntry, LabSpec } from './types.js';

/** More approaches than this is a batch job, not a comparison a page can show side by side. */
export const MAX_APPROACHES = 16;
const HINT = 'a list of strategy names or lab.proxy sections, e.g. compare: [round-robin, {strategy: cookie, mode: l7}]';

export function readCompare(ctx: Context, field: Field, lab: LabSpec | undefined, hasTarget: boolean): CompareEntry[] | undefined {
  if (hasTarget && lab === undefined) {
    ctx.report(field.at, field.path, 'compare varies the lab\'s proxy, but this scenario uses target', 'use lab: (backends and proxy) to compare balancing approaches');
    return undefined;
  }
  const names = new Set<string>();
  return readList(ctx, field, MAX_APPROACHES, 'approaches', HINT, (entryField) => {
    const entry = readEntry(ctx, entryField, lab);
    if (entry === undefined) return undefined;
    if (names.has(entry.name)) {
      ctx.report(entryField.at, entryField.path, `two approaches are named "${entry.name}"`, 'give one a name: {name: cookie-l7, strategy: cookie, mode: l7}');
      return undefined;
    }
    names.add(entry.name);
    return entry;
  });
}

function readEntry(ctx: Context, field: Field, lab: LabSpec | undefined): CompareEntry | undefined {
  const base = lab?.proxy;
  if (isScalar(field.value)) {
    const strategy = readStrategy(ctx, field);
    if (strategy === undefined || base === undefined) return undefined;
    const layers = strategyInfo(strategy)?.layers ?? [];
    const mode = layers.includes(base.mode) ? base.mode : 'l7';
    // The lab's proxy with another strategy: its host, TLS, store, sources and workers stay; its options belong to
    // its own strategy and do not carry over.
    const { options: _options, ...rest } = base;
    return { name: strategy, proxy: { ...rest, strategy, mode }, approach: 'proxy' };
  }
  if (!isMap(field.value)) {
    ctx.report(field.at, field.path, `${field.path} must be a strategy name or a map`, HINT);
    return undefined;
  }
  const nameNode = field.value.items.find((p) => isScalar(p.key) && p.key.value === 'name');
  let name: string | undefined;
  if (nameNode !== undefined) {
    const v = ctx.deref(nameNode.value as never);
    name = readString(ctx, { path: childPath(field.path, 'name'), value: v, at: v ?? field.at });
    if (name === undefined) return undefined;
  }
  const approachKeys = ['approach', 'dns', 'orchestrator', 'reconnect'];
  // The approach keys are read here; readProxy only accepts them (and reports anything else unknown).
  const proxy = readProxy(ctx, field, ['name', ...approachKeys]);
  const fields = new Map<string, Field>();
  for (const pair of field.value.items) {
    const key = isScalar(pair.key) ? pair.key.value : undefined;
    if (typeof key !== 'string' || !approachKeys.includes(key)) continue;
    const value = ctx.deref(pair.value as never);
    fields.set(key, { path: childPath(field.path, key), value, at: value ?? field.at, key: pair.key as never });
  }
  const parts = readApproachParts(ctx, fields, field.path);
  const reconnectField = fields.get('reconnect');
  const reconnect = reconnectField === undefined ? undefined : readReconnect(ctx, reconnectField);
  if (proxy === undefined || parts === undefined || (reconnectField !== undefined && reconnect === undefined)) return undefined;
  // An entry is the proxy approach unless it says otherwise: compare varies how clients reach the backends.
  const approach = parts.approach ?? 'proxy';
  const proxyName = proxy.mode === 'l7' && strategyInfo(proxy.strategy)?.layers.includes('l4') ? `${proxy.strategy}-l7` : proxy.strategy;
  const defaultName = approach === 'dns' ? 'dns' : approach === 'orchestrator' ? `orchestrator-${parts.orchestrator?.strategy ?? 'least-loaded'}` : approach === 'dns-proxies' ? `dns-proxies-${proxyName}` : approach === 'proxy-orchestrator' ? `proxy-orchestrator-${proxyName}` : proxyName;
  return { name: name ?? defaultName, proxy, approach, ...parts, ...(reconnect === undefined ? {} : { reconnect }) };
}
