/**
 * `baseline:` — how far a later run of this scenario may drift from a baseline run before `wsherd report
 * --baseline` calls it a regression. Read from the NEW run's scenario (the one being judged), so the tolerance
 * travels with the workload: a noisy metric can be given more room where it is defined.
 */
import { isMap, isScalar } from 'yaml';
import { isKnownMetric, METRIC_NAMES } from '../analysis/thresholds.js';
import { type Context, type Field, childPath, describe, readSection } from './context.js';
import { closest } from './suggest.js';
import type { BaselineSpec } from './types.js';

export const BASELINE_KEYS = ['tolerance', 'metrics'] as const;

const PERCENT_HINT = 'a relative change written as a percentage, e.g. 10% (or 0% for no drift at all)';

/**
 * "10%" → 0.1. Only percentages: a bare "10" could mean 10% or 1000%, and a tolerance typed the wrong way would
 * silently let every regression through. Returns an error text for anything else.
 */
export function parsePercent(text: string): number | { error: string } {
  const m = /^\s*(\d+(?:\.\d+)?)\s*%\s*$/.exec(text);
  if (!m) return { error: `expected a percentage such as 10%, got ${JSON.stringify(text)}` };
  return Number(m[1]) / 100;
}

export function readBaseline(ctx: Context, field: Field): BaselineSpec | undefined {
  const section = readSection(ctx, field, BASELINE_KEYS);
  if (section === undefined) return undefined;
  const spec: BaselineSpec = {};
  let ok = true;
  const tol = section.fields.get('tolerance');
  if (tol !== undefined) {
    const v = readPercent(ctx, tol);
    if (v === undefined) ok = false;
    else spec.tolerance = v;
  }
  const metricsField = section.fields.get('metrics');
  if (metricsField !== undefined) {
    const metrics = readMetrics(ctx, metricsField);
    if (metrics === undefined) ok = false;
    else spec.metrics = metrics;
  }
  return ok ? spec : undefined;
}

function readPercent(ctx: Context, field: Field): number | undefined {
  const v = isScalar(field.value) ? field.value.value : undefined;
  if (typeof v !== 'string') {
    ctx.report(field.at, field.path, `${field.path} must be a percentage, got ${describe(field.value)}`, PERCENT_HINT);
    return undefined;
  }
  const parsed = parsePercent(v);
  if (typeof parsed === 'number') return parsed;
  ctx.report(field.at, field.path, `${field.path}: ${parsed.error}`, PERCENT_HINT);
  return undefined;
}

function readMetrics(ctx: Context, field: Field): Record<string, number> | undefined {
  if (!isMap(field.value)) {
    ctx.report(field.at, field.path, `${field.path} must be a map of metric names to percentages, got ${describe(field.value)}`, 'e.g. metrics: {"p99(connect)": 20%}');
    return undefined;
  }
  const out: Record<string, number> = {};
  let ok = true;
  for (const pair of field.value.items) {
    const keyNode = ctx.deref(pair.key);
    const key = isScalar(keyNode) ? keyNode.value : undefined;
    if (typeof key !== 'string' || !isKnownMetric(key)) {
      ctx.report(keyNode ?? field.at, field.path, `${field.path}: unknown metric ${JSON.stringify(key ?? null)}`, metricHint(String(key)));
      ok = false;
      continue;
    }
    const value = ctx.deref(pair.value);
    const v = readPercent(ctx, { path: childPath(field.path, key), value, at: value ?? keyNode ?? undefined });
    if (v === undefined) ok = false;
    else out[key] = v;
  }
  return ok ? out : undefined;
}

function metricHint(input: string): string {
  const match = closest(input, METRIC_NAMES);
  return match === undefined ? 'use a threshold metric name, e.g. p99(connect), errors.rate (docs/scenario.md#thresholds)' : `did you mean "${match}"?`;
}
