/**
 * The values inside flow steps: what a send writes (text / json / binary), what an expect or on matches (path,
 * equals, regex), JSON paths, and YAML values turned into plain JSON with every string checked as a template.
 */
import { isMap, isScalar, isSeq, type Node } from 'yaml';
import type { JsonPath, Matcher, Payload } from './flow-types.js';
import { type Context, type Field, type Section, childPath, describe, readInteger, readSection } from './context.js';
import { checkTemplates, pointAt, templateParts, type TemplateScope } from './templates.js';
import { JSON_PATH_HINT, parseJsonPath } from './json-path.js';

/** A JSON path from a string value; a path that does not parse is reported at its character. */
export function readJsonPath(ctx: Context, field: Field): JsonPath | undefined {
  const node = field.value;
  if (!isScalar(node) || typeof node.value !== 'string') {
    ctx.report(field.at, field.path, `${field.path} must be a JSON path such as "$.type", got ${describe(node)}`, JSON_PATH_HINT);
    return undefined;
  }
  const text = node.value;
  const parsed = parseJsonPath(text);
  if ('error' in parsed) {
    ctx.report(pointAt(node, text, parsed.index), field.path, `${field.path} ${JSON.stringify(text)} ${parsed.error}`, JSON_PATH_HINT);
    return undefined;
  }
  return parsed;
}

/**
 * A YAML value as plain JSON (maps, lists, strings, finite numbers, booleans, null); every string, keys included,
 * is checked as a template in `scope`. Undefined after a problem (all of them reported).
 */
export function readJsonValue(ctx: Context, node: Node | null, path: string, at: Node | undefined, scope: TemplateScope): { value: unknown } | undefined {
  const n = ctx.deref(node);
  if (n === null) return { value: null };
  if (isScalar(n)) {
    const v = n.value;
    if (typeof v === 'string') return checkTemplates(ctx, n, path, v, scope) ? { value: v } : undefined;
    if (v === null || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v))) return { value: v };
    ctx.report(n, path, `${path} must be a JSON value (a string, a finite number, true, false or null), got ${describe(n)}`, 'quote it to send it as a string');
    return undefined;
  }
  if (isSeq(n)) {
    const out: unknown[] = [];
    let ok = true;
    n.items.forEach((item, i) => {
      const r = readJsonValue(ctx, item as Node | null, childPath(path, i), n, scope);
      if (r === undefined) ok = false;
      else out.push(r.value);
    });
    return ok ? { value: out } : undefined;
  }
  if (isMap(n)) {
    const out: Record<string, unknown> = {};
    let ok = true;
    for (const pair of n.items) {
      const keyNode = ctx.deref(pair.key);
      const key = isScalar(keyNode) && (typeof keyNode.value === 'string' || typeof keyNode.value === 'number') ? String(keyNode.value) : undefined;
      if (key === undefined) {
        ctx.report(keyNode ?? n, path, `${path} has a key that is not a string: ${describe(keyNode)}`, 'JSON object keys are strings');
        ok = false;
        continue;
      }
      const keyPath = childPath(path, key);
      if (!checkTemplates(ctx, keyNode ?? undefined, keyPath, key, scope)) ok = false;
      const r = readJsonValue(ctx, pair.value as Node | null, keyPath, keyNode ?? n, scope);
      if (r === undefined) ok = false;
      else out[key] = r.value;
    }
    return ok ? { value: out } : undefined;
  }
  ctx.report(at ?? undefined, path, `${path} must be a JSON value, got ${describe(n)}`);
  return undefined;
}

/** Whether any string in `value` (keys included) holds `{{ stamp }}`. */
export function holdsStamp(value: unknown): boolean {
  if (typeof value === 'string') return templateParts(value).some((p) => typeof p !== 'string' && p.kind === 'stamp');
  if (Array.isArray(value)) return value.some(holdsStamp);
  if (value !== null && typeof value === 'object') return Object.entries(value).some(([k, v]) => holdsStamp(k) || holdsStamp(v));
  return false;
}

