/**
 * `behavior.flow` (and each role's `flow`): a list of steps, each a map with exactly one kind key (send, expect,
 * think, loop, close, emit, on; `close` may also be written bare) plus the annotations name, join, leave, publish.
 * Every template is checked where it is written; the engine (src/load/flow/) runs the resolved FlowSteps.
 */
import { isMap, isScalar, type Node } from 'yaml';
import type { FlowStep, StepKind } from './flow-types.js';
import type { EngineName } from './types.js';
import { type Context, type Field, type Section, childPath, describe, readBool, readDuration, readInteger, readList, readSection, reportMissing } from './context.js';
import { checkTemplates, hasTemplate, type TemplateScope } from './templates.js';
import { MATCH_KEYS, holdsStamp, readJsonValue, readMatcher, readSendPayload } from './flow-values.js';
import { suggestHint } from './suggest.js';

export const STEP_KINDS: readonly StepKind[] = ['send', 'expect', 'think', 'loop', 'close', 'emit', 'on'];
export const STEP_ANNOTATIONS = ['name', 'join', 'leave', 'publish'] as const;
/** A step name is what a threshold writes in `p99(step:NAME)`. */
export const STEP_NAME = /^[A-Za-z0-9_.-]+$/;
/** Names the engine counts under itself: unnamed steps' errors (`flow`) and a script's uncaught throws (`script`). */
export const RESERVED_STEP_NAMES: readonly string[] = ['flow', 'script'];
/** Steps in one list (a flow, or a loop's body): a longer one is generated, not written, and belongs in a script. */
export const MAX_STEPS = 1000;
/** At most this many loop iterations when counted (a larger count is a typo; `forever: true` says it). */
export const MAX_LOOP_COUNT = 1_000_000_000;
/** socket.io-client throws on emitting these (reserved event names). */
const RESERVED_EVENTS: readonly string[] = ['connect', 'connect_error', 'disconnect', 'disconnecting', 'newListener', 'removeListener'];

const WS_KINDS: ReadonlySet<StepKind> = new Set(['send', 'expect']);
const SOCKETIO_KINDS: ReadonlySet<StepKind> = new Set(['emit', 'on']);

export interface FlowScope {
  /** behavior.engine (undefined when it had a problem: engine checks are skipped). */
  engine: EngineName | undefined;
  /** What templates may use (population, data columns, roles); per message and stamp are set per value here. */
  templates: TemplateScope;
  /** Whether behavior.correlate is set (sends default to correlated JSON). */
  correlate: boolean;
}

const STEPS_HINT = 'e.g. flow: [{send: {text: hello}}, {expect: {regex: "^hello", timeout: 2s}}]';

/** A list of steps (behavior.flow, a role's flow, a loop's steps); undefined after a problem. */
export function readSteps(ctx: Context, field: Field, scope: FlowScope): FlowStep[] | undefined {
  const steps = readList(ctx, field, MAX_STEPS, 'steps', STEPS_HINT, (item) => readStep(ctx, item, scope));
  if (steps === undefined || !isMapOrSeq(field.value)) return steps;
  // Steps after a loop that never ends would never run: a flow that reads as if they did is a mistake.
  const forever = steps.findIndex((s) => s.kind === 'loop' && s.count === undefined);
  if (forever >= 0 && forever < steps.length - 1) {
    const next = (field.value as { items: unknown[] }).items[forever + 1];
    const path = childPath(field.path, forever + 1);
    ctx.report(ctx.deref(next) ?? field.at, path, `${path} never runs: the loop before it (${childPath(field.path, forever)}) runs forever`, 'give that loop a count, or move these steps before it');
    return undefined;
  }
  return steps;
}

function isMapOrSeq(node: Node | null): boolean {
  return node !== null && typeof node === 'object' && 'items' in node;
}

