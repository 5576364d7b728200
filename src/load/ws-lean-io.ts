/**
 * The socket side of the lean ws client (ws-lean.ts): where it connects (a parsed target, cached per URL), the one
 * upgrade request string, the measured message written straight into its frame, and the socket's handlers —
 * module-level functions that find their client under LEAN on the socket, so a connection costs no closure.
 *
 * Reads go through net's `onread` into ONE buffer per worker process (plain TCP and TLS alike: Node 20's TLSSocket
 * honours it too), so an idle connection holds no read buffer of its own. What a read hands on is a view into that
 * buffer, valid until the next read: the client copies what it keeps (the codec's pending bytes, a partial head).
 */
import net from 'node:net';
import tls from 'node:tls';
import { randomFillSync } from 'node:crypto';
import { MESSAGE_PREFIX } from '../backend/identity.js';
import { OP_TEXT, maskFrame } from '../wsproto/frame.js';

/** Where the socket keeps its client. */
export const LEAN = Symbol('wsherd.lean');

/** The socket events the client handles (its @internal methods). */
export interface LeanHandlers {
  onConnected(): void;
  onBytes(chunk: Buffer): void;
  onSocketError(err: unknown): void;
  onSocketClose(): void;
}

export type LeanSocket = net.Socket & { [LEAN]?: LeanHandlers };

/**
 * The shared read buffer. 64 KiB, as Node's own default read size: a read never returns more than fits, so a larger
 * frame arrives over several reads and the codec copies it once into a buffer of its size.
 */
const READ_BUFFER = Buffer.allocUnsafe(64 * 1024);

function onRead(this: LeanSocket, nread: number, buf: Buffer): boolean {
  this[LEAN]?.onBytes(buf.subarray(0, nread));
  return true;
}
function onConnect(this: LeanSocket): void {
  this[LEAN]?.onConnected();
}
function onError(this: LeanSocket, err: Error): void {
  this[LEAN]?.onSocketError(err);
}
function onClose(this: LeanSocket): void {
  this[LEAN]?.onSocketClose();
}

/** Where a URL connects: parsed once per distinct URL (a scenario has one, or one per query template value). */
export interface LeanTarget {
  readonly secure: boolean;
  /** For net/tls.connect (an IPv6 address without its brackets). */
  readonly host: string;
  readonly port: number;
  /** Path and query. */
  readonly path: string;
  /** The Host header as Node's http writes it: the port only when it is not the scheme's default. */
  readonly hostHeader: string;
  /** TLS SNI: the host name, none for an address (what ws sends). */
  readonly servername: string;
  /** `Authorization: Basic …` from user:password in the URL (as ws sends it), else undefined. */
  readonly authorization: string | undefined;
}

const targets = new Map<string, LeanTarget>();
/** A query template per client makes every URL distinct: the cache then stops growing instead of holding them all. */
const MAX_CACHED_TARGETS = 1024;

