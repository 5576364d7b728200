/**
 * `faults:` — what happens to the lab's backends during the run, at given seconds:
 *
 *   faults:
 *     - {at: 10s, action: kill, backend: b2}     # SIGKILL: its connections reset, its port refuses
 *     - {at: 12s, action: stop, backend: b3}     # SIGSTOP: its sockets stay open and nothing answers
 *     - {at: 15s, action: drain, backend: b1}    # no new clients (proxy admin, DNS zone or orchestrator registry)
 *     - {at: 20s, action: add}                   # start the next backend (b4) and put it in rotation
 *
 * Checked before the run: a fault aimed at a backend that does not exist then (counting the ones added earlier)
 * is an error at its file:line:col, as is a time past the end of the phases.
 */
import { type Context, type Field, readChoice, readDuration, readList, readSection, readString, reportMissing } from './context.js';
import { FAULT_ACTIONS, type FaultSpec, type LabSpec } from './types.js';

export const FAULT_KEYS = ['at', 'action', 'backend'] as const;
export const MAX_FAULTS = 100;
const HINT = 'e.g. faults: [{at: 10s, action: kill, backend: b2}, {at: 20s, action: add}]';

export function readFaults(ctx: Context, field: Field, lab: LabSpec | undefined, hasTarget: boolean, plannedMs: number | undefined): FaultSpec[] | undefined {
  if (hasTarget) {
    ctx.report(field.at, field.path, 'faults act on the lab\'s backends, but this scenario uses target', 'use lab:, or remove faults');
    return undefined;
  }
  const out = readList(ctx, field, MAX_FAULTS, 'faults', HINT, (f) => readFault(ctx, f, plannedMs));
  if (out === undefined || lab === undefined) return out;
  let ok = true;
  // Backends that exist at each fault's time: b1..bN, plus one per `add` at or before it.
  const sorted = [...out].sort((a, b) => a.atMs - b.atMs);
  let count = lab.backends.count;
  for (const fault of sorted) {
    if (fault.action === 'add') {
      count++;
      continue;
    }
    const n = /^b(\d+)$/.exec(fault.backend ?? '')?.[1];
    if (n === undefined || Number(n) < 1 || Number(n) > count) {
      const { file, line, col } = fault.location;
      ctx.problems.push({ file, line, col, path: 'faults', message: `a ${fault.action} at ${fault.atMs / 1000}s aims at backend ${fault.backend ?? '?'}, which does not exist then (the lab has b1..b${count})`, hint: 'backends are b1..bN in start order; add creates the next one' });
      ok = false;
    }
  }
  return ok ? sorted : undefined;
}

function readFault(ctx: Context, field: Field, plannedMs: number | undefined): FaultSpec | undefined {
  const section = readSection(ctx, field, FAULT_KEYS);
  if (section === undefined) return undefined;
  const f = section.fields;
  const atField = f.get('at');
  const actionField = f.get('action');
  if (atField === undefined) reportMissing(ctx, section, 'at', 'the second of the run it happens at, e.g. at: 10s');
  if (actionField === undefined) reportMissing(ctx, section, 'action', `one of ${FAULT_ACTIONS.join(', ')}`);
  const atMs = atField && readDuration(ctx, atField, { allowZero: true });
  const action = actionField && readChoice(ctx, actionField, FAULT_ACTIONS);
  const backendField = f.get('backend');
  const backend = backendField && readString(ctx, backendField);
  if (atMs === undefined || action === undefined || (backendField !== undefined && backend === undefined)) return undefined;
  if (plannedMs !== undefined && atMs >= plannedMs) {
    ctx.report(atField?.at, atField?.path ?? field.path, `${atField?.path} is ${atMs / 1000}s, but the phases end at ${plannedMs / 1000}s`, 'a fault must happen while clients run');
    return undefined;
  }
  if (action === 'add' && backend !== undefined) {
    ctx.report(backendField?.at, backendField?.path ?? field.path, 'add starts the next backend; it takes no backend', 'remove backend from this fault');
    return undefined;
  }
  if (action !== 'add' && backend === undefined) {
    reportMissing(ctx, section, 'backend', 'which backend, e.g. backend: b2');
    return undefined;
  }
  return { atMs, action, ...(backend === undefined ? {} : { backend }), location: ctx.location(field.value ?? undefined) };
}