function readStep(ctx: Context, item: Field, scope: FlowScope): FlowStep | undefined {
  const location = ctx.location(item.at);
  if (isScalar(item.value) && typeof item.value.value === 'string') {
    const word = item.value.value.trim();
    if (word === 'close') return { kind: 'close', location };
    const hint = (STEP_KINDS as readonly string[]).includes(word) ? `${word} needs its details, e.g. ${example(word as StepKind)}` : suggestHint(word, STEP_KINDS, 'step kinds');
    ctx.report(item.at, item.path, `${item.path} must be a step (a map such as send: {...}, or close), got ${describe(item.value)}`, hint);
    return undefined;
  }
  if (!isMap(item.value)) {
    ctx.report(item.at, item.path, `${item.path} must be a step (a map such as send: {...}, or close), got ${describe(item.value)}`, `a step is one of ${STEP_KINDS.join(', ')}`);
    return undefined;
  }
  const section = readSection(ctx, item, [...STEP_KINDS, ...STEP_ANNOTATIONS]);
  if (section === undefined) return undefined;
  const kinds = STEP_KINDS.filter((k) => section.fields.has(k));
  if (kinds.length === 0) {
    if (section.suggested.size === 0) ctx.report(item.at, item.path, `${item.path} has no step kind`, `a step has one of ${STEP_KINDS.join(', ')}, e.g. ${example('send')}`);
    return undefined;
  }
  if (kinds.length > 1) {
    const second = section.fields.get(kinds[1] as string) as Field;
    ctx.report(second.key ?? second.at, item.path, `${item.path} has both ${kinds[0]} and ${kinds[1]}: a step does one thing`, 'write them as two list items (two "- " lines)');
    return undefined;
  }
  const kind = kinds[0] as StepKind;
  const kindField = section.fields.get(kind) as Field;
  if (!engineAllows(ctx, kind, kindField, scope.engine)) return undefined;
  const base = readAnnotations(ctx, section, kind, scope);
  const body = readBody(ctx, kind, kindField, scope, base?.publish !== undefined);
  if (base === undefined || body === undefined) return undefined;
  if (base.publish !== undefined && (body.kind === 'send' || body.kind === 'emit') && !holdsStamp(body.kind === 'send' ? payloadValue(body.payload) : body.args)) {
    ctx.report(kindField.at, kindField.path, `${item.path} publishes to a topic, but its payload has no {{ stamp }}`, 'put "{{ stamp }}" in the message the app relays (e.g. text: "{{ stamp }}", or a field of the JSON): receivers are measured by it');
    return undefined;
  }
  return { ...body, ...base.annotations, location } as FlowStep;
}

function payloadValue(p: Extract<FlowStep, { kind: 'send' }>['payload']): unknown {
  return p.kind === 'text' ? p.text : p.kind === 'json' ? p.value : undefined;
}

function example(kind: StepKind): string {
  const examples: Readonly<Record<StepKind, string>> = {
    send: 'send: {json: {type: ping}}',
    expect: 'expect: {path: "$.type", equals: pong, timeout: 2s}',
    think: 'think: 1s',
    loop: 'loop: {count: 10, steps: [...]}',
    close: 'close',
    emit: 'emit: {event: chat, data: hello}',
    on: 'on: {event: welcome, timeout: 2s}',
  };
  return examples[kind];
}

function engineAllows(ctx: Context, kind: StepKind, field: Field, engine: EngineName | undefined): boolean {
  const at = field.key ?? field.at;
  if (engine === 'socketio' && WS_KINDS.has(kind)) {
    const hint = kind === 'send' ? 'socket.io sends events: emit: {event: message, data: ...}' : 'wait for an event with on: {event: NAME, timeout: 2s}';
    ctx.report(at, field.path, `${field.path}: ${kind} steps need behavior.engine: ws, and the engine is socketio`, hint);
    return false;
  }
  if (engine !== 'socketio' && engine !== undefined && SOCKETIO_KINDS.has(kind)) {
    const hint = kind === 'emit' ? 'set behavior.engine: socketio, or write send: {json: ...} for a WebSocket frame' : 'set behavior.engine: socketio, or wait for a frame with expect: {..., timeout: 2s}';
    ctx.report(at, field.path, `${field.path}: ${kind} steps need behavior.engine: socketio, and the engine is ${engine}`, hint);
    return false;
  }
  return true;
}

interface Annotations {
  annotations: { name?: string; join?: string; leave?: string; publish?: string };
  publish?: string;
}

