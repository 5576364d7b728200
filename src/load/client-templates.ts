/**
 * What each client sends as its own: `behavior.query` appended to its connection URL, and `behavior.headers`, with
 * the per-client templates (`{{ client }}`, `{{ client % N }}`, `{{ group }}`, src/scenario/templates.ts) filled
 * in from its slot — the same number the orchestrated engine sends as `client=c<slot>`, stable across the slot's
 * reconnects, so a balancer hashing on it keeps sending one "user" to one place.
 *
 * The templates are parsed once per behavior object (one per worker) and rendered once per connection, when the
 * client starts; a scenario without templates gets the one prepared-headers object every client shares.
 */
import { prepareHeaders, prepareOnce, type PreparedHeaders } from './request-headers.js';
import { hasTemplate, parseTemplate, renderTemplate, type TemplatePart, type TemplateVars } from '../scenario/templates.js';
import type { Behavior } from '../scenario/types.js';

/** What a client needs to fill its templates: the behavior, and its population group by slot (with a population). */
export interface TemplateSource {
  readonly behavior: Behavior;
  readonly groupOf?: (slot: number) => string | undefined;
  /** With behavior.data: the slot's row, which `{{ data.COLUMN }}` fills in. */
  readonly rowOf?: (slot: number) => Readonly<Record<string, string>> | undefined;
  /** With behavior.roles: the slot's role, which `{{ role }}` fills in. */
  readonly roleOf?: (slot: number) => string | undefined;
}

interface Compiled {
  /** The headers when no value is a template: one object for every client. */
  sharedHeaders: PreparedHeaders | undefined;
  /** Every header as name and parts, when some value is a template. */
  headerParts: [string, TemplatePart[]][];
  /** The query when no value is a template: `a=1&b=2`, URL-encoded ('' without behavior.query). */
  sharedQuery: string | undefined;
  /** Every parameter as name and parts, when some value is a template. */
  queryParts: [string, TemplatePart[]][];
}

const compiled = new WeakMap<Behavior, Compiled>();

function compile(behavior: Behavior): Compiled {
  const hit = compiled.get(behavior);
  if (hit !== undefined) return hit;
  const headers = behavior.headers;
  const query = behavior.query ?? {};
  const headersVary = headers !== undefined && Object.values(headers).some(hasTemplate);
  const queryVary = Object.values(query).some(hasTemplate);
  const c: Compiled = {
    sharedHeaders: headersVary ? undefined : prepareHeaders(headers),
    headerParts: headersVary ? Object.entries(headers).map(([n, v]) => [n, parts(v)]) : [],
    sharedQuery: queryVary ? undefined : encode(Object.entries(query)),
    queryParts: queryVary ? Object.entries(query).map(([n, v]) => [n, parts(v)]) : [],
  };
  compiled.set(behavior, c);
  return c;
}

/** Validation already refused bad templates; one that slips through (a hand-built Behavior) is sent as written. */
function parts(text: string): TemplatePart[] {
  const p = parseTemplate(text);
  return 'parts' in p ? p.parts : [text];
}

function vars(src: TemplateSource, slot: number): TemplateVars {
  const data = src.rowOf?.(slot);
  const role = src.roleOf?.(slot);
  return { client: slot, group: src.groupOf?.(slot), ...(data === undefined ? {} : { data }), ...(role === undefined ? {} : { role }) };
}

function render(list: [string, TemplatePart[]][], v: TemplateVars): [string, string][] {
  return list.map(([name, p]) => [name, renderTemplate(p, v)]);
}

function encode(pairs: [string, string][]): string {
  return pairs.map(([n, v]) => `${encodeURIComponent(n)}=${encodeURIComponent(v)}`).join('&');
}

/** The client's behavior.headers, prepared: the shared object unless a value is a template. */
export function clientHeaders(src: TemplateSource, slot: number): PreparedHeaders {
  const c = compile(src.behavior);
  return c.sharedHeaders ?? prepareOnce(Object.fromEntries(render(c.headerParts, vars(src, slot))));
}

/** The client's behavior.query as `name=value&…`, URL-encoded; '' without one. */
export function clientQueryText(src: TemplateSource, slot: number): string {
  const c = compile(src.behavior);
  return c.sharedQuery ?? encode(render(c.queryParts, vars(src, slot)));
}

/** The client's behavior.query as name → value (not encoded), for socket.io-client's `query` option; undefined without one. */
export function clientQuery(src: TemplateSource, slot: number): Record<string, string> | undefined {
  const query = src.behavior.query;
  if (query === undefined || Object.keys(query).length === 0) return undefined;
  const c = compile(src.behavior);
  return c.sharedQuery !== undefined ? { ...query } : Object.fromEntries(render(c.queryParts, vars(src, slot)));
}

/** `url` with `query` (encoded) appended after the parameters it has; before any fragment. */
export function appendQuery(url: string, query: string): string {
  if (query === '') return url;
  const hash = url.indexOf('#');
  const base = hash < 0 ? url : url.slice(0, hash);
  const sep = !base.includes('?') ? '?' : base.endsWith('?') || base.endsWith('&') ? '' : '&';
  return `${base}${sep}${query}${hash < 0 ? '' : url.slice(hash)}`;
}

/** The URL a client connects to: `url` with its behavior.query. */
export function clientUrl(src: TemplateSource, slot: number, url: string): string {
  return appendQuery(url, clientQueryText(src, slot));
}

/** `url` without its query, and its own parameters followed by `extra`: socket.io-client's `query` option. */
export function queryOption(url: string, extra: Record<string, string>): { url: string; query: Record<string, string> } {
  const hash = url.indexOf('#');
  const base = hash < 0 ? url : url.slice(0, hash);
  const q = base.indexOf('?');
  if (q < 0) return { url: base, query: extra };
  return { url: base.slice(0, q), query: { ...Object.fromEntries(new URLSearchParams(base.slice(q + 1))), ...extra } };
}
