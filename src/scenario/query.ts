/**
 * `behavior.query`: parameters appended to every connection URL's query string (the ws handshake, every
 * engine.io poll and upgrade), with per-client templates, for balancers that hash on a parameter (HAProxy
 * `balance url_param room`, nginx `hash $arg_room consistent`).
 */
import { isMap, isScalar } from 'yaml';
import { type Context, type Field, childPath, describe } from './context.js';
import { checkTemplates, type TemplateScope } from './templates.js';

/** RFC 3986 §2.3 unreserved characters: the name reaches the URL as written, which is what a balancer matches. */
const NAME = /^[A-Za-z0-9._~-]+$/;
const NAME_HINT = 'a parameter name is letters, digits and - . _ ~ (characters a URL carries unencoded)';

/** Parameters engine.io puts on every request of a session: a scenario's own would be overwritten or clash. */
export const ENGINE_IO_PARAMS: readonly string[] = ['EIO', 'transport', 'sid', 't'];

export interface QueryContext {
  /** The target's URL, whose own parameters stay and may not be repeated (absent in lab runs). */
  targetUrl?: string;
  /** Whether the scenario has a population (`{{ group }}` needs one). */
  population: boolean;
  /** Whether the engine is socketio or engineio (whose own parameters are refused). */
  session: boolean;
  /** behavior.data's columns and whether there are roles (`{{ data.X }}`, `{{ role }}`); absent: neither. */
  templates?: Omit<TemplateScope, 'population' | 'perMessage' | 'stamp'>;
}

/** Reads `behavior.query`: null when absent or blank, undefined after a problem (every problem reported). */
export function readQuery(ctx: Context, field: Field | undefined, qc: QueryContext): Record<string, string> | null | undefined {
  if (field === undefined || field.value === null || (isScalar(field.value) && field.value.value === null)) return null;
  if (!isMap(field.value)) {
    ctx.report(field.at, field.path, `${field.path} must be a map of parameter name to value, got ${describe(field.value)}`, 'e.g. query: {room: "{{ client % 50 }}"}');
    return undefined;
  }
  const own = targetParams(qc.targetUrl);
  const out: Record<string, string> = {};
  let ok = true;
  for (const pair of field.value.items) {
    const keyNode = ctx.deref(pair.key);
    const name = isScalar(keyNode) ? keyNode.value : undefined;
    const at = keyNode ?? field.at ?? undefined;
    if (typeof name !== 'string' || !NAME.test(name)) {
      const shown = typeof name === 'string' ? JSON.stringify(name) : describe(keyNode);
      ctx.report(at, field.path, `${field.path} has an invalid parameter name ${shown}`, NAME_HINT);
      ok = false;
      continue;
    }
    const path = childPath(field.path, name);
    if (own.has(name)) {
      ctx.report(at, path, `${path}: the target URL already has a parameter "${name}"`, `remove ${name} from target.url or from behavior.query (one value per client goes in behavior.query)`);
      ok = false;
      continue;
    }
    if (qc.session && ENGINE_IO_PARAMS.includes(name)) {
      ctx.report(at, path, `${path} cannot be set: engine.io puts ${name} on every request of a session itself`, `use another name than ${ENGINE_IO_PARAMS.join(', ')}`);
      ok = false;
      continue;
    }
    const node = ctx.deref(pair.value);
    const v = isScalar(node) ? node.value : undefined;
    if (node === null || v === null) {
      ctx.report(at, path, `${path} has no value`, 'write the value, or "" for an empty parameter');
      ok = false;
    } else if (typeof v !== 'string' && (typeof v !== 'number' || !Number.isFinite(v))) {
      // `room: {{ client }}` unquoted is a YAML flow map: the most likely way to get here.
      ctx.report(node, path, `${path} must be a string, got ${describe(node)}`, 'quote the value; a template must be quoted: "{{ client }}"');
      ok = false;
    } else if (!checkTemplates(ctx, node, path, String(v), { ...qc.templates, population: qc.population, perMessage: false, stamp: false })) {
      ok = false;
    } else {
      out[name] = String(v);
    }
  }
  return ok ? out : undefined;
}

function targetParams(url: string | undefined): Set<string> {
  if (url === undefined) return new Set();
  try {
    return new Set(new URL(url).searchParams.keys());
  } catch {
    return new Set();
  }
}
