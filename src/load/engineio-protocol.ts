/**
 * The small part of the Engine.IO v4 and socket.io v5 wire formats the engineio probe speaks, as pure functions.
 * Engine.IO v4 (https://socket.io/docs/v4/engine-io-protocol/): a packet is a type digit then data; HTTP
 * long-polling payloads join packets with the record separator \x1e. socket.io packets ride inside Engine.IO
 * `4` (message) packets: `40` namespace connect, `41` disconnect, `42<id>[…]` event with an ack id, `43<id>[…]`
 * ack, `44{…}` connect error.
 */

export const EIO_OPEN = '0';
export const EIO_CLOSE = '1';
export const EIO_PING = '2';
export const EIO_PONG = '3';
export const EIO_MESSAGE = '4';
export const EIO_UPGRADE = '5';
export const EIO_NOOP = '6';
export const PROBE_PING = '2probe';
export const PROBE_PONG = '3probe';
export const SIO_CONNECT = '40';
export const SIO_DISCONNECT = '41';
const RECORD_SEPARATOR = '\x1e';

/** Engine.IO server error codes in 400 bodies (engine.io Server.errors). */
export const EIO_ERR_UNKNOWN_TRANSPORT = 0;
export const EIO_ERR_UNKNOWN_SID = 1;
export const EIO_ERR_BAD_REQUEST = 3;

export interface OpenPacket {
  sid: string;
  upgrades: string[];
  pingInterval: number;
  pingTimeout: number;
}

export function encodePayload(packets: readonly string[]): string {
  return packets.join(RECORD_SEPARATOR);
}

export function decodePayload(body: string): string[] {
  return body.length === 0 ? [] : body.split(RECORD_SEPARATOR);
}

/** The handshake's open packet (`0{…}`), or undefined when `packet` is not a well-formed one. */
export function parseOpen(packet: string): OpenPacket | undefined {
  if (!packet.startsWith('0{')) return undefined;
  try {
    const v = JSON.parse(packet.slice(1)) as Partial<OpenPacket>;
    if (typeof v.sid !== 'string' || v.sid.length === 0) return undefined;
    return {
      sid: v.sid,
      upgrades: Array.isArray(v.upgrades) ? v.upgrades.filter((u): u is string => typeof u === 'string') : [],
      pingInterval: typeof v.pingInterval === 'number' ? v.pingInterval : 25000,
      pingTimeout: typeof v.pingTimeout === 'number' ? v.pingTimeout : 20000,
    };
  } catch {
    return undefined;
  }
}

/** engine.io's messages for its error codes: a refused upgrade carries only the text, not the JSON. */
const ERROR_MESSAGES: Record<string, number> = { 'Transport unknown': 0, 'Session ID unknown': 1, 'Bad request': 3 };

/**
 * The `code` of an engine.io error body: `{"code":1,"message":"Session ID unknown"}` on polling, the bare
 * message on a refused upgrade (engine.io writes `400 Bad Request` + the message straight to the socket).
 */
export function errorCode(body: string): number | undefined {
  if (!body.startsWith('{')) return ERROR_MESSAGES[body.trim()];
  try {
    const code = (JSON.parse(body) as { code?: unknown }).code;
    return typeof code === 'number' ? code : undefined;
  } catch {
    return undefined;
  }
}

/** Engine.IO message packet carrying a socket.io event with an ack id: `42<id>["echo","<text>"]`. */
export function encodeEcho(id: number, text: string): string {
  return `42${id}${JSON.stringify(['echo', text])}`;
}

/** A socket.io packet inside an Engine.IO message, as far as the probe cares. */
export type SioPacket =
  | { kind: 'connect' }
  | { kind: 'connect_error'; reason: string }
  | { kind: 'disconnect' }
  | { kind: 'ack'; id: number }
  | { kind: 'hello'; backend: string | undefined }
  | { kind: 'other' };

/** Decode the socket.io packet of an Engine.IO message packet (`4…`); binary and namespaced packets are 'other'. */
export function parseSio(packet: string): SioPacket {
  const t = packet.charCodeAt(1);
  if (t === 0x30) return { kind: 'connect' };
  if (t === 0x31) return { kind: 'disconnect' };
  if (t === 0x33) {
    let id = 0;
    let i = 2;
    for (; i < packet.length && i < 18; i++) {
      const c = packet.charCodeAt(i);
      if (c < 0x30 || c > 0x39) break;
      id = id * 10 + (c - 0x30);
    }
    return i > 2 ? { kind: 'ack', id } : { kind: 'other' };
  }
  if (t === 0x34) return { kind: 'connect_error', reason: connectErrorReason(packet.slice(2)) };
  if (t === 0x32 && packet.startsWith('42["hello"')) {
    try {
      const v = JSON.parse(packet.slice(2)) as [string, { backend?: unknown }?];
      const b = v[1]?.backend;
      return { kind: 'hello', backend: typeof b === 'string' ? b : undefined };
    } catch {
      return { kind: 'hello', backend: undefined };
    }
  }
  return { kind: 'other' };
}

/** A connect error's message as a lower_snake code fragment (`Not authorized` → `not_authorized`). */
function connectErrorReason(json: string): string {
  let msg = 'unknown';
  try {
    const v = JSON.parse(json) as { message?: unknown };
    if (typeof v.message === 'string') msg = v.message;
  } catch {
    // keep 'unknown'
  }
  const code = msg.toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_+|_+$/g, '').slice(0, 40);
  return code.length > 0 ? code : 'unknown';
}

/** The polling base of a target: ws→http, wss→https, and the Engine.IO path with a trailing slash. */
export function pollingBase(target: string, path: string): URL {
  const u = new URL(target);
  if (u.protocol === 'ws:') u.protocol = 'http:';
  else if (u.protocol === 'wss:') u.protocol = 'https:';
  u.pathname = path.endsWith('/') ? path : `${path}/`;
  u.search = '';
  u.hash = '';
  return u;
}

/** The same base for the WebSocket transport (http→ws, https→wss). */
export function websocketUrl(base: URL, sid: string): string {
  const u = new URL(base.href);
  u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
  u.search = `?EIO=4&transport=websocket&sid=${encodeURIComponent(sid)}`;
  return u.href;
}

/**
 * A session's cookies: name=value pairs from Set-Cookie, sent back on every request (attributes ignored; the
 * target is one origin). This is what makes cookie-insert balancers (HAProxy `cookie … insert`) work.
 */
export class CookieJar {
  private readonly pairs = new Map<string, string>();

  take(setCookie: string[] | undefined): void {
    if (!setCookie) return;
    for (const line of setCookie) {
      const first = line.split(';', 1)[0] ?? '';
      const eq = first.indexOf('=');
      if (eq <= 0) continue;
      this.pairs.set(first.slice(0, eq).trim(), first.slice(eq + 1).trim());
    }
  }

  /** The Cookie header value, or undefined when empty. */
  header(): string | undefined {
    if (this.pairs.size === 0) return undefined;
    return [...this.pairs].map(([k, v]) => `${k}=${v}`).join('; ');
  }
}

/** A short description of an answer that is not Engine.IO, for the first such failure ("404 text/html: <!DOC…"). */
export function describeAnswer(status: number | undefined, contentType: string | undefined, body: string): string {
  const snippet = body.slice(0, 60).replace(/\s+/g, ' ');
  return `${status ?? '?'} ${contentType ?? 'no content-type'}: ${snippet}`;
}