export const SEND_KEYS = ['text', 'json', 'binary', 'correlate'] as const;
const PAYLOAD_KINDS = ['text', 'json', 'binary'] as const;
const SEND_HINT = 'write one of send: {text: "hello"}, send: {json: {type: ping}}, send: {binary: BASE64} or send: {binary: {bytes: 1024}}';
/** The reference backend's largest accepted message, as behavior.payload_bytes (sections.ts). */
const MAX_PAYLOAD_BYTES = 16 * 1024 * 1024;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** `send: {text | json | binary [, correlate: false]}`: the payload, and `correlate` as written (undefined: not written). */
export function readSendPayload(ctx: Context, field: Field, scope: TemplateScope): { payload: Payload; correlate?: boolean } | undefined {
  if (!isMap(field.value)) {
    ctx.report(field.at, field.path, `${field.path} must be a map, got ${describe(field.value)}`, SEND_HINT);
    return undefined;
  }
  const section = readSection(ctx, field, SEND_KEYS);
  if (section === undefined) return undefined;
  const given = PAYLOAD_KINDS.filter((k) => section.fields.has(k));
  if (given.length !== 1) {
    if (given.length === 0 && section.suggested.size > 0) return undefined;
    const second = given[1] === undefined ? undefined : section.fields.get(given[1]);
    const message = given.length === 0 ? `${field.path} has nothing to send` : `${field.path} has both ${given[0]} and ${given[1]}: one payload per send`;
    ctx.report(second?.key ?? field.at, field.path, message, given.length === 0 ? SEND_HINT : 'write one send step per message');
    return undefined;
  }
  const kind = given[0] as (typeof PAYLOAD_KINDS)[number];
  const f = section.fields.get(kind) as Field;
  const correlateField = section.fields.get('correlate');
  let correlate: boolean | undefined;
  if (correlateField !== undefined) {
    const v = isScalar(correlateField.value) ? correlateField.value.value : undefined;
    if (typeof v !== 'boolean') {
      ctx.report(correlateField.at, correlateField.path, `${correlateField.path} must be true or false`, 'correlate: false sends without an id (behavior.correlate sets one by default)');
      return undefined;
    }
    correlate = v;
  }
  const payload = readPayloadOf(ctx, kind, f, scope);
  if (payload === undefined) return undefined;
  return correlate === undefined ? { payload } : { payload, correlate };
}

function readPayloadOf(ctx: Context, kind: (typeof PAYLOAD_KINDS)[number], f: Field, scope: TemplateScope): Payload | undefined {
  if (kind === 'text') {
    const v = isScalar(f.value) ? f.value.value : undefined;
    if (typeof v !== 'string' && (typeof v !== 'number' || !Number.isFinite(v))) {
      ctx.report(f.at, f.path, `${f.path} must be a string, got ${describe(f.value)}`, 'quote the text; to send JSON write json: instead of text:');
      return undefined;
    }
    const text = String(v);
    return checkTemplates(ctx, f.value ?? undefined, f.path, text, scope) ? { kind: 'text', text } : undefined;
  }
  if (kind === 'json') {
    const r = readJsonValue(ctx, f.value, f.path, f.at, scope);
    return r === undefined ? undefined : { kind: 'json', value: r.value };
  }
  if (isMap(f.value)) {
    const section = readSection(ctx, f, ['bytes']);
    const bytesField = section?.fields.get('bytes');
    if (section === undefined) return undefined;
    if (bytesField === undefined) {
      ctx.report(f.at, f.path, `${f.path} needs bytes: N (filler bytes) or a base64 string`, 'e.g. binary: {bytes: 1024} or binary: "AAEC"');
      return undefined;
    }
    const bytes = readInteger(ctx, bytesField, { min: 1, max: MAX_PAYLOAD_BYTES, hint: `at most 16 MiB = ${MAX_PAYLOAD_BYTES}` });
    return bytes === undefined ? undefined : { kind: 'binary', bytes };
  }
  const v = isScalar(f.value) ? f.value.value : undefined;
  if (typeof v !== 'string' || v === '' || !BASE64.test(v.replace(/\s+/g, ''))) {
    ctx.report(f.at, f.path, `${f.path} must be base64 (e.g. "AAEC") or {bytes: N}, got ${describe(f.value)}`, 'base64 is A-Z a-z 0-9 + / with = padding to a multiple of 4 characters; templates are not filled in binary frames');
    return undefined;
  }
  return { kind: 'binary', base64: v.replace(/\s+/g, '') };
}

export const MATCH_KEYS = ['path', 'equals', 'regex'] as const;

/** path / equals / regex of an expect or on section; `{}` when none is written. */
export function readMatcher(ctx: Context, section: Section, scope: TemplateScope): Matcher | undefined {
  const f = section.fields;
  const out: Matcher = {};
  let ok = true;
  const pathField = f.get('path');
  if (pathField !== undefined) {
    const p = readJsonPath(ctx, pathField);
    if (p === undefined) ok = false;
    else out.path = p;
  }
  const equalsField = f.get('equals');
  const regexField = f.get('regex');
  if (equalsField !== undefined && regexField !== undefined) {
    ctx.report(regexField.key ?? regexField.at, regexField.path, `${section.path} has both equals and regex`, 'keep one: equals compares the value, regex tests its text');
    return undefined;
  }
  if (equalsField !== undefined) {
    const r = readJsonValue(ctx, equalsField.value, equalsField.path, equalsField.at, scope);
    if (r === undefined) ok = false;
    else out.equals = r.value;
  }
  if (regexField !== undefined) {
    const v = isScalar(regexField.value) ? regexField.value.value : undefined;
    if (typeof v !== 'string' || v === '') {
      ctx.report(regexField.at, regexField.path, `${regexField.path} must be a regular expression (a string), got ${describe(regexField.value)}`, 'e.g. regex: "^wel"');
      return undefined;
    }
    try {
      new RegExp(v);
      out.regex = v;
    } catch (err) {
      ctx.report(regexField.at, regexField.path, `${regexField.path} is not a valid regular expression: ${(err as Error).message}`, 'JavaScript syntax; in YAML prefer single quotes, so backslashes stay as written: \'\\d+\'');
      ok = false;
    }
  }
  return ok ? out : undefined;
}
