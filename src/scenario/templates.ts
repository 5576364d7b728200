/**
 * Per-client templates in `behavior.query` and `behavior.headers` values: `{{ client }}`, `{{ client % N }}` and
 * `{{ group }}`, so that each client sends its own room or user id and a balancer hashing on it (HAProxy
 * `balance url_param room`, nginx `hash $arg_room consistent`) spreads them as real users would be spread.
 * Unlike `${NAME}` (environment variables, substituted once when the file is loaded), these are filled in per
 * client at run time; the scenario, and results.json, keep the text as written.
 */
import { randomUUID } from 'node:crypto';
import { isScalar, type Node, type Scalar } from 'yaml';
import type { Context } from './context.js';
import { closest } from './suggest.js';

export type TemplatePart =
  | string
  | { kind: 'client'; mod?: number }
  | { kind: 'group' }
  /** The client's own counter, 0, 1, 2, … per rendering (flows only). */
  | { kind: 'seq' }
  | { kind: 'uuid' }
  /** Epoch ms when rendered. */
  | { kind: 'now' }
  /** A whole number uniformly in [min, max]. */
  | { kind: 'random'; min: number; max: number }
  /** A column of the client's row of behavior.data. */
  | { kind: 'data'; column: string }
  /** The client's role (behavior.roles), '' without roles. */
  | { kind: 'role' }
  /** A delivery stamp (src/load/flow/stamp.ts): only in a step with `publish:`. */
  | { kind: 'stamp' };

/** Template kinds that only make sense inside a flow step (one rendering per message, not per connection). */
export const FLOW_ONLY_KINDS: ReadonlySet<string> = new Set(['seq', 'stamp']);

export type ParsedTemplate = { parts: TemplatePart[] } | { error: string; hint: string; index: number };

export const TEMPLATE_HINT = 'the forms are {{ client }} (the client\'s number, from 0), {{ client % N }} (N a whole number ≥ 1, e.g. 50 rooms), {{ group }} (its population group), {{ data.COLUMN }} (behavior.data), {{ role }}, {{ uuid }}, {{ now }}, {{ random A B }}, and in flow steps {{ seq }} and {{ stamp }}';

/** What a client fills a template with: its slot (stable across its reconnects) and its population group. */
export interface TemplateVars {
  client: number;
  group: string | undefined;
  /** The client's row of behavior.data (column → value). */
  data?: Readonly<Record<string, string>>;
  role?: string;
}

export function hasTemplate(text: string): boolean {
  return text.includes('{{');
}

/** The text cut into literal pieces and placeholders, or the first problem with its index in the text. */
export function parseTemplate(text: string): ParsedTemplate {
  const parts: TemplatePart[] = [];
  let at = 0;
  for (let open = text.indexOf('{{'); open >= 0; open = text.indexOf('{{', at)) {
    if (open > at) parts.push(text.slice(at, open));
    const close = text.indexOf('}}', open + 2);
    if (close < 0) return { error: `has "{{" without a closing "}}"`, hint: TEMPLATE_HINT, index: open };
    const inner = text.slice(open + 2, close);
    const part = placeholder(inner);
    if (typeof part === 'string') return { error: part, hint: TEMPLATE_HINT, index: open };
    parts.push(part);
    at = close + 2;
  }
  if (at < text.length) parts.push(text.slice(at));
  return { parts };
}

