/**
 * The HTTP/1.1 upgrade of RFC 6455, both sides, written and parsed by hand: a client writes its request once, as one
 * string; a server answers 101 with one string. No http parser object stays behind after the upgrade, which is most
 * of what a `ws` connection costs beyond its socket.
 */
import { createHash, randomBytes } from 'node:crypto';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
/** Largest response or request head accepted: more is not an upgrade (and would let a peer grow our memory). */
export const MAX_HEAD_BYTES = 16 * 1024;

/** A fresh Sec-WebSocket-Key: 16 random bytes, base64. */
export function newKey(): string {
  return randomBytes(16).toString('base64');
}

/** The Sec-WebSocket-Accept a server must answer `key` with. */
export function acceptFor(key: string): string {
  return createHash('sha1').update(key + GUID).digest('base64');
}

export interface UpgradeRequest {
  /** host[:port] for the Host header. */
  host: string;
  /** Path and query, e.g. `/chat?room=1`. */
  path: string;
  key: string;
  protocols?: readonly string[];
  /** Extra headers (name → value); a Host given here replaces the default. */
  headers?: Readonly<Record<string, string>>;
}

/** The whole request head, ready to write. */
export function upgradeRequest(r: UpgradeRequest): string {
  const extra = r.headers ?? {};
  let host = r.host;
  let lines = '';
  for (const name of Object.keys(extra)) {
    if (name.toLowerCase() === 'host') host = extra[name] as string;
    else lines += `${name}: ${extra[name] as string}\r\n`;
  }
  const protocols = r.protocols !== undefined && r.protocols.length > 0 ? `Sec-WebSocket-Protocol: ${r.protocols.join(',')}\r\n` : '';
  return `GET ${r.path} HTTP/1.1\r\nHost: ${host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
    `Sec-WebSocket-Key: ${r.key}\r\nSec-WebSocket-Version: 13\r\n${protocols}${lines}\r\n`;
}

export interface ParsedHead {
  /** Status code (responses) or 0 (requests). */
  status: number;
  /** Request method and target (requests), empty for responses. */
  method: string;
  target: string;
  /** Header names lower-cased; repeated headers joined with ', '. */
  headers: Record<string, string>;
  /** Bytes of the head, blank line included: what follows is the first frames. */
  length: number;
}

/**
 * Parses an HTTP head at the start of `buf`. undefined: not complete yet (read more, unless `buf` is already over
 * MAX_HEAD_BYTES); throws a RangeError when it is not HTTP.
 */
export function parseHead(buf: Buffer): ParsedHead | undefined {
  const end = buf.indexOf('\r\n\r\n', 0, 'latin1');
  if (end < 0) {
    if (buf.length > MAX_HEAD_BYTES) throw new RangeError(`no end of the HTTP head within ${MAX_HEAD_BYTES} bytes`);
    return undefined;
  }
  const lines = buf.toString('latin1', 0, end).split('\r\n');
  const first = lines[0] ?? '';
  let status = 0;
  let method = '';
  let target = '';
  const response = /^HTTP\/1\.[01] (\d{3})/.exec(first);
  if (response) {
    status = Number(response[1]);
  } else {
    const request = /^([A-Z]+) (\S+) HTTP\/1\.[01]$/.exec(first);
    if (!request) throw new RangeError(`not an HTTP head: ${JSON.stringify(first.slice(0, 80))}`);
    method = request[1] as string;
    target = request[2] as string;
  }
  const headers: Record<string, string> = {};
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i] as string;
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
  }
  return { status, method, target, headers, length: end + 4 };
}

/** Why a 101 does not complete the handshake of `key`, or undefined when it does. */
export function checkUpgradeResponse(head: ParsedHead, key: string): string | undefined {
  if (head.status !== 101) return `HTTP ${head.status} instead of 101`;
  if ((head.headers['upgrade'] ?? '').toLowerCase() !== 'websocket') return 'the 101 has no "Upgrade: websocket"';
  if (head.headers['sec-websocket-accept'] !== acceptFor(key)) return 'the 101 has a wrong Sec-WebSocket-Accept';
  return undefined;
}

/** A server's 101 for `key`, with extra header lines (each `Name: value`). */
export function switchingProtocols(key: string, extra: readonly string[] = []): string {
  let lines = '';
  for (const l of extra) lines += `${l}\r\n`;
  return `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
    `Sec-WebSocket-Accept: ${acceptFor(key)}\r\n${lines}\r\n`;
}
