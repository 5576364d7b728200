/**
 * `behavior.headers`: extra HTTP headers every client sends on its handshake (and, for the session engines, on
 * every long-polling request), as k6's `ws.connect(url, {headers})` and Artillery's `headers` do — an
 * Authorization or Cookie for a cluster behind auth, an Origin for servers that check it, a Host for host-based
 * routing. Headers the WebSocket or HTTP client must compute itself are refused, each with the reason.
 */
import { isMap, isScalar } from 'yaml';
import { type Context, type Field, childPath, describe } from './context.js';
import { checkTemplates, type TemplateScope } from './templates.js';

/** RFC 9110 §5.6.2: a token is one or more tchar. */
export const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** The subprotocol header: sent on WebSocket handshakes only, as the list of subprotocols offered (see docs). */
export const PROTOCOL_HEADER = 'sec-websocket-protocol';

/** Headers the client sets itself, by lower-case name, with why a scenario may not. */
export const CLIENT_HEADERS: Readonly<Record<string, string>> = {
  connection: 'the client sends Connection: Upgrade for the WebSocket handshake, and manages the connection itself',
  upgrade: 'the client sends Upgrade: websocket for the handshake (RFC 6455 §4.1)',
  'sec-websocket-key': 'the client makes a fresh random key for every handshake and checks the server\'s Sec-WebSocket-Accept against it (RFC 6455 §4.1)',
  'sec-websocket-version': 'the client speaks version 13 and says so itself (RFC 6455 §4.1)',
  'sec-websocket-accept': 'it is the server\'s answer to the key, never sent by a client',
  'sec-websocket-extensions': 'the client negotiates extensions itself (wsherd offers none, so frames are measured uncompressed)',
  'content-length': 'the HTTP client computes it from each request\'s body (engine.io posts)',
  'transfer-encoding': 'the HTTP client frames each request\'s body itself',
};

const NAME_HINT = 'a header name is letters, digits and !#$%&\'*+-.^_`|~ (an RFC 9110 token): no spaces, colons or quotes';

/**
 * Reads `behavior.headers`: null when absent or blank, undefined when it had a problem (every problem reported).
 * Values may be strings or numbers (turned into strings); names keep the spelling written. Values may hold
 * per-connection templates (templates.ts); `scope`: what they may use (a boolean: whether the scenario has a
 * population, which `{{ group }}` needs). `{{ seq }}` and `{{ stamp }}` are per message, so never in a header.
 */
export function readHeaders(ctx: Context, field: Field | undefined, scope: TemplateScope | boolean = false): Record<string, string> | null | undefined {
  if (field === undefined || field.value === null || (isScalar(field.value) && field.value.value === null)) return null;
  if (!isMap(field.value)) {
    ctx.report(field.at, field.path, `${field.path} must be a map of header name to value, got ${describe(field.value)}`, 'e.g. headers: {Authorization: "Bearer …", Origin: "https://app.example"}');
    return undefined;
  }
  const out: Record<string, string> = {};
  const seen = new Map<string, { name: string; line: number }>();
  let ok = true;
  for (const pair of field.value.items) {
    const keyNode = ctx.deref(pair.key);
    const name = isScalar(keyNode) ? keyNode.value : undefined;
    const at = keyNode ?? field.at ?? undefined;
    if (typeof name !== 'string' || !TOKEN.test(name)) {
      const shown = typeof name === 'string' ? JSON.stringify(name) : describe(keyNode);
      ctx.report(at, field.path, `${field.path} has an invalid header name ${shown}`, NAME_HINT);
      ok = false;
      continue;
    }
    const path = childPath(field.path, name);
    const lower = name.toLowerCase();
    const why = CLIENT_HEADERS[lower];
    if (why !== undefined) {
      ctx.report(at, path, `${path} cannot be set: ${why}`, `remove ${name}`);
      ok = false;
      continue;
    }
    const first = seen.get(lower);
    if (first !== undefined) {
      ctx.report(at, path, `${path} repeats ${first.name} (line ${first.line}): header names are case-insensitive`, 'keep one of them; to send several cookies, join them in one Cookie value with "; "');
      ok = false;
      continue;
    }
    seen.set(lower, { name, line: ctx.location(at).line });
    const node = ctx.deref(pair.value);
    // `Name:` with nothing after it is a null scalar at the end of the line: point at the name instead.
    const blank = node === null || (isScalar(node) && node.value === null);
    const value = readValue(ctx, { path, value: node, at: blank ? at : node }, lower);
    if (value === undefined || !checkTemplates(ctx, node ?? undefined, path, value, typeof scope === 'boolean' ? { population: scope } : { ...scope, perMessage: false, stamp: false })) ok = false;
    else out[name] = value;
  }
  return ok ? out : undefined;
}

function readValue(ctx: Context, field: Field, lower: string): string | undefined {
  const v = isScalar(field.value) ? field.value.value : undefined;
  if (field.value === null || v === null) {
    ctx.report(field.at, field.path, `${field.path} has no value`, 'write the value, or "" for an empty header');
    return undefined;
  }
  if (typeof v !== 'string' && (typeof v !== 'number' || !Number.isFinite(v))) {
    ctx.report(field.at, field.path, `${field.path} must be a string, got ${describe(field.value)}`, 'quote the value');
    return undefined;
  }
  const text = String(v);
  if (/[\r\n\0]/.test(text)) {
    ctx.report(field.at, field.path, `${field.path} must not contain CR, LF or NUL (they would end the header and start another)`, 'write the value on one line; a YAML block scalar (| or >) adds a line break at the end');
    return undefined;
  }
  // Node's HTTP client throws on these (ERR_INVALID_CHAR): better here, before the first socket, than in every client.
  const bad = /[^\t\x20-\x7e\x80-\xff]/.exec(text);
  if (bad !== null) {
    const code = `U+${(bad[0].codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;
    ctx.report(field.at, field.path, `${field.path} contains ${code}, which an HTTP header value cannot carry`, 'use visible ASCII; percent-encode or base64 anything else');
    return undefined;
  }
  if (lower === PROTOCOL_HEADER) return readProtocols(ctx, field, text);
  return text;
}

/** The subprotocols offered: a comma-separated list of distinct tokens (ws refuses anything else). */
function readProtocols(ctx: Context, field: Field, text: string): string | undefined {
  const list = text.split(',').map((p) => p.trim());
  const bad = list.find((p) => !TOKEN.test(p));
  if (bad !== undefined || new Set(list).size !== list.length) {
    ctx.report(field.at, field.path, `${field.path} must be a comma-separated list of distinct subprotocol names, got ${JSON.stringify(text)}`, 'e.g. Sec-WebSocket-Protocol: "graphql-transport-ws, chat"');
    return undefined;
  }
  return list.join(', ');
}
