/**
 * The `phases` list: ramp_up / hold / ramp_down by duration, by explicit target (`to`) or by arrival rate, all
 * resolved into linear PhaseSegments. Each segment starts at the level the previous one reached (0 at first).
 */
import { isMap, isScalar, isSeq } from 'yaml';
import type { PhaseSegment } from './types.js';
import { type Context, type Field, childPath, describe, readDuration, readInteger, readNumber, readSection } from './context.js';
import { formatDuration } from './duration.js';

export const PHASE_KINDS = ['ramp_up', 'hold', 'ramp_down'] as const;
export type PhaseKind = (typeof PHASE_KINDS)[number];
const RAMP_KEYS = ['duration', 'to', 'rate'] as const;
const HOLD_KEYS = ['duration'] as const;

/** A run longer than a day belongs in several runs: results and per-second series would grow without bound. */
export const MAX_TOTAL_MS = 24 * 3_600_000;

/** Used when the file has no `phases`: ramp to `clients` in 5 s, hold 10 s, close everything in 2 s. */
export function defaultPhases(clients: number): PhaseSegment[] {
  return [
    { kind: 'ramp_up', durationMs: 5000, to: clients },
    { kind: 'hold', durationMs: 10_000, to: clients },
    { kind: 'ramp_down', durationMs: 2000, to: 0 },
  ];
}

/** Resolves `phases`; `clients` is undefined when it was itself invalid (checks that need it are then skipped). */
export function readPhases(ctx: Context, field: Field | undefined, clients: number | undefined): PhaseSegment[] | undefined {
  if (field === undefined || field.value === null || (isScalar(field.value) && field.value.value === null)) {
    return clients === undefined ? undefined : defaultPhases(clients);
  }
  if (!isSeq(field.value)) {
    ctx.report(field.at, field.path, `phases must be a list, got ${describe(field.value)}`, 'write one "- ramp_up: 5s" style item per phase');
    return undefined;
  }
  if (field.value.items.length === 0) {
    ctx.report(field.at, field.path, 'phases is empty', 'add at least one phase, or remove `phases` for the default (ramp_up 5s, hold 10s, ramp_down 2s)');
    return undefined;
  }
  const segments: PhaseSegment[] = [];
  // undefined once a phase could not be resolved: later phases are still checked, but not against a level we do not know.
  let level: number | undefined = 0;
  let complete = true;
  field.value.items.forEach((item, i) => {
    const value = ctx.deref(item);
    const segment = readPhase(ctx, { path: childPath('phases', i), value, at: value ?? undefined }, level, clients);
    if (segment === undefined) {
      complete = false;
      level = undefined;
    } else {
      segments.push(segment);
      level = segment.to;
    }
  });
  if (!complete) return undefined;
  return checkTotal(ctx, field, segments);
}

function checkTotal(ctx: Context, field: Field, segments: PhaseSegment[]): PhaseSegment[] | undefined {
  const total = segments.reduce((sum, s) => sum + s.durationMs, 0);
  if (total > MAX_TOTAL_MS) {
    ctx.report(field.at, field.path, `phases last ${formatDuration(total)} in total; the limit is 24h`, 'split a soak test longer than a day into several runs');
    return undefined;
  }
  if (segments.every((s) => s.to === 0)) {
    ctx.report(field.at, field.path, 'phases never open a client (every phase ends at 0)', 'start with a ramp_up');
    return undefined;
  }
  return segments;
}

function readPhase(ctx: Context, field: Field, from: number | undefined, clients: number | undefined): PhaseSegment | undefined {
  const section = readSection(ctx, field, PHASE_KINDS);
  if (section === undefined) return undefined;
  const pairs = section.node.items.length;
  if (pairs !== 1) {
    const message = pairs === 0 ? `${field.path} is empty` : `${field.path} has ${pairs} keys; a phase has exactly one of ${PHASE_KINDS.join(', ')}`;
    ctx.report(field.at, field.path, message, 'start a new list item ("- ") for each phase');
    return undefined;
  }
  const [entry] = section.fields;
  if (entry === undefined) return undefined; // its only key was unknown, already reported
  const [kind, body] = entry as [PhaseKind, Field];
  if (kind === 'hold') return readHold(ctx, body, from);
  return readRamp(ctx, kind, body, from, clients);
}

