/**
 * Per-client templates in `behavior.query` and `behavior.headers` values: `{{ client }}`, `{{ client % N }}` and
 * `{{ group }}`, so that each client sends its own room or user id and a balancer hashing on it (HAProxy
 * `balance url_param room`, nginx `hash $arg_room consistent`) spreads them as real users would be spread.
 * Unlike `${NAME}` (environment variables, substituted once when the file is loaded), these are filled in per
 * client at run time; the scenario, and results.json, keep the text as written.
 */
import { isScalar, type Node, type Scalar } from 'yaml';
import type { Context } from './context.js';

export type TemplatePart = string | { kind: 'client'; mod?: number } | { kind: 'group' };

export type ParsedTemplate = { parts: TemplatePart[] } | { error: string; hint: string; index: number };

export const TEMPLATE_HINT = 'the forms are {{ client }} (the client\'s number, from 0), {{ client % N }} (N a whole number ≥ 1, e.g. 50 rooms) and {{ group }} (its population group)';

/** What a client fills a template with: its slot (stable across its reconnects) and its population group. */
export interface TemplateVars {
  client: number;
  group: string | undefined;
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
  if (/^\s*client\s*$/.test(inner)) return { kind: 'client' };
  if (/^\s*group\s*$/.test(inner)) return { kind: 'group' };
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

export function renderTemplate(parts: readonly TemplatePart[], vars: TemplateVars): string {
  let out = '';
  for (const p of parts) {
    if (typeof p === 'string') out += p;
    else if (p.kind === 'group') out += vars.group ?? '';
    else out += String(p.mod === undefined ? vars.client : vars.client % p.mod);
  }
  return out;
}

/**
 * Checks the templates in one value as written (`path` names it); false after reporting a problem. `population`:
 * whether the scenario has one (`{{ group }}` needs it). A problem points at its `{{` when the scalar's source
 * shows the text unchanged (plain or quoted on one line, no escapes before it), else at the value.
 */
export function checkTemplates(ctx: Context, node: Node | undefined, path: string, text: string, population: boolean): boolean {
  if (!hasTemplate(text)) return true;
  const parsed = parseTemplate(text);
  if ('error' in parsed) {
    ctx.report(pointAt(node, text, parsed.index), path, `${path} ${parsed.error}`, parsed.hint);
    return false;
  }
  if (!population && usesGroup(parsed.parts)) {
    ctx.report(pointAt(node, text, text.search(/\{\{\s*group/)), path, `${path} uses {{ group }}, which needs a population: section`, 'add population: with named groups, or use {{ client }} / {{ client % N }}');
    return false;
  }
  return true;
}

/**
 * A stand-in node at the `{{` (only its range is read), or the value itself when the offset cannot be trusted:
 * the source must be exactly the text (plus its quotes), which rules out escapes, folded lines and `${NAME}`s.
 */
function pointAt(node: Node | undefined, text: string, index: number): Node | undefined {
  if (node === undefined || !isScalar(node) || !node.range || index < 0) return node;
  const type = (node as Scalar).type;
  const quotes = type === 'QUOTE_DOUBLE' || type === 'QUOTE_SINGLE' ? 2 : type === 'PLAIN' ? 0 : -1;
  if (quotes < 0 || node.range[1] - node.range[0] !== text.length + quotes) return node;
  const offset = node.range[0] + quotes / 2 + index;
  return { range: [offset, offset, offset] } as unknown as Node;
}
