/**
 * Hash keys read from the HTTP request (mode l7): `uri`, `path`, `query:NAME`, `header:NAME`, as HAProxy's
 * `balance uri whole` / `uri` / `url_param` / `hdr()` and nginx's `hash $request_uri` / `$arg_NAME` /
 * `$http_NAME`. Behind a NAT every client has the same address; a room or user id in the request still tells
 * them apart, and for socket.io it keeps long-polling and the upgrade together without a cookie (every request of
 * a session carries the same query).
 *
 * A request without the key (no such parameter or header, or an empty value) goes round robin over the eligible
 * backends, as HAProxy does for url_param and hdr(), and is counted; so is a pick without a request at all
 * (a strategy built for l7 but asked at l4, which validation normally refuses).
 */
import { hashKeyOf } from './key.js';
import { RoundRobin } from './round-robin.js';
import type { BackendRef, HashKey, PickContext, PickRequest } from './types.js';

export type HashKeyKind = 'source-ip' | 'source-ip-port' | 'uri' | 'path' | 'query' | 'header';

export interface ParsedHashKey {
  kind: HashKeyKind;
  /** The parameter (as written) or the header name (lowercased); '' for the other kinds. */
  name: string;
}

/** The forms hashKey accepts, for messages. */
export const HASH_KEY_FORMS = 'source-ip, source-ip-port, uri, path, query:NAME or header:NAME';

/** RFC 9110 token: what a header name may be. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,128}$/;
/** A query parameter name: 1..128 characters, none a separator (`&`, `=`, `#`), space or control character. */
function isParamName(name: string): boolean {
  if (name.length > 128) return false;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c <= 0x20 || c === 0x7f || c === 0x26 || c === 0x3d || c === 0x23 || /\s/.test(name.charAt(i))) return false;
  }
  return true;
}

/**
 * The parsed key, or why it is not one, worded to follow `hashKey ` (e.g. `"query:" needs a parameter name…`). `query:` and `header:` are
 * matched case-insensitively; the header name is lowercased (Node lowercases request headers), the parameter
 * name kept as written (query names are case-sensitive, as in HAProxy and nginx).
 */
export function parseHashKey(text: string): ParsedHashKey | { error: string } {
  if (text === 'source-ip' || text === 'source-ip-port' || text === 'uri' || text === 'path') return { kind: text, name: '' };
  const colon = text.indexOf(':');
  const prefix = colon < 0 ? '' : text.slice(0, colon).toLowerCase();
  const name = colon < 0 ? '' : text.slice(colon + 1);
  if (prefix === 'query') {
    if (name === '') return { error: `"${text}" needs a parameter name, e.g. query:room` };
    if (!isParamName(name)) return { error: `"${text}": the parameter name must be 1..128 characters without &, =, #, spaces or control characters` };
    return { kind: 'query', name };
  }
  if (prefix === 'header') {
    if (name === '') return { error: `"${text}" needs a header name, e.g. header:x-user-id` };
    if (!TOKEN.test(name)) return { error: `"${text}": the header name must be an HTTP token of 1..128 letters, digits or !#$%&'*+-.^_\`|~ (no spaces)` };
    return { kind: 'header', name: name.toLowerCase() };
  }
  return { error: `must be ${HASH_KEY_FORMS}, got "${text}"` };
}

/** True for the keys only the L7 proxy can read (uri, path, query:NAME, header:NAME); false for invalid text too. */
export function isRequestKey(key: string): boolean {
  const parsed = parseHashKey(key);
  return 'kind' in parsed && parsed.kind !== 'source-ip' && parsed.kind !== 'source-ip-port';
}

/** An absolute-form target (`http://host/p?q`, sent to proxies) hashes as its origin form (`/p?q`). */
const ABSOLUTE = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i;

function originForm(url: string): string {
  if (url.startsWith('/')) return url;
  const m = ABSOLUTE.exec(url);
  if (m === null) return url;
  const rest = url.slice(m[0].length);
  return rest.startsWith('/') ? rest : `/${rest}`;
}

/** The request's value for `key` (a request kind), or undefined when the request lacks it or its value is empty. */
export function requestKeyOf(request: PickRequest, key: ParsedHashKey): string | undefined {
  switch (key.kind) {
    case 'uri':
      return originForm(request.url);
    case 'path': {
      const target = originForm(request.url);
      const q = target.indexOf('?');
      return q < 0 ? target : target.slice(0, q);
    }
    case 'query': {
      const q = request.url.indexOf('?');
      if (q < 0) return undefined;
      // URLSearchParams decodes `%xx` and `+`, so `room=a%20b` and `room=a+b` are one room.
      const value = new URLSearchParams(request.url.slice(q + 1)).get(key.name);
      return value === null || value === '' ? undefined : value;
    }
    case 'header': {
      const value = request.headers[key.name];
      // Node joins repeated headers (`, `, or `; ` for cookie); only set-cookie stays a list.
      const text = Array.isArray(value) ? value.join(', ') : value;
      return text === undefined || text === '' ? undefined : text;
    }
    default:
      return undefined;
  }
}

/**
 * What a hash strategy hashes, per pick: the source key (no allocation beyond the key string, as before) or the
 * request's key, with the round-robin fallback and its counters for the latter.
 */
export class HashKeySource {
  private readonly source: 'source-ip' | 'source-ip-port' | undefined;
  private readonly parsed: ParsedHashKey | undefined;
  private readonly fallback: RoundRobin | undefined;
  private hashed = 0;
  private fallbacks = 0;

  constructor(key: HashKey = 'source-ip') {
    if (key === 'source-ip' || key === 'source-ip-port') {
      this.source = key;
      return;
    }
    const parsed = parseHashKey(key);
    // createStrategy validated the key; an invalid one reaching here (a direct constructor call) hashes the source.
    if (!('kind' in parsed)) {
      this.source = 'source-ip';
      return;
    }
    this.parsed = parsed;
    this.fallback = new RoundRobin();
  }

  setBackends(backends: readonly BackendRef[]): void {
    this.fallback?.setBackends(backends);
  }

  /** The string to hash, or undefined when the request lacks the key: the caller then calls fallbackPick(). */
  keyOf(ctx: PickContext): string | undefined {
    if (this.source !== undefined) return hashKeyOf(ctx.remoteAddress, ctx.remotePort, this.source);
    const key = ctx.request === undefined || this.parsed === undefined ? undefined : requestKeyOf(ctx.request, this.parsed);
    if (key !== undefined) this.hashed++;
    return key;
  }

  /** Round robin over the eligible backends, counted as a fallback. */
  fallbackPick(ctx: PickContext): BackendRef | undefined {
    this.fallbacks++;
    return this.fallback?.pick(ctx);
  }

  /** `{hashed, fallbacks}` for request keys; undefined for source keys (nothing to report). */
  counters(): Record<string, number> | undefined {
    return this.parsed === undefined ? undefined : { hashed: this.hashed, fallbacks: this.fallbacks };
  }
}
