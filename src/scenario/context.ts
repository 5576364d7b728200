/**
 * The validation context: collects every problem (never stops at the first, k6 style) and turns YAML node
 * offsets into 1-based file:line:col. Also holds the small typed readers each section uses, so every section
 * words its type and range errors the same way.
 */
import { isAlias, isMap, isScalar, isSeq, type Document, type LineCounter, type Node, type YAMLMap } from 'yaml';
import type { ScenarioProblem } from '../errors.js';
import type { SourceLocation } from './types.js';
import { BARE_NUMBER_HINT, parseDuration } from './duration.js';
import { closest, suggestHint } from './suggest.js';

/** One value in the file: its dotted path, its node (null for `key:` with nothing after it), and where to point. */
export interface Field {
  path: string;
  value: Node | null;
  /** The node a problem about this field points at: the value, or the key when there is no value. */
  at: Node | undefined;
  /** The key node, for problems about the key itself (e.g. `lab` and `target` both given). */
  key?: Node;
}

/** A map section after its keys were checked: the known keys present, by name. */
export interface Section {
  path: string;
  node: YAMLMap;
  fields: Map<string, Field>;
  /** Known keys offered as "did you mean" for a misspelt key: a missing-key problem for them would repeat it. */
  suggested: Set<string>;
}

export class Context {
  readonly problems: ScenarioProblem[] = [];

  constructor(
    readonly file: string,
    private readonly lines: LineCounter,
    private readonly doc: Document,
  ) {}

  location(node: Node | undefined): SourceLocation {
    const { line, col } = this.lines.linePos(node?.range?.[0] ?? 0);
    return { file: this.file, line, col };
  }

  report(at: Node | undefined, path: string, message: string, hint?: string): void {
    const { file, line, col } = this.location(at);
    this.problems.push(hint === undefined ? { file, line, col, path, message } : { file, line, col, path, message, hint });
  }

  /** Follows `*alias` references so readers see the anchored node. */
  deref(node: unknown): Node | null {
    if (isAlias(node)) return (node.resolve(this.doc) as Node | undefined) ?? null;
    return (node as Node | null | undefined) ?? null;
  }
}

export function childPath(parent: string, key: string | number): string {
  if (typeof key === 'number') return `${parent}[${key}]`;
  return parent === '' ? key : `${parent}.${key}`;
}

/** What a node is, for "expected X, got Y" messages. */
export function describe(node: Node | null): string {
  if (node === null) return 'nothing';
  if (isMap(node)) return 'a map';
  if (isSeq(node)) return 'a list';
  if (isScalar(node)) {
    const v = node.value;
    if (v === null) return 'null';
    if (typeof v === 'string') return `a string (${JSON.stringify(v)})`;
    // YAML's .nan and .inf are numbers to the parser but not quantities: say which, with the text as written.
    if (typeof v === 'number') return Number.isFinite(v) ? `a number (${v})` : `${JSON.stringify(node.source ?? String(v))} (${v}, not a finite number)`;
    if (typeof v === 'boolean') return `a boolean (${v})`;
  }
  return 'an unsupported value';
}

/** Checks a map's keys against the known ones; unknown keys get a "did you mean" hint. */
export function readSection(ctx: Context, field: Field, known: readonly string[]): Section | undefined {
  const node = field.value;
  if (!isMap(node)) {
    ctx.report(field.at, field.path, `${field.path || 'the scenario'} must be a map, got ${describe(node)}`, `valid keys: ${known.join(', ')}`);
    return undefined;
  }
  const fields = new Map<string, Field>();
  const suggested = new Set<string>();
  for (const pair of node.items) {
    const keyNode = ctx.deref(pair.key);
    const key = isScalar(keyNode) ? keyNode.value : undefined;
    const at = keyNode ?? undefined;
    if (typeof key !== 'string') {
      ctx.report(at, field.path, `${where(field.path)}has a key that is not a name: ${describe(keyNode)}`, `valid keys: ${known.join(', ')}`);
      continue;
    }
    const path = childPath(field.path, key);
    if (!known.includes(key)) {
      const match = closest(key, known);
      if (match !== undefined) suggested.add(match);
      ctx.report(at, path, `unknown key "${key}"${field.path ? ` in ${field.path}` : ''}`, suggestHint(key, known));
      continue;
    }
    const value = ctx.deref(pair.value);
    // `key:` with nothing after it parses as a null scalar placed at the end of the line: point at the key instead.
    const blank = value === null || (isScalar(value) && value.value === null);
    fields.set(key, { path, value, at: blank ? at : value, key: at });
  }
  return { path: field.path, node, fields, suggested };
}

function where(path: string): string {
  return path === '' ? '' : `${path} `;
}

/** Reports a missing required key, pointing at the section that should hold it (unless a typo of it was reported). */
export function reportMissing(ctx: Context, section: Section, key: string, hint?: string): void {
  if (section.suggested.has(key)) return;
  const path = childPath(section.path, key);
  const message = section.path === '' ? `"${key}" is required` : `"${key}" is required in ${section.path}`;
  ctx.report(section.node, path, message, hint);
}

function scalarValue(field: Field): unknown {
  return isScalar(field.value) ? field.value.value : undefined;
}