/** name / join / leave / publish, and where each may appear. */
function readAnnotations(ctx: Context, section: Section, kind: StepKind, scope: FlowScope): Annotations | undefined {
  const out: Annotations['annotations'] = {};
  let ok = true;
  const nameField = section.fields.get('name');
  if (nameField !== undefined) {
    const v = isScalar(nameField.value) ? nameField.value.value : undefined;
    const name = typeof v === 'string' || typeof v === 'number' ? String(v) : undefined;
    if (name === undefined || !STEP_NAME.test(name)) {
      ctx.report(nameField.at, nameField.path, `${nameField.path} must be a name of letters, digits, "_", "." and "-", got ${describe(nameField.value)}`, 'thresholds name it as p99(step:NAME); a name given to several steps adds them up');
      ok = false;
    } else if (RESERVED_STEP_NAMES.includes(name)) {
      ctx.report(nameField.at, nameField.path, `${nameField.path}: "${name}" is reserved (wsherd counts ${name === 'flow' ? 'the errors of unnamed steps' : 'a script\'s uncaught errors'} under it)`, 'choose another name');
      ok = false;
    } else {
      out.name = name;
    }
  }
  for (const key of ['join', 'leave', 'publish'] as const) {
    const f = section.fields.get(key);
    if (f === undefined) continue;
    const allowed = key === 'publish' ? kind === 'send' || kind === 'emit' : kind !== 'think' && kind !== 'loop' && kind !== 'close';
    if (!allowed) {
      const where = key === 'publish' ? 'send and emit steps' : 'send, expect, emit and on steps';
      ctx.report(f.key ?? f.at, f.path, `${f.path}: ${key} applies to ${where}, not to ${kind}`, key === 'publish' ? 'put publish: on the step that sends the message' : `put ${key}: on the step whose completion ${key === 'join' ? 'starts' : 'ends'} the membership (e.g. the expect of the server's confirmation)`);
      ok = false;
      continue;
    }
    const topic = readTopic(ctx, f, scope);
    if (topic === undefined) ok = false;
    else out[key] = topic;
  }
  if (!ok) return undefined;
  return out.publish === undefined ? { annotations: out } : { annotations: out, publish: out.publish };
}

function readTopic(ctx: Context, f: Field, scope: FlowScope): string | undefined {
  const v = isScalar(f.value) ? f.value.value : undefined;
  if ((typeof v !== 'string' || v.trim() === '') && (typeof v !== 'number' || !Number.isFinite(v))) {
    ctx.report(f.at, f.path, `${f.path} must be a topic name, got ${describe(f.value)}`, 'e.g. join: news, or join: "room-{{ client % 50 }}"');
    return undefined;
  }
  const topic = String(v);
  if (/[\t\n\r;]/.test(topic)) {
    ctx.report(f.at, f.path, `${f.path} must not contain a tab, a line break or ";" (the delivery stamp ends at ";")`, 'use letters, digits and - _ . : / in topic names');
    return undefined;
  }
  return checkTemplates(ctx, f.value ?? undefined, f.path, topic, { ...scope.templates, perMessage: true, stamp: false }) ? topic : undefined;
}

/** A step without its annotations and location (distributed over the kinds, so each keeps its own fields). */
type Body = FlowStep extends infer S ? (S extends FlowStep ? Omit<S, 'location' | 'name' | 'join' | 'leave' | 'publish'> : never) : never;

function readBody(ctx: Context, kind: StepKind, field: Field, scope: FlowScope, publish: boolean): Body | undefined {
  const values: TemplateScope = { ...scope.templates, perMessage: true, stamp: publish };
  switch (kind) {
    case 'send': {
      const r = readSendPayload(ctx, field, values);
      if (r === undefined) return undefined;
      if (r.correlate === true && !scope.correlate) {
        ctx.report(field.at, childPath(field.path, 'correlate'), `${field.path}.correlate: true needs behavior.correlate`, 'add behavior.correlate: {send: "$.id", receive: "$.re"}');
        return undefined;
      }
      if (r.correlate === true && r.payload.kind !== 'json') {
        ctx.report(field.at, childPath(field.path, 'correlate'), `${field.path}.correlate: true needs a json payload (the id is set at a JSON path)`, 'send json: {...}, or remove correlate');
        return undefined;
      }
      return { kind, payload: r.payload, correlate: scope.correlate && r.payload.kind === 'json' && r.correlate !== false } as Body;
    }
    case 'expect':
      return readExpectOrOn(ctx, kind, field, values);
    case 'on':
      return readExpectOrOn(ctx, kind, field, values);
    case 'think':
      return readThink(ctx, field);
    case 'loop':
      return readLoop(ctx, field, scope);
    case 'close':
      if (field.value === null || (isScalar(field.value) && field.value.value === null)) return { kind: 'close' } as Body;
      ctx.report(field.at, field.path, `${field.path} takes no value, got ${describe(field.value)}`, 'write - close (the connection closes as behavior.close says)');
      return undefined;
    case 'emit':
      return readEmit(ctx, field, values);
  }
}


