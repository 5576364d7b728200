/**
 * A flow compiled once per worker: every template cut into parts, every JSON payload turned into a small builder,
 * every regex constructed, so that running a step per client is rendering, not parsing. The compiled tree has the
 * same shape as the FlowStep tree (loops hold their own compiled steps).
 */
import type { FlowStep, JsonPath, Matcher, Payload } from '../../scenario/flow-types.js';
import { parseTemplate, renderPart, type TemplatePart, type TemplateVars } from '../../scenario/templates.js';
import { getPath } from '../../scenario/json-path.js';

/** What one rendering fills in: the client's vars plus the per-message counter and stamp. */
export interface RenderVars extends TemplateVars {
  seq: number;
  stamp: string;
}

/** A template: a constant string, or parts to render. */
export type Tpl = string | readonly TemplatePart[];

export function compileTemplate(text: string): Tpl {
  if (!text.includes('{{')) return text;
  const p = parseTemplate(text);
  // Validation refused bad templates; one that slips through (a hand-built Behavior) is sent as written.
  if (!('parts' in p)) return text;
  return p.parts.length === 1 && typeof p.parts[0] === 'string' ? p.parts[0] : p.parts;
}

export function render(t: Tpl, v: RenderVars): string {
  if (typeof t === 'string') return t;
  let out = '';
  for (const p of t) {
    if (typeof p === 'string') out += p;
    else if (p.kind === 'seq') out += String(v.seq);
    else if (p.kind === 'stamp') out += v.stamp;
    else out += renderPart(p, v);
  }
  return out;
}

/** A JSON value with templated strings: constants are shared, containers are built fresh (correlation sets ids in them). */
export type JsonBuilder = (v: RenderVars) => unknown;

export function compileJson(value: unknown): { build: JsonBuilder; constant: boolean } {
  if (typeof value === 'string') {
    const t = compileTemplate(value);
    return typeof t === 'string' ? { build: () => t, constant: true } : { build: (v) => render(t, v), constant: false };
  }
  if (Array.isArray(value)) {
    const items = value.map(compileJson);
    return { build: (v) => items.map((i) => i.build(v)), constant: items.every((i) => i.constant) };
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).map(([k, x]) => [compileTemplate(k), compileJson(x)] as const);
    return {
      build: (v) => {
        const o: Record<string, unknown> = {};
        for (const [k, x] of entries) o[typeof k === 'string' ? k : render(k, v)] = x.build(v);
        return o;
      },
      constant: entries.every(([k, x]) => typeof k === 'string' && x.constant),
    };
  }
  return { build: () => value, constant: true };
}

export type CPayload =
  | { kind: 'text'; text: Tpl }
  | { kind: 'json'; build: JsonBuilder; constant: boolean; constantText: string | undefined }
  | { kind: 'binary'; bytes: Buffer };

function compilePayload(p: Payload): CPayload {
  if (p.kind === 'text') return { kind: 'text', text: compileTemplate(p.text) };
  if (p.kind === 'binary') return { kind: 'binary', bytes: p.base64 !== undefined ? Buffer.from(p.base64, 'base64') : Buffer.alloc(p.bytes ?? 0, 0x78) };
  const j = compileJson(p.value);
  return { kind: 'json', build: j.build, constant: j.constant, constantText: j.constant ? JSON.stringify(p.value) : undefined };
}

export interface CMatcher {
  path: JsonPath | undefined;
  /** A constant to compare with, or a builder (templated strings in `equals`). */
  equals: { value: JsonBuilder; constant: unknown; isConstant: boolean } | undefined;
  regex: RegExp | undefined;
}

export function compileMatcher(m: Matcher | undefined): CMatcher | undefined {
  if (m === undefined) return undefined;
  const eq = m.equals === undefined ? undefined : compileJson(m.equals);
  return {
    path: m.path,
    equals: eq === undefined ? undefined : { value: eq.build, constant: m.equals, isConstant: eq.constant },
    regex: m.regex === undefined ? undefined : new RegExp(m.regex),
  };
}

/** How a frame is seen by a matcher: its text, and its JSON (parsed at most once, only when asked for). */
export interface FrameView {
  text(): string;
  /** The parsed JSON, or undefined when the frame is not JSON. */
  json(): unknown;
}

/** Whether `f` satisfies `m` (see Matcher). */
export function matches(m: CMatcher, f: FrameView, v: RenderVars): boolean {
  let value: unknown;
  if (m.path === undefined) {
    value = f.text();
  } else {
    const j = f.json();
    if (j === undefined) return false;
    value = getPath(j, m.path);
    if (value === undefined) return false;
  }
  if (m.equals !== undefined) return deepEqual(value, m.equals.isConstant ? m.equals.constant : m.equals.value(v));
  if (m.regex !== undefined) return m.regex.test(typeof value === 'string' ? value : JSON.stringify(value));
  return true;
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  for (const k of ka) if (!deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) return false;
  return true;
}

interface CBase {
  /** The name counts are kept under: the step's name, or `flow` for an unnamed step's errors. */
  name: string;
  named: boolean;
  join: Tpl | undefined;
  leave: Tpl | undefined;
  publish: Tpl | undefined;
}

export type CStep =
  | (CBase & { kind: 'send'; payload: CPayload; correlate: boolean })
  | (CBase & { kind: 'expect'; match: CMatcher; timeoutMs: number })
  | (CBase & { kind: 'think'; ms: number; maxMs: number | undefined })
  | (CBase & { kind: 'loop'; count: number | undefined; everyMs: number | undefined; steps: CStep[] })
  | (CBase & { kind: 'close' })
  | (CBase & { kind: 'emit'; event: string; args: JsonBuilder[]; ack: boolean; timeoutMs: number })
  | (CBase & { kind: 'on'; event: string; match: CMatcher | undefined; timeoutMs: number });

export function compileFlow(steps: readonly FlowStep[]): CStep[] {
  return steps.map(compileStep);
}

function compileStep(s: FlowStep): CStep {
  const base: CBase = {
    name: s.name ?? 'flow',
    named: s.name !== undefined,
    join: s.join === undefined ? undefined : compileTemplate(s.join),
    leave: s.leave === undefined ? undefined : compileTemplate(s.leave),
    publish: s.publish === undefined ? undefined : compileTemplate(s.publish),
  };
  switch (s.kind) {
    case 'send':
      return { ...base, kind: 'send', payload: compilePayload(s.payload), correlate: s.correlate };
    case 'expect':
      return { ...base, kind: 'expect', match: compileMatcher(s.match) as CMatcher, timeoutMs: s.timeoutMs };
    case 'think':
      return { ...base, kind: 'think', ms: s.ms, maxMs: s.maxMs };
    case 'loop':
      return { ...base, kind: 'loop', count: s.count, everyMs: s.everyMs, steps: compileFlow(s.steps) };
    case 'close':
      return { ...base, kind: 'close' };
    case 'emit':
      return { ...base, kind: 'emit', event: s.event, args: s.args.map((a) => compileJson(a).build), ack: s.ack, timeoutMs: s.timeoutMs };
    case 'on':
      return { ...base, kind: 'on', event: s.event, match: compileMatcher(s.match), timeoutMs: s.timeoutMs };
  }
}