function placeholder(inner: string): Exclude<TemplatePart, string> | string {
  const word = inner.trim();
  if (word === 'client') return { kind: 'client' };
  if (word === 'group') return { kind: 'group' };
  if (word === 'seq' || word === 'uuid' || word === 'now' || word === 'role' || word === 'stamp') return { kind: word };
  const data = /^data\.([A-Za-z_][\w-]*)$/.exec(word);
  if (data !== null) return { kind: 'data', column: data[1] as string };
  if (/^random\b/.test(word)) {
    const r = /^random\s+(-?\d+)\s+(-?\d+)$/.exec(word);
    const min = Number(r?.[1]);
    const max = Number(r?.[2]);
    if (r === null || !Number.isSafeInteger(min) || !Number.isSafeInteger(max) || min > max) return `has {{${inner}}}: write {{ random A B }} with whole numbers A ≤ B, e.g. {{ random 1 100 }}`;
    return { kind: 'random', min, max };
  }
  const mod = /^\s*client\s*%\s*(\S*)\s*$/.exec(inner);
  if (mod !== null) {
    const n = mod[1] as string;
    if (!/^\d+$/.test(n) || Number(n) < 1 || !Number.isSafeInteger(Number(n))) return `has {{${inner}}}: N in {{ client % N }} must be a whole number ≥ 1, got ${JSON.stringify(n)}`;
    return { kind: 'client', mod: Number(n) };
  }
  return `has an unknown template {{${inner}}}`;
}

export function usesGroup(parts: readonly TemplatePart[]): boolean {
  return parts.some((p) => typeof p !== 'string' && p.kind === 'group');
}

/**
 * Renders the per-connection forms (client, group, data, role, uuid, now, random). The flow-only forms (seq, stamp)
 * render as '' here: flows render with src/load/flow/render.ts, which fills them per message.
 */
export function renderTemplate(parts: readonly TemplatePart[], vars: TemplateVars): string {
  let out = '';
  for (const p of parts) {
    if (typeof p === 'string') out += p;
    else out += renderPart(p, vars);
  }
  return out;
}

export function renderPart(p: Exclude<TemplatePart, string>, vars: TemplateVars): string {
  switch (p.kind) {
    case 'client':
      return String(p.mod === undefined ? vars.client : vars.client % p.mod);
    case 'group':
      return vars.group ?? '';
    case 'data':
      return vars.data?.[p.column] ?? '';
    case 'role':
      return vars.role ?? '';
    case 'uuid':
      return randomUUID();
    case 'now':
      return String(Date.now());
    case 'random':
      return String(p.min + Math.floor(Math.random() * (p.max - p.min + 1)));
    default:
      return '';
  }
}

/**
 * What a value's templates may use. Headers and query values are rendered once per connection; flow steps once
 * per message, which is what `{{ seq }}` counts; `{{ stamp }}` belongs in the payload of a step with `publish:`.
 */
export interface TemplateScope {
  /** Whether the scenario has a population (`{{ group }}` needs one). */
  population: boolean;
  /** behavior.data's columns and file name (for messages); absent without behavior.data; 'unknown' when
   *  behavior.data had a problem of its own (then `{{ data.X }}` is not checked, to avoid a second, misleading one). */
  data?: { columns: readonly string[]; file: string } | 'unknown';
  /** Whether the scenario has behavior.roles (`{{ role }}` needs them). */
  roles?: boolean;
  /** A flow step's value (rendered per message): `{{ seq }}` allowed. */
  perMessage?: boolean;
  /** The payload of a step with `publish:`: `{{ stamp }}` allowed. */
  stamp?: boolean;
}

/**
 * Checks the templates in one value as written (`path` names it); false after reporting a problem. `scope`: what
 * the value may use (a boolean is the population flag of a per-connection value). A problem points at its `{{`
 * when the scalar's source shows the text unchanged (plain or quoted on one line, no escapes before it), else at
 * the value.
 */
export function checkTemplates(ctx: Context, node: Node | undefined, path: string, text: string, scope: TemplateScope | boolean): boolean {
  if (!hasTemplate(text)) return true;
  const s: TemplateScope = typeof scope === 'boolean' ? { population: scope } : scope;
  const parsed = parseTemplate(text);
  if ('error' in parsed) {
    ctx.report(pointAt(node, text, parsed.index), path, `${path} ${parsed.error}`, parsed.hint);
    return false;
  }
  const problem = scopeProblem(parsed.parts, s);
  if (problem === undefined) return true;
  ctx.report(pointAt(node, text, placeholderIndex(text, problem.at)), path, `${path} ${problem.message}`, problem.hint);
  return false;
}

