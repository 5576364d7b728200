/** `network:` — run the whole scenario in a private network namespace (src/run/netns.ts). */
import { isScalar } from 'yaml';
import { type Context, type Field, readBool, readSection, readString } from './context.js';
import type { NetworkSpec } from './types.js';

export const NETWORK_KEYS = ['namespace', 'port_range', 'tcp_tw_reuse'] as const;
const RANGE_HINT = 'e.g. port_range: 40000-40999 (low-high, within 1024-65535)';

export function readNetwork(ctx: Context, field: Field, hasTarget: boolean): NetworkSpec | undefined {
  const section = readSection(ctx, field, NETWORK_KEYS);
  if (section === undefined) return undefined;
  const f = section.fields;
  const ns = f.get('namespace');
  const namespace = ns === undefined ? false : readBool(ctx, ns);
  if (namespace === undefined) return undefined;
  if (namespace && hasTarget) {
    ctx.report(ns?.at, `${field.path}.namespace`, 'a private network namespace has only loopback, so it cannot reach a target', 'use lab: (it runs inside the namespace too), or remove network.namespace');
    return undefined;
  }
  const rangeField = f.get('port_range');
  const portRange = rangeField === undefined ? undefined : readRange(ctx, rangeField);
  if (rangeField !== undefined && portRange === undefined) return undefined;
  const twField = f.get('tcp_tw_reuse');
  const tw = twField === undefined ? undefined : readTwReuse(ctx, twField);
  if (twField !== undefined && tw === undefined) return undefined;
  if (!namespace && (portRange !== undefined || tw !== undefined)) {
    ctx.report(field.at, field.path, `${field.path}.port_range and tcp_tw_reuse apply only inside a private namespace`, 'add namespace: true (the machine\'s own settings are never changed)');
    return undefined;
  }
  return { namespace, ...(portRange === undefined ? {} : { portRange }), ...(tw === undefined ? {} : { tcpTwReuse: tw }) };
}

function readTwReuse(ctx: Context, field: Field): 0 | 1 | 2 | undefined {
  const v = isScalar(field.value) ? field.value.value : undefined;
  if (v === 0 || v === 1 || v === 2) return v;
  ctx.report(field.at, field.path, `${field.path} must be 0, 1 or 2, got ${JSON.stringify(v ?? null)}`, '0: never reuse TIME_WAIT ports, 1: reuse for outgoing connections, 2: loopback only (the kernel default)');
  return undefined;
}


function readRange(ctx: Context, field: Field): [number, number] | undefined {
  const text = isScalar(field.value) && typeof field.value.value === 'number' ? String(field.value.value) : readString(ctx, field);
  if (text === undefined) return undefined;
  const m = /^(\d{4,5})\s*-\s*(\d{4,5})$/.exec(text.trim());
  const lo = Number(m?.[1]);
  const hi = Number(m?.[2]);
  if (!m || lo < 1024 || hi > 65535 || lo > hi) {
    ctx.report(field.at, field.path, `${field.path} must be low-high within 1024-65535, got "${text}"`, RANGE_HINT);
    return undefined;
  }
  return [lo, hi];
}