function reportType(ctx: Context, field: Field, expected: string, hint?: string): undefined {
  if (field.value === null || (isScalar(field.value) && field.value.value === null)) {
    ctx.report(field.at, field.path, `${field.path} has no value`, hint ?? 'give it a value or remove the key');
    return undefined;
  }
  const got = describe(field.value);
  const quoted = typeof scalarValue(field) === 'string' && /^[+-]?\d+(\.\d+)?$/.test(String(scalarValue(field)));
  ctx.report(field.at, field.path, `${field.path} must be ${expected}, got ${got}`, hint ?? (quoted ? 'remove the quotes' : undefined));
  return undefined;
}

export function readString(ctx: Context, field: Field): string | undefined {
  const v = scalarValue(field);
  if (typeof v !== 'string') return reportType(ctx, field, 'a string');
  if (v.trim() === '') {
    ctx.report(field.at, field.path, `${field.path} must not be empty`);
    return undefined;
  }
  return v;
}

export interface Range {
  min: number;
  max?: number;
  /** Printed after the range error, e.g. why the limit exists. */
  hint?: string;
}

function checkRange(ctx: Context, field: Field, n: number, range: Range): number | undefined {
  if (n < range.min) {
    ctx.report(field.at, field.path, `${field.path} must be at least ${range.min}, got ${n}`, range.hint);
    return undefined;
  }
  if (range.max !== undefined && n > range.max) {
    ctx.report(field.at, field.path, `${field.path} must be at most ${range.max}, got ${n}`, range.hint);
    return undefined;
  }
  return n;
}

export function readInteger(ctx: Context, field: Field, range: Range): number | undefined {
  const v = scalarValue(field);
  if (typeof v !== 'number' || !Number.isFinite(v)) return reportType(ctx, field, 'an integer');
  if (!Number.isInteger(v)) {
    ctx.report(field.at, field.path, `${field.path} must be a whole number, got ${v}`);
    return undefined;
  }
  return checkRange(ctx, field, v, range);
}

export function readNumber(ctx: Context, field: Field, range: Range): number | undefined {
  const v = scalarValue(field);
  if (typeof v !== 'number' || !Number.isFinite(v)) return reportType(ctx, field, 'a number');
  return checkRange(ctx, field, v, range);
}

/** A duration with a unit (`5s`), in ms; greater than zero unless `allowZero`, and at least `minMs` when given. */
export function readDuration(ctx: Context, field: Field, opts: { minMs?: number; allowZero?: boolean } = {}): number | undefined {
  const v = scalarValue(field);
  if (typeof v === 'number') {
    ctx.report(field.at, field.path, `${field.path} has no unit (${v})`, BARE_NUMBER_HINT);
    return undefined;
  }
  if (typeof v !== 'string') return reportType(ctx, field, 'a duration such as 5s');
  const parsed = parseDuration(v);
  if ('error' in parsed) {
    ctx.report(field.at, field.path, `${field.path} ${parsed.error}`, parsed.hint);
    return undefined;
  }
  if (parsed.ms < 0 || (parsed.ms === 0 && opts.allowZero !== true)) {
    ctx.report(field.at, field.path, `${field.path} must be longer than 0 ("${v}")`);
    return undefined;
  }
  if (opts.minMs !== undefined && parsed.ms < opts.minMs) {
    ctx.report(field.at, field.path, `${field.path} must be at least ${opts.minMs} ms ("${v}")`, `e.g. ${field.path.split('.').pop() ?? 'it'}: ${Math.max(1, opts.minMs / 1000)}s`);
    return undefined;
  }
  return parsed.ms;
}

/**
 * A list of 1..max items, each read by `read` with its own path (`faults[2]`); undefined when the list is not one,
 * is empty or too long (reported with `what` and `hint`), or when any item had a problem (reported by `read`).
 */
export function readList<T>(ctx: Context, field: Field, max: number, what: string, hint: string, read: (item: Field) => T | undefined): T[] | undefined {
  if (!isSeq(field.value) || field.value.items.length === 0 || field.value.items.length > max) {
    ctx.report(field.at, field.path, `${field.path} must be a list of 1 to ${max} ${what}`, hint);
    return undefined;
  }
  const out: T[] = [];
  let ok = true;
  field.value.items.forEach((item, i) => {
    const node = ctx.deref(item);
    const value = read({ path: childPath(field.path, i), value: node, at: node ?? field.at });
    if (value === undefined) ok = false;
    else out.push(value);
  });
  return ok ? out : undefined;
}

export function readBool(ctx: Context, field: Field): boolean | undefined {
  const v = scalarValue(field);
  if (typeof v === 'boolean') return v;
  ctx.report(field.at, field.path, `${field.path} must be true or false`, 'write true or false, without quotes');
  return undefined;
}

/** One of a fixed set of words; anything else gets the closest word or the list. */
export function readChoice<T extends string>(ctx: Context, field: Field, choices: readonly T[]): T | undefined {
  const v = scalarValue(field);
  if (typeof v !== 'string') return reportType(ctx, field, `one of ${choices.join(', ')}`);
  if (!(choices as readonly string[]).includes(v)) {
    const match = closest(v, choices);
    ctx.report(field.at, field.path, `${field.path} must be one of ${choices.join(', ')}, got "${v}"`, match === undefined ? undefined : `did you mean "${match}"?`);
    return undefined;
  }
  return v as T;
}
