/**
 * `behavior.headers` as the clients apply them. Prepared once per worker (cached by the headers object, which
 * every client of a worker shares), so a connect costs no parsing: the headers for plain HTTP requests, the
 * subprotocols a WebSocket handshake offers (ws only accepts a server's subprotocol it was given as a protocol,
 * not as a header), the user's Cookie kept apart so that it can be merged with a session's cookie jar, and the TLS
 * server name a Host header implies (as Node's https.Agent derives it: a Host that routes should also pick the
 * certificate).
 */
import net from 'node:net';
import type { Agent, ClientRequest, OutgoingHttpHeader } from 'node:http';
import { PROTOCOL_HEADER } from '../scenario/headers.js';

export interface PreparedHeaders {
  /** Every header but Cookie and Sec-WebSocket-Protocol, names as written. Empty without headers. */
  readonly plain: Readonly<Record<string, string>>;
  /** The scenario's Cookie value, if it gives one. */
  readonly cookie: string | undefined;
  /** `plain` and the Cookie: a handshake's headers when there is no cookie jar to merge. */
  readonly handshake: Readonly<Record<string, string>>;
  /** The subprotocols a handshake offers (Sec-WebSocket-Protocol), in order; empty when none. */
  readonly protocols: readonly string[];
  /** With a Host header naming a host (not an IP): the TLS server name (SNI) for wss:// and https://. */
  readonly servername: string | undefined;
  /** True when the scenario gives no header at all. */
  readonly none: boolean;
}

const NONE: PreparedHeaders = { plain: {}, cookie: undefined, handshake: {}, protocols: [], servername: undefined, none: true };
const cache = new WeakMap<object, PreparedHeaders>();

export function prepareHeaders(headers: Readonly<Record<string, string>> | undefined): PreparedHeaders {
  if (headers === undefined) return NONE;
  const cached = cache.get(headers);
  if (cached !== undefined) return cached;
  const prepared = prepareOnce(headers);
  cache.set(headers, prepared);
  return prepared;
}

/** prepareHeaders without the cache: for one client's own headers (behavior.headers with templates filled in). */
export function prepareOnce(headers: Readonly<Record<string, string>>): PreparedHeaders {
  const plain: Record<string, string> = {};
  let cookie: string | undefined;
  let protocols: string[] = [];
  let servername: string | undefined;
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    if (lower === 'cookie') cookie = value;
    else if (lower === PROTOCOL_HEADER) protocols = value.split(',').map((p) => p.trim()).filter((p) => p !== '');
    else plain[name] = value;
    if (lower === 'host') servername = hostName(value);
  }
  const handshake = cookie === undefined ? plain : { ...plain, cookie };
  return { plain, cookie, handshake, protocols, servername, none: Object.keys(headers).length === 0 };
}

/** `app.example:8443` → `app.example`; an IP literal (or nothing) → undefined: SNI carries names only (RFC 6066 §3). */
function hostName(host: string): string | undefined {
  const trimmed = host.trim();
  const name = trimmed.startsWith('[') ? trimmed.slice(1, trimmed.indexOf(']')) : trimmed.replace(/:\d*$/, '');
  return name === '' || net.isIP(name) !== 0 ? undefined : name;
}

/**
 * The Cookie header to send: the scenario's cookies, then the jar's (the session's Set-Cookie answers). A cookie the
 * jar also holds is sent with the jar's value only: the server set it since, e.g. a balancer's sticky cookie.
 */
export function mergeCookies(user: string | undefined, jar: OutgoingHttpHeader | undefined): string | undefined {
  const jarText = Array.isArray(jar) ? jar.join('; ') : jar === undefined ? '' : String(jar);
  if (user === undefined) return jarText === '' ? undefined : jarText;
  if (jarText === '') return user;
  const jarNames = new Set(jarText.split(';').map((p) => cookieName(p)));
  const kept = user.split(';').map((p) => p.trim()).filter((p) => p !== '' && !jarNames.has(cookieName(p)));
  return [...kept, jarText].join('; ');
}

function cookieName(pair: string): string {
  const eq = pair.indexOf('=');
  return (eq < 0 ? pair : pair.slice(0, eq)).trim();
}

/** The headers of one HTTP request or handshake: the scenario's (without the subprotocols) and the merged Cookie. */
export function requestHeaders(p: PreparedHeaders, jarCookie: string | undefined): Record<string, string> {
  const cookie = mergeCookies(p.cookie, jarCookie);
  return cookie === undefined ? { ...p.plain } : { ...p.plain, cookie };
}

/**
 * Makes every request through `agent` carry the scenario's headers, set last so they win over what a library set
 * (xmlhttprequest-ssl, which socket.io-client polls with, always writes its own Host and User-Agent); a Cookie
 * is merged with the one the request already has (socket.io-client's jar). Requests start their headers when first
 * written, after the agent took them, so setting them here is in time.
 */
export function applyToAgent<A extends Agent>(agent: A, p: PreparedHeaders): A {
  if (p.none) return agent;
  const target = agent as unknown as { addRequest(req: ClientRequest, options: unknown): void };
  const addRequest = target.addRequest;
  target.addRequest = function (this: unknown, req: ClientRequest, options: unknown): void {
    if (!req.headersSent) {
      for (const [name, value] of Object.entries(p.plain)) req.setHeader(name, value);
      const cookie = mergeCookies(p.cookie, req.getHeader('cookie'));
      if (cookie !== undefined) req.setHeader('cookie', cookie);
    }
    addRequest.call(this, req, options);
  };
  return agent;
}