function readExpectOrOn(ctx: Context, kind: 'expect' | 'on', field: Field, scope: TemplateScope): Body | undefined {
  const keys = kind === 'on' ? ['event', 'timeout', ...MATCH_KEYS] : ['timeout', ...MATCH_KEYS];
  if (!isMap(field.value)) {
    ctx.report(field.at, field.path, `${field.path} must be a map, got ${describe(field.value)}`, `e.g. ${example(kind)}`);
    return undefined;
  }
  const section = readSection(ctx, field, keys);
  if (section === undefined) return undefined;
  const timeoutField = section.fields.get('timeout');
  if (timeoutField === undefined) reportMissing(ctx, section, 'timeout', `${kind === 'expect' ? 'an expect' : 'an on'} waits at most this long, then counts a timeout: e.g. timeout: 2s`);
  const timeoutMs = timeoutField && readDuration(ctx, timeoutField);
  const event = kind === 'on' ? readEvent(ctx, section, false) : undefined;
  const match = readMatcher(ctx, section, { ...scope, stamp: false });
  if (timeoutMs === undefined || match === undefined || (kind === 'on' && event === undefined)) return undefined;
  const matched = Object.keys(match).length > 0;
  if (kind === 'expect') return { kind, match, timeoutMs } as Body;
  if (event === undefined) return undefined;
  return matched ? { kind, event, match, timeoutMs } : { kind, event, timeoutMs };
}

function readEvent(ctx: Context, section: Section, emitting: boolean): string | undefined {
  const f = section.fields.get('event');
  if (f === undefined) {
    reportMissing(ctx, section, 'event', emitting ? 'the event name, e.g. event: chat' : 'the event to wait for, e.g. event: welcome');
    return undefined;
  }
  const v = isScalar(f.value) ? f.value.value : undefined;
  if (typeof v !== 'string' || v.trim() === '') {
    ctx.report(f.at, f.path, `${f.path} must be an event name, got ${describe(f.value)}`, 'e.g. event: chat');
    return undefined;
  }
  if (hasTemplate(v)) {
    ctx.report(f.at, f.path, `${f.path} is an event name, sent as written: templates are not filled in here`, 'put per-client values in data: or args:');
    return undefined;
  }
  if (RESERVED_EVENTS.includes(v)) {
    ctx.report(f.at, f.path, `${f.path}: "${v}" is reserved by socket.io`, emitting ? 'socket.io-client refuses to emit it: use your application\'s own event names' : 'the flow starts once connected; wait for your application\'s own events');
    return undefined;
  }
  return v;
}

function readThink(ctx: Context, field: Field): Body | undefined {
  if (!isMap(field.value)) {
    const ms = readDuration(ctx, field);
    return ms === undefined ? undefined : ({ kind: 'think', ms } as Body);
  }
  const section = readSection(ctx, field, ['min', 'max']);
  if (section === undefined) return undefined;
  const minField = section.fields.get('min');
  const maxField = section.fields.get('max');
  if (minField === undefined) reportMissing(ctx, section, 'min', 'e.g. think: {min: 1s, max: 3s}');
  if (maxField === undefined) reportMissing(ctx, section, 'max', 'e.g. think: {min: 1s, max: 3s}');
  const ms = minField && readDuration(ctx, minField, { allowZero: true });
  const maxMs = maxField && readDuration(ctx, maxField);
  if (ms === undefined || maxMs === undefined || maxField === undefined) return undefined;
  if (maxMs <= ms) {
    ctx.report(maxField.at, maxField.path, `${maxField.path} must be longer than min`, 'a fixed pause is written think: 1s');
    return undefined;
  }
  return { kind: 'think', ms, maxMs } as Body;
}

const LOOP_HINT = 'e.g. loop: {count: 10, every: 100ms, steps: [...]}, or forever: true instead of count';