/** The target of a ws://, wss://, http:// or https:// URL (throws a TypeError / SyntaxError for anything else). */
export function leanTarget(url: string): LeanTarget {
  const hit = targets.get(url);
  if (hit !== undefined) return hit;
  const u = new URL(url);
  const secure = u.protocol === 'wss:' || u.protocol === 'https:';
  if (!secure && u.protocol !== 'ws:' && u.protocol !== 'http:') throw new SyntaxError(`The URL's protocol must be one of "ws:", "wss:", "http:", "https:" (got ${u.protocol})`);
  const defaultPort = secure ? 443 : 80;
  const port = u.port === '' ? defaultPort : Number(u.port);
  const host = u.hostname.startsWith('[') ? u.hostname.slice(1, -1) : u.hostname;
  const t: LeanTarget = {
    secure,
    host,
    port,
    path: `${u.pathname || '/'}${u.search}`,
    hostHeader: `${u.hostname}${port === defaultPort ? '' : `:${port}`}`,
    servername: net.isIP(host) ? '' : host,
    authorization: u.username === '' && u.password === ''
      ? undefined
      : `Basic ${Buffer.from(`${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`).toString('base64')}`,
  };
  if (targets.size >= MAX_CACHED_TARGETS) targets.clear();
  targets.set(url, t);
  return t;
}

export interface LeanConnectOptions {
  localAddress?: string | undefined;
  /** With localAddress: the port to bind (source-ports.ts); 0 or absent lets the kernel pick. */
  localPort?: number | undefined;
  servername?: string | undefined;
  rejectUnauthorized: boolean;
  ca?: string | undefined;
}

/** Opens the socket, tagged with its client, its handlers attached; 'connect' (TCP) or 'secureConnect' (TLS). */
export function openSocket(t: LeanTarget, o: LeanConnectOptions, client: LeanHandlers): LeanSocket {
  const onread = { buffer: READ_BUFFER, callback: onRead };
  const local = o.localAddress === undefined || o.localAddress === ''
    ? {}
    : o.localPort === undefined || o.localPort === 0 ? { localAddress: o.localAddress } : { localAddress: o.localAddress, localPort: o.localPort };
  let socket: LeanSocket;
  if (t.secure) {
    socket = tls.connect({
      host: t.host,
      port: t.port,
      ...local,
      servername: o.servername ?? t.servername,
      rejectUnauthorized: o.rejectUnauthorized,
      ...(o.ca === undefined ? {} : { ca: o.ca }),
      onread,
    } as unknown as tls.ConnectionOptions) as LeanSocket;
    socket.on('secureConnect', onConnect);
  } else {
    socket = net.connect({ host: t.host, port: t.port, ...local, onread }) as LeanSocket;
    socket.on('connect', onConnect);
  }
  // ws sets it on every socket: a small frame leaves now rather than waiting for Nagle (a round trip's worth).
  socket.setNoDelay(true);
  socket[LEAN] = client;
  socket.on('error', onError);
  socket.on('close', onClose);
  return socket;
}

// Sec-WebSocket-Key bytes come from a pool refilled when spent, like the masking keys (one getrandom per 256 keys).
const KEY_POOL = Buffer.allocUnsafe(4096);
let keyAt = KEY_POOL.length;

/** A fresh Sec-WebSocket-Key: 16 random bytes, base64. */
export function pooledKey(): string {
  if (keyAt + 16 > KEY_POOL.length) {
    randomFillSync(KEY_POOL);
    keyAt = 0;
  }
  const key = KEY_POOL.toString('base64', keyAt, keyAt + 16);
  keyAt += 16;
  return key;
}

const PREFIX = Buffer.from(MESSAGE_PREFIX, 'latin1');
const X = 0x78;
const COLON = 0x3a;

function digits(n: number): number {
  let d = 1;
  for (let v = n; v >= 10; v = Math.floor(v / 10)) d++;
  return d;
}

/**
 * The measured message `wsherd:m:<seq>:xxx…` (exactly encodeMessage(seq, payloadBytes)) written straight into one
 * masked text frame: one allocation per send, no string. Returns the frame; its payload length is `frameText(…)`.
 */
export function echoFrame(seq: number, payloadBytes: number): Buffer {
  const nd = digits(seq);
  const headLen = PREFIX.length + nd + 1;
  const len = Math.max(payloadBytes, headLen);
  const head = (len < 126 ? 2 : len < 65536 ? 4 : 10) + 4;
  const out = Buffer.allocUnsafe(head + len);
  out[0] = 0x80 | OP_TEXT;
  if (len < 126) {
    out[1] = 0x80 | len;
  } else if (len < 65536) {
    out[1] = 0x80 | 126;
    out.writeUInt16BE(len, 2);
  } else {
    out[1] = 0x80 | 127;
    out.writeUInt32BE(Math.floor(len / 2 ** 32), 2);
    out.writeUInt32BE(len >>> 0, 6);
  }
  let at = head + PREFIX.copy(out, head);
  for (let i = nd - 1, v = seq; i >= 0; i--, v = Math.floor(v / 10)) out[at + i] = 0x30 + (v % 10);
  at += nd;
  out[at++] = COLON;
  if (at < out.length) out.fill(X, at);
  maskFrame(out, head, len);
  return out;
}

/** The payload length of echoFrame(seq, payloadBytes): the text's length. */
export function echoLength(seq: number, payloadBytes: number): number {
  return Math.max(payloadBytes, PREFIX.length + digits(seq) + 1);
}
