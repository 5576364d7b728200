/**
 * The scripted-session keys of `behavior` (flow, roles, script, correlate, frames, data, delivery_timeout) read
 * together, with the rules between them: one of flow / roles / script; the options only with one of them; the
 * echo sender's keys refused beside a flow (they would be ignored). Also the checks that need the whole scenario:
 * data rows against clients, flow metrics in thresholds.
 */
import path from 'node:path';
import type { DataSpec, FlowStep } from './flow-types.js';
import type { Behavior, EngineName, ThresholdSpec } from './types.js';
import { type Context, type Field, readDuration } from './context.js';
import type { TemplateScope } from './templates.js';
import { publishes, readSteps, stepNames, type FlowScope } from './flow.js';
import { readCorrelate, readData, readFrames, readScript } from './flow-data.js';
import { readRoles } from './roles.js';
import { closest } from './suggest.js';

export const FLOW_KEYS = ['flow', 'roles', 'script', 'correlate', 'frames', 'data', 'delivery_timeout'] as const;

export type FlowParts = Pick<Behavior, 'flow' | 'roles' | 'script' | 'correlate' | 'frames' | 'data' | 'deliveryTimeoutMs'>;

/** `behavior.data`: null when absent. Read before headers and query, whose templates may name its columns. */
export function readDataPart(ctx: Context, fields: ReadonlyMap<string, Field>): DataSpec | null | undefined {
  const field = fields.get('data');
  return field === undefined ? null : readData(ctx, field);
}

/** What per-connection templates (headers, query) may use. */
export function templateScope(fields: ReadonlyMap<string, Field>, population: boolean, data: DataSpec | null | undefined): TemplateScope {
  const known = data === undefined ? { data: 'unknown' as const } : data === null ? {} : { data: { columns: data.columns, file: path.basename(data.file) } };
  return { population, roles: fields.has('roles'), ...known };
}

const SOURCES = ['flow', 'roles', 'script'] as const;

export function readFlowParts(ctx: Context, fields: ReadonlyMap<string, Field>, engine: EngineName | undefined, templates: TemplateScope, data: DataSpec | null): FlowParts | undefined {
  const given = SOURCES.filter((k) => fields.has(k));
  let ok = true;
  if (given.length > 1) {
    const second = fields.get(given[1] as string) as Field;
    const keep: Readonly<Record<string, string>> = {
      'flow+roles': 'keep roles (each role has its own flow), or flow (every client runs the same steps)',
      'flow+script': 'keep flow (steps in the scenario) or script (a module): not both',
      'roles+script': 'keep roles (a role may run a script: roles: {name: {share: 1, script: ./x.mjs}}), or script alone',
    };
    ctx.report(second.key ?? second.at, second.path, `behavior.${given[0]} and behavior.${given[1]} are both given`, keep[`${given[0]}+${given[1]}`]);
    return undefined;
  }
  const scripted = given.length === 1;
  if (scripted && engine !== undefined && engine !== 'ws' && engine !== 'socketio') {
    const f = fields.get(given[0] as string) as Field;
    ctx.report(f.key ?? f.at, f.path, `behavior.${given[0]} runs with engine ws or socketio, and the engine is ${engine}`, 'set behavior.engine: ws (WebSocket frames) or socketio (events)');
    ok = false;
  }
  for (const key of ['correlate', 'frames', 'delivery_timeout'] as const) {
    const f = fields.get(key);
    if (f !== undefined && !scripted) {
      ctx.report(f.key ?? f.at, f.path, `behavior.${key} applies to scripted sessions, and there is no behavior.flow, roles or script`, 'add behavior.flow (docs/flows.md), or remove it');
      ok = false;
    }
  }
  for (const key of ['messages_per_second', 'payload_bytes'] as const) {
    const f = fields.get(key);
    if (f !== undefined && scripted) {
      ctx.report(f.key ?? f.at, f.path, `behavior.${key} drives the echo sender, which is off with behavior.${given[0]} (it would be ignored)`, 'pace a flow with loop: {every: 100ms, ...}; size its messages in its send steps. Remove this key');
      ok = false;
    }
  }
  if (!ok) return undefined;
  const correlateField = fields.get('correlate');
  const correlate = correlateField && readCorrelate(ctx, correlateField);
  const framesField = fields.get('frames');
  const frames = framesField && readFrames(ctx, framesField);
  const timeoutField = fields.get('delivery_timeout');
  const deliveryTimeoutMs = timeoutField && readDuration(ctx, timeoutField);
  const scope: FlowScope = { engine, templates, correlate: correlateField !== undefined };
  const flowField = fields.get('flow');
  const flow = flowField && readSteps(ctx, flowField, scope);
  const scriptField = fields.get('script');
  const script = scriptField && readScript(ctx, scriptField);
  const rolesField = fields.get('roles');
  const roles = rolesField && readRoles(ctx, rolesField, { flow: (f) => readSteps(ctx, f, scope), script: (f) => readScript(ctx, f) });
  const bad = (f: Field | undefined, v: unknown): boolean => f !== undefined && v === undefined;
  if (bad(correlateField, correlate) || bad(framesField, frames) || bad(timeoutField, deliveryTimeoutMs) || bad(flowField, flow) || bad(scriptField, script) || bad(rolesField, roles)) return undefined;
  return {
    ...(flow === undefined ? {} : { flow }),
    ...(roles === undefined ? {} : { roles }),
    ...(script === undefined ? {} : { script }),
    ...(correlate === undefined ? {} : { correlate }),
    ...(frames === undefined ? {} : { frames }),
    ...(data === null ? {} : { data }),
    ...(deliveryTimeoutMs === undefined ? {} : { deliveryTimeoutMs }),
  };
}

