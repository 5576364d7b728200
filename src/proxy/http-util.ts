/** HTTP details the L7 proxy needs in both its request and its upgrade path. */
import type http from 'node:http';
import type net from 'node:net';

/** Hop-by-hop headers (RFC 9110 §7.6.1): they describe one connection and are never forwarded. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'proxy-authenticate', 'proxy-authorization']);

/** The header that says why the proxy itself answered (5xx/4xx), e.g. `upstream-ports-exhausted`. */
export const REASON_HEADER = 'x-wsherd-reason';

/**
 * Raw header pairs without hop-by-hop ones and without those the Connection header names. With `keepUpgrade`
 * (WebSocket upgrades) `Connection: Upgrade` and `Upgrade` pass, as the handshake needs them.
 */
export function endToEndHeaders(raw: readonly string[], keepUpgrade = false): string[] {
  const named = new Set<string>();
  for (let i = 0; i < raw.length; i += 2) {
    if ((raw[i] as string).toLowerCase() === 'connection') {
      for (const token of (raw[i + 1] as string).split(',')) named.add(token.trim().toLowerCase());
    }
  }
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = (raw[i] as string).toLowerCase();
    const pass = keepUpgrade && (name === 'connection' || name === 'upgrade');
    if (!pass && (HOP_BY_HOP.has(name) || named.has(name))) continue;
    out.push(raw[i] as string, raw[i + 1] as string);
  }
  return out;
}

/** Appends the client address to X-Forwarded-For and sets X-Forwarded-Proto, as HAProxy `option forwardfor` and nginx do. */
export function addForwarded(headers: string[], req: http.IncomingMessage, encrypted: boolean): string[] {
  const client = req.socket.remoteAddress ?? '';
  let prior: string | undefined;
  const out: string[] = [];
  for (let i = 0; i < headers.length; i += 2) {
    const name = (headers[i] as string).toLowerCase();
    if (name === 'x-forwarded-for') prior = prior === undefined ? headers[i + 1] : `${prior}, ${headers[i + 1]}`;
    else if (name !== 'x-forwarded-proto') out.push(headers[i] as string, headers[i + 1] as string);
  }
  out.push('X-Forwarded-For', prior === undefined ? client : `${prior}, ${client}`, 'X-Forwarded-Proto', encrypted ? 'https' : 'http');
  return out;
}

/** The reason phrase Node knows for a status, for hand-written responses. */
const PHRASES: Record<number, string> = { 400: 'Bad Request', 408: 'Request Timeout', 431: 'Request Header Fields Too Large', 502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Timeout' };

/** A complete `Connection: close` response the proxy itself gives, with the reason header and a one-line body. */
export function proxyResponse(status: number, reason: string, text: string): string {
  const body = `${text}\n`;
  return (
    `HTTP/1.1 ${status} ${PHRASES[status] ?? 'Error'}\r\n` +
    `Content-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
    `${REASON_HEADER}: ${reason}\r\nConnection: close\r\n\r\n${body}`
  );
}

/**
 * How long a refused socket may linger after its answer for the client to read it and close (HAProxy and nginx
 * linger the same way, so unread input does not turn the close into an RST that eats the answer).
 */
export const REFUSED_LINGER_MS = 2000;

/**
 * Writes proxyResponse on a raw socket (upgrade path, malformed requests) and closes it. The socket is read (and
 * the input dropped) until it closes: a socket nobody reads never sees the client's FIN or RST, and Node keeps its
 * fd for ever although the kernel has long dropped the connection. The linger is bounded.
 */
export function rejectSocket(socket: net.Socket, status: number, reason: string, text: string): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  socket.on('error', () => {});
  socket.resume();
  socket.end(proxyResponse(status, reason, text));
  const timer = setTimeout(() => socket.destroy(), REFUSED_LINGER_MS);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
}

/** Status and reason for a failed upstream connect, by error code; undefined: the backend's fault (retry/502). */
export function ownLimitAnswer(code: string): { status: number; reason: string; text: string } | undefined {
  if (code === 'EADDRNOTAVAIL' || code === 'EADDRINUSE') {
    return { status: 503, reason: 'upstream-ports-exhausted', text: 'The proxy has no free local port towards this backend (ephemeral ports exhausted).' };
  }
  if (code === 'EMFILE' || code === 'ENFILE') {
    return { status: 503, reason: 'proxy-fds-exhausted', text: 'The proxy is out of file descriptors.' };
  }
  return undefined;
}

export interface ParsedHead {
  /** e.g. `HTTP/1.1 101 Switching Protocols`, passed on as it came. */
  statusLine: string;
  statusCode: number;
  /** Raw header pairs as received. */
  raw: string[];
  /** Lower-cased header map (repeated headers joined as arrays), for strategies. */
  headers: Record<string, string | string[]>;
  /** Bytes after the head (the first WebSocket frames, if the backend sent them with the 101). */
  rest: Buffer;
}

const MAX_HEAD = 16 * 1024;

/**
 * Parses a response head from accumulated bytes: undefined while incomplete; throws when it is longer than 16 KiB
 * or not HTTP/1.x, which a WebSocket backend never sends.
 */
export function parseResponseHead(buf: Buffer): ParsedHead | undefined {
  const end = buf.indexOf('\r\n\r\n');
  if (end < 0) {
    if (buf.length > MAX_HEAD) throw new Error('response head over 16 KiB');
    return undefined;
  }
  const lines = buf.subarray(0, end).toString('latin1').split('\r\n');
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '');
  if (!m) throw new Error('not an HTTP/1.x response');
  const raw: string[] = [];
  const headers: Record<string, string | string[]> = {};
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim();
    const value = line.slice(colon + 1).trim();
    raw.push(name, value);
    const key = name.toLowerCase();
    const prev = headers[key];
    headers[key] = prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [prev, value];
  }
  return { statusLine: lines[0] as string, statusCode: Number(m[1]), raw, headers, rest: buf.subarray(end + 4) };
}

/** Serializes a status line and raw header pairs (latin1, as HTTP/1.1 heads are). */
export function serializeHead(firstLine: string, raw: readonly string[]): Buffer {
  let text = `${firstLine}\r\n`;
  for (let i = 0; i < raw.length; i += 2) text += `${raw[i]}: ${raw[i + 1]}\r\n`;
  return Buffer.from(`${text}\r\n`, 'latin1');
}