interface ScopeProblem {
  /** Which placeholder (its index among the placeholders) the problem is about. */
  at: number;
  message: string;
  hint: string;
}

function scopeProblem(parts: readonly TemplatePart[], s: TemplateScope): ScopeProblem | undefined {
  let at = -1;
  for (const p of parts) {
    if (typeof p === 'string') continue;
    at++;
    switch (p.kind) {
      case 'group':
        if (!s.population) return { at, message: 'uses {{ group }}, which needs a population: section', hint: 'add population: with named groups, or use {{ client }} / {{ client % N }}' };
        break;
      case 'role':
        if (s.roles !== true) return { at, message: 'uses {{ role }}, which needs behavior.roles', hint: 'add behavior.roles, or remove {{ role }}' };
        break;
      case 'data': {
        if (s.data === 'unknown') break;
        if (s.data === undefined) return { at, message: `uses {{ data.${p.column} }}, which needs behavior.data`, hint: `add behavior.data: {file: users.csv} with a column ${p.column}` };
        const { columns, file } = s.data;
        if (!columns.includes(p.column)) {
          const match = closest(p.column, columns);
          return { at, message: `uses {{ data.${p.column} }}, but ${file} has no column ${p.column} (its columns: ${columns.join(', ')})`, hint: match === undefined ? `use one of ${columns.join(', ')}, or add the column to ${file}` : `did you mean {{ data.${match} }}?` };
        }
        break;
      }
      case 'seq':
        if (s.perMessage !== true) return { at, message: 'uses {{ seq }}, which counts the messages of a flow: this value is sent once per connection', hint: 'use {{ client }}, {{ uuid }} or {{ random A B }} here; {{ seq }} goes in flow steps' };
        break;
      case 'stamp':
        if (s.stamp !== true) {
          const hint = s.perMessage === true ? 'add publish: TOPIC to this step (a publish step\'s payload carries the stamp), or remove {{ stamp }}' : '{{ stamp }} goes in the payload of a flow step with publish:';
          return { at, message: 'uses {{ stamp }}, which only a step with publish: fills (in its payload)', hint };
        }
        break;
      default:
        break;
    }
  }
  return undefined;
}

/** The offset of the n-th `{{` in text (parseTemplate succeeded, so every `{{` opens a placeholder). */
function placeholderIndex(text: string, n: number): number {
  let i = text.indexOf('{{');
  for (let k = 0; k < n && i >= 0; k++) i = text.indexOf('{{', text.indexOf('}}', i) + 2);
  return i;
}

/** The template parts of a text, or [] when it has none or does not parse (the parse problem is reported elsewhere). */
export function templateParts(text: string): TemplatePart[] {
  if (!hasTemplate(text)) return [];
  const parsed = parseTemplate(text);
  return 'parts' in parsed ? parsed.parts : [];
}

/**
 * A stand-in node at the `{{` (only its range is read), or the value itself when the offset cannot be trusted:
 * the source must be exactly the text (plus its quotes), which rules out escapes, folded lines and `${NAME}`s.
 */
export function pointAt(node: Node | undefined, text: string, index: number): Node | undefined {
  if (node === undefined || !isScalar(node) || !node.range || index < 0) return node;
  const type = (node as Scalar).type;
  const quotes = type === 'QUOTE_DOUBLE' || type === 'QUOTE_SINGLE' ? 2 : type === 'PLAIN' ? 0 : -1;
  if (quotes < 0 || node.range[1] - node.range[0] !== text.length + quotes) return node;
  const offset = node.range[0] + quotes / 2 + index;
  return { range: [offset, offset, offset] } as unknown as Node;
}