/** `order: sequential` gives client n row n: fewer rows than clients would leave clients without one. */
export function checkDataRows(ctx: Context, behavior: Behavior, clients: number): boolean {
  const data = behavior.data;
  if (data === undefined || data.order !== 'sequential' || data.rows >= clients) return true;
  const name = path.basename(data.file);
  ctx.problems.push({
    ...data.location,
    path: 'behavior.data.file',
    message: `${name} has ${data.rows.toLocaleString('en-US')} rows for ${clients.toLocaleString('en-US')} clients (order: sequential gives each client its own row)`,
    hint: 'add rows, or use order: random (clients then share rows)',
  });
  return false;
}

/** All flows of the scenario (behavior.flow and every role's), and whether a script names steps at run time. */
function flows(behavior: Behavior): { steps: FlowStep[][]; script: boolean } {
  const roles = behavior.roles ?? [];
  return {
    steps: [...(behavior.flow ? [behavior.flow] : []), ...roles.flatMap((r) => (r.flow ? [r.flow] : []))],
    script: behavior.script !== undefined || roles.some((r) => r.script !== undefined),
  };
}

const STEP_METRIC = /^(?:[a-z0-9]+\(step:(.+)\)|step:(.+)\.(?:errors|error_rate))$/;

/**
 * Thresholds on flow metrics need a flow: `step:NAME` a step of that name (unless a script names steps at run
 * time), `delivery.*` a publishing step (or a script), `frames.*` any flow.
 */
export function checkFlowThresholds(ctx: Context, behavior: Behavior, thresholds: readonly ThresholdSpec[]): boolean {
  const { steps, script } = flows(behavior);
  const scripted = steps.length > 0 || script;
  const names = new Set<string>();
  for (const s of steps) stepNames(s, names);
  let ok = true;
  const report = (t: ThresholdSpec, message: string, hint: string): void => {
    ctx.problems.push({ ...t.location, path: 'thresholds', message: `thresholds "${t.source}": ${message}`, hint });
    ok = false;
  };
  for (const t of thresholds) {
    const step = STEP_METRIC.exec(t.metric);
    const family = step !== null ? 'step' : /^(?:delivery\.|[a-z0-9]+\(delivery\)$)/.test(t.metric) ? 'delivery' : t.metric.startsWith('frames.') ? 'frames' : undefined;
    if (family === undefined) continue;
    if (!scripted) {
      report(t, `${t.metric} measures scripted sessions, and there is no behavior.flow, roles or script`, 'add behavior.flow (docs/flows.md), or remove this threshold');
      continue;
    }
    if (family === 'delivery' && !script && !steps.some(publishes)) {
      report(t, `${t.metric} measures deliveries, and no step publishes`, 'add publish: TOPIC to the send or emit step whose message the app relays (docs/flows.md, Deliveries)');
      continue;
    }
    if (step === null || script) continue;
    const name = (step[1] ?? step[2]) as string;
    if (name === 'flow' || names.has(name)) continue;
    const known = [...names];
    const match = closest(name, known);
    const hint = match !== undefined ? `did you mean step:${match}?` : known.length === 0 ? 'name a step with name: NAME (step:flow counts the errors of unnamed steps)' : `the named steps: ${known.join(', ')}`;
    report(t, `no step is named ${name}`, hint);
  }
  return ok;
}