function readLoop(ctx: Context, field: Field, scope: FlowScope): Body | undefined {
  if (!isMap(field.value)) {
    ctx.report(field.at, field.path, `${field.path} must be a map, got ${describe(field.value)}`, LOOP_HINT);
    return undefined;
  }
  const section = readSection(ctx, field, ['count', 'forever', 'every', 'steps']);
  if (section === undefined) return undefined;
  const f = section.fields;
  const countField = f.get('count');
  const foreverField = f.get('forever');
  let ok = true;
  if (countField !== undefined && foreverField !== undefined) {
    ctx.report(foreverField.key ?? foreverField.at, foreverField.path, `${field.path} has both count and forever`, 'keep count: N for N iterations, or forever: true');
    ok = false;
  } else if (countField === undefined && foreverField === undefined) {
    ctx.report(field.at, field.path, `${field.path} needs count: N or forever: true`, LOOP_HINT);
    ok = false;
  }
  const count = countField && readInteger(ctx, countField, { min: 1, max: MAX_LOOP_COUNT, hint: 'for a loop as long as the connection, write forever: true' });
  if (countField !== undefined && count === undefined) ok = false;
  if (foreverField !== undefined) {
    const forever = readBool(ctx, foreverField);
    if (forever === false) {
      ctx.report(foreverField.at, foreverField.path, `${foreverField.path}: false is not a loop length`, 'write count: N for a bounded loop');
      ok = false;
    } else if (forever === undefined) ok = false;
  }
  const everyField = f.get('every');
  const everyMs = everyField && readDuration(ctx, everyField);
  if (everyField !== undefined && everyMs === undefined) ok = false;
  const stepsField = f.get('steps');
  if (stepsField === undefined) reportMissing(ctx, section, 'steps', 'the steps each iteration runs, e.g. steps: [{send: {text: ping}}]');
  const steps = stepsField && readSteps(ctx, stepsField, scope);
  if (!ok || steps === undefined) return undefined;
  if (count === undefined && everyMs === undefined && !steps.some(waits)) {
    ctx.report(field.at, field.path, `${field.path} runs forever and nothing in it waits: it would send as fast as the socket takes`, 'pace it with every: 100ms (an open loop), or add a think step');
    return undefined;
  }
  return { kind: 'loop', ...(count === undefined ? {} : { count }), ...(everyMs === undefined ? {} : { everyMs }), steps } as Body;
}

/** Whether a step takes time by itself (a pause, a wait for the server, or a paced loop). */
function waits(step: FlowStep): boolean {
  switch (step.kind) {
    case 'think':
    case 'expect':
    case 'on':
      return true;
    case 'emit':
      return step.ack;
    case 'send':
      return step.correlate;
    case 'loop':
      return step.everyMs !== undefined || step.steps.some(waits);
    default:
      return false;
  }
}

function readEmit(ctx: Context, field: Field, scope: TemplateScope): Body | undefined {
  if (!isMap(field.value)) {
    ctx.report(field.at, field.path, `${field.path} must be a map, got ${describe(field.value)}`, `e.g. ${example('emit')}`);
    return undefined;
  }
  const section = readSection(ctx, field, ['event', 'data', 'args', 'ack', 'timeout']);
  if (section === undefined) return undefined;
  const f = section.fields;
  const event = readEvent(ctx, section, true);
  const dataField = f.get('data');
  const argsField = f.get('args');
  if (dataField !== undefined && argsField !== undefined) {
    ctx.report(argsField.key ?? argsField.at, argsField.path, `${field.path} has both data and args`, 'data: X emits one argument; args: [X, Y] several');
    return undefined;
  }
  let args: unknown[] | undefined = [];
  if (dataField !== undefined) {
    const r = readJsonValue(ctx, dataField.value, dataField.path, dataField.at, scope);
    args = r === undefined ? undefined : [r.value];
  } else if (argsField !== undefined) {
    const r = readJsonValue(ctx, argsField.value, argsField.path, argsField.at, scope);
    if (r !== undefined && !Array.isArray(r.value)) {
      ctx.report(argsField.at, argsField.path, `${argsField.path} must be a list, got ${describe(argsField.value)}`, 'for one argument write data: X');
      args = undefined;
    } else args = r?.value as unknown[] | undefined;
  }
  const ackField = f.get('ack');
  const ack = ackField === undefined ? false : readBool(ctx, ackField);
  const timeoutField = f.get('timeout');
  if (ack === true && timeoutField === undefined) reportMissing(ctx, section, 'timeout', 'how long to wait for the acknowledgement, e.g. timeout: 2s');
  if (ack === false && timeoutField !== undefined) {
    ctx.report(timeoutField.key ?? timeoutField.at, timeoutField.path, `${timeoutField.path} applies with ack: true (the wait for the acknowledgement)`, 'add ack: true, or remove timeout');
    return undefined;
  }
  const timeoutMs = timeoutField === undefined ? 0 : readDuration(ctx, timeoutField);
  if (event === undefined || args === undefined || ack === undefined || timeoutMs === undefined || (ack && timeoutField === undefined)) return undefined;
  return { kind: 'emit', event, args, ack, timeoutMs } as Body;
}

/** Every named step in these steps, loops included. */
export function stepNames(steps: readonly FlowStep[], into = new Set<string>()): Set<string> {
  for (const s of steps) {
    if (s.name !== undefined) into.add(s.name);
    if (s.kind === 'loop') stepNames(s.steps, into);
  }
  return into;
}

/** Whether any of these steps (loops included) publishes. */
export function publishes(steps: readonly FlowStep[]): boolean {
  return steps.some((s) => s.publish !== undefined || (s.kind === 'loop' && publishes(s.steps)));
}
