/**
 * `compare:` — the approaches `wsherd compare` runs one after another on fresh labs with the same clients. An
 * entry is a strategy name (the lab's proxy with that strategy; l7 when the strategy needs it) or a full
 * `lab.proxy` section with an optional `name`.
 */
import { isMap, isScalar, isSeq } from 'yaml';
import { strategyInfo } from '../proxy/strategies/metadata.js';
import { type Context, type Field, childPath, readString } from './context.js';
import { readProxy } from './sections.js';
import { readStrategy } from './strategies.js';
import type { CompareEntry, LabSpec } from './types.js';

/** More approaches than this is a batch job, not a comparison a page can show side by side. */
export const MAX_APPROACHES = 16;
const HINT = 'a list of strategy names or lab.proxy sections, e.g. compare: [round-robin, {strategy: cookie, mode: l7}]';

export function readCompare(ctx: Context, field: Field, lab: LabSpec | undefined, hasTarget: boolean): CompareEntry[] | undefined {
  if (hasTarget && lab === undefined) {
    ctx.report(field.at, field.path, 'compare varies the lab\'s proxy, but this scenario uses target', 'use lab: (backends and proxy) to compare balancing approaches');
    return undefined;
  }
  if (!isSeq(field.value) || field.value.items.length === 0 || field.value.items.length > MAX_APPROACHES) {
    ctx.report(field.at, field.path, `compare must be a list of 1 to ${MAX_APPROACHES} approaches`, HINT);
    return undefined;
  }
  const out: CompareEntry[] = [];
  const names = new Set<string>();
  let ok = true;
  field.value.items.forEach((item, i) => {
    const node = ctx.deref(item);
    const entryField: Field = { path: childPath(field.path, i), value: node, at: node ?? field.at };
    const entry = readEntry(ctx, entryField, lab);
    if (entry === undefined) {
      ok = false;
      return;
    }
    if (names.has(entry.name)) {
      ctx.report(entryField.at, entryField.path, `two approaches are named "${entry.name}"`, 'give one a name: {name: cookie-l7, strategy: cookie, mode: l7}');
      ok = false;
      return;
    }
    names.add(entry.name);
    out.push(entry);
  });
  return ok ? out : undefined;
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
    return { name: strategy, proxy: { ...rest, strategy, mode } };
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
  const proxy = readProxy(ctx, field, ['name']);
  if (proxy === undefined) return undefined;
  return { name: name ?? (proxy.mode === 'l7' && strategyInfo(proxy.strategy)?.layers.includes('l4') ? `${proxy.strategy}-l7` : proxy.strategy), proxy };
}