function readHold(ctx: Context, field: Field, from: number | undefined): PhaseSegment | undefined {
  let durationField = field;
  if (isMap(field.value)) {
    const section = readSection(ctx, field, HOLD_KEYS);
    const inner = section?.fields.get('duration');
    if (section !== undefined && inner === undefined) ctx.report(section.node, field.path, `${field.path} needs "duration"`, 'e.g. hold: 10s');
    if (inner === undefined) return undefined;
    durationField = inner;
  }
  const durationMs = readDuration(ctx, durationField);
  return durationMs === undefined || from === undefined ? undefined : { kind: 'hold', durationMs, to: from };
}

function readRamp(ctx: Context, kind: 'ramp_up' | 'ramp_down', field: Field, from: number | undefined, clients: number | undefined): PhaseSegment | undefined {
  const defaultTo = kind === 'ramp_up' ? clients : 0;
  if (!isMap(field.value)) {
    const durationMs = readDuration(ctx, field);
    if (durationMs === undefined || defaultTo === undefined) return undefined;
    return checkDirection(ctx, kind, field.path, field, from, defaultTo) ? { kind, durationMs, to: defaultTo } : undefined;
  }
  const section = readSection(ctx, field, RAMP_KEYS);
  if (section === undefined) return undefined;
  const f = section.fields;
  const toField = f.get('to');
  const to = toField === undefined ? defaultTo : readTo(ctx, toField, clients);
  const durationField = f.get('duration');
  const rateField = f.get('rate');
  if (durationField !== undefined && rateField !== undefined) {
    ctx.report(rateField.at, field.path, `${field.path} has both "duration" and "rate"; give one`, 'a rate derives the duration: (to - current level) / rate');
    return undefined;
  }
  if (durationField === undefined && rateField === undefined) {
    ctx.report(section.node, field.path, `${field.path} needs "duration" or "rate"`, `e.g. ${kind}: {duration: 5s} or ${kind}: {rate: 200}`);
    return undefined;
  }
  if (durationField !== undefined) {
    const durationMs = readDuration(ctx, durationField);
    if (durationMs === undefined || to === undefined) return undefined;
    return checkDirection(ctx, kind, field.path, toField ?? field, from, to) ? { kind, durationMs, to } : undefined;
  }
  const rate = readRate(ctx, rateField as Field);
  if (rate === undefined || to === undefined || !checkDirection(ctx, kind, field.path, toField ?? field, from, to) || from === undefined) return undefined;
  if (to === from) {
    ctx.report(field.at, field.path, `${field.path} has nothing to do: the level is already ${to}`, 'remove this phase, or use hold');
    return undefined;
  }
  // Whole milliseconds, at least one: a huge rate over a small step still takes some time.
  const durationMs = Math.max(1, Math.round((Math.abs(to - from) / rate) * 1000));
  return { kind, durationMs, to, rate };
}

function readTo(ctx: Context, field: Field, clients: number | undefined): number | undefined {
  if (clients === undefined) return readInteger(ctx, field, { min: 0 });
  return readInteger(ctx, field, { min: 0, max: clients, hint: '`to` is a number of open clients and cannot exceed `clients`, the peak' });
}

function readRate(ctx: Context, field: Field): number | undefined {
  const rate = readNumber(ctx, field, { min: 0 });
  if (rate === 0) {
    ctx.report(field.at, field.path, `${field.path} must be greater than 0, got 0`, 'a rate is connections opened or closed per second');
    return undefined;
  }
  return rate;
}

/** A ramp_up must not go down, a ramp_down must not go up. */
function checkDirection(ctx: Context, kind: 'ramp_up' | 'ramp_down', phase: string, at: Field, from: number | undefined, to: number): boolean {
  if (from === undefined) return true;
  if (kind === 'ramp_up' && to < from) {
    ctx.report(at.at, at.path, `${phase} ramps up to ${to}, below the level the previous phases reached (${from})`, 'use ramp_down to lower the number of open clients');
    return false;
  }
  if (kind === 'ramp_down' && to > from) {
    ctx.report(at.at, at.path, `${phase} ramps down to ${to}, above the level the previous phases reached (${from})`, 'use ramp_up to raise the number of open clients');
    return false;
  }
  return true;
}
