/**
 * One upgraded connection of the reference ws backend, as small as it can be: a record of a few fields (the frame
 * reader's state, where the close handshake is, two links of the backend's list) and its socket. The socket's
 * listeners are module-level functions shared by every connection (they find the record through one symbol-keyed
 * field of the socket), so a held connection allocates no closure, no parser, no receiver/sender pair — what a `ws`
 * WebSocket carries. Frames come and go through src/wsproto/frame.ts: the client's unmasked in place, ours unmasked.
 *
 * The JSON app (ws-app.ts) and the topics (ws-topics.ts) talk to a connection through AppConn only.
 */
import { isUtf8 } from 'node:buffer';
import type { Socket } from 'node:net';
import {
  CLOSE_PROTOCOL_ERROR, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG, OP_TEXT, closeCode, closePayload, encodeFrame,
  readFrames, type FrameSink, type ReaderState,
} from '../wsproto/frame.js';

/** What the JSON app may do with a connection. */
export interface AppConn {
  /** True until a close frame went either way or the socket ended: only then may it be written to. */
  readonly open: boolean;
  /** Sends one text frame (a string, or UTF-8 bytes already serialised). */
  sendText(data: string | Buffer): void;
  /** Starts the close handshake with `code` (RFC 6455 §7.4) and `reason`. */
  close(code: number, reason?: string): void;
}

/** What the backend does with its connections' traffic: one object per backend, shared by all its connections. */
export interface ConnHost {
  /** Largest message accepted, bytes; a larger one is closed with 1009. */
  readonly maxPayload: number;
  /** A whole data message: `payload` is a view, valid only during the call. */
  onMessage(conn: BackendConn, payload: Buffer, isBinary: boolean): void;
  /** The socket is gone (after a close handshake or not): called once per connection. */
  onClosed(conn: BackendConn): void;
}

/** The peer's close frame must come within this long of ours, or the socket is dropped (as `ws` does). */
const CLOSE_TIMEOUT_MS = 30_000;
const CLOSE_INVALID_PAYLOAD = 1007;
const CONN = Symbol('wsherd.conn');
type TaggedSocket = Socket & { [CONN]?: BackendConn };

const OPEN = 0;
/** We sent a close frame and wait for the peer's. */
const CLOSING = 1;
/** A close frame went both ways, or the protocol broke: nothing more is read or written. */
const DONE = 2;

export class BackendConn implements ReaderState, FrameSink, AppConn {
  pending: Buffer | undefined = undefined;
  pendingFill = 0;
  fragOp = 0;
  frags: Buffer[] | undefined = undefined;
  state = OPEN;
  /** Links of the backend's list of open connections (what close() drops), so that leaving it is O(1). */
  prev: BackendConn | undefined = undefined;
  next: BackendConn | undefined = undefined;

  constructor(readonly socket: Socket, readonly host: ConnHost) {}

  /**
   * Takes over an upgraded socket: the first frames may already be in `head` (the bytes after the request head).
   * The caller has written the 101 and given the socket an 'error' listener (ignoreSocketError).
   */
  attach(head: Buffer): void {
    const s = this.socket as TaggedSocket;
    s[CONN] = this;
    s.on('data', onSocketData);
    s.on('end', onSocketEnd);
    s.on('close', onSocketClose);
    if (head.length > 0) readFrames(this, head, this, this.host.maxPayload);
  }

  get open(): boolean {
    return this.state === OPEN;
  }

  sendText(data: string | Buffer): void {
    if (this.state === OPEN) this.socket.write(encodeFrame(OP_TEXT, data, false));
  }

  send(payload: Buffer, isBinary: boolean): void {
    if (this.state === OPEN) this.socket.write(encodeFrame(isBinary ? OP_BINARY : OP_TEXT, payload, false));
  }

  close(code: number, reason = ''): void {
    if (this.state !== OPEN) return;
    this.state = CLOSING;
    this.socket.write(encodeFrame(OP_CLOSE, closePayload(code, reason), false));
    this.socket.setTimeout(CLOSE_TIMEOUT_MS, onCloseTimeout);
  }

  onFrame(opcode: number, payload: Buffer): void {
    if (this.state === DONE) return;
    if (opcode === OP_CLOSE) return this.onClose(payload);
    if (this.state !== OPEN) return; // after our close frame, data and pings are not answered (RFC 6455 §5.5.1)
    if (opcode === OP_TEXT) {
      if (!isUtf8(payload)) return this.fail('a text frame that is not UTF-8', CLOSE_INVALID_PAYLOAD);
      this.host.onMessage(this, payload, false);
    } else if (opcode === OP_BINARY) {
      this.host.onMessage(this, payload, true);
    } else if (opcode === OP_PING) {
      this.socket.write(encodeFrame(OP_PONG, payload, false));
    }
    // OP_PONG: nothing to do; we send no pings.
  }

  onProtocolError(_reason: string, code: number): void {
    this.fail(_reason, code);
  }

  /** The peer broke the protocol: our close frame with `code`, then the end of the socket (as `ws` answers). */
  private fail(_reason: string, code: number): void {
    if (this.state === DONE) return;
    if (this.state === OPEN) this.socket.write(encodeFrame(OP_CLOSE, closePayload(code), false));
    this.state = DONE;
    this.pending = undefined;
    this.frags = undefined;
    this.socket.end();
  }

  /** The peer's close frame: answered with the same code and reason (unless we sent ours first), then the end. */
  private onClose(payload: Buffer): void {
    if (payload.length === 1) return this.fail('a close frame with a 1-byte payload', CLOSE_PROTOCOL_ERROR);
    if (payload.length >= 2) {
      if (!validCloseCode(closeCode(payload))) return this.fail('an invalid close code', CLOSE_PROTOCOL_ERROR);
      if (!isUtf8(payload.subarray(2))) return this.fail('a close reason that is not UTF-8', CLOSE_INVALID_PAYLOAD);
    }
    if (this.state === OPEN) this.socket.write(encodeFrame(OP_CLOSE, payload, false));
    this.state = DONE;
    this.socket.end();
  }
}

/** Close codes a peer may send (RFC 6455 §7.4.1, §7.4.2; the same set `ws` accepts). */
function validCloseCode(code: number): boolean {
  return (code >= 1000 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006) || (code >= 3000 && code <= 4999);
}

function onSocketData(this: TaggedSocket, chunk: Buffer): void {
  const c = this[CONN];
  if (c !== undefined && c.state !== DONE) readFrames(c, chunk, c, c.host.maxPayload);
}

/** The peer's FIN (the upgrade's http.Server allows half-open sockets): we end too. */
function onSocketEnd(this: TaggedSocket): void {
  this.end();
}

function onSocketClose(this: TaggedSocket): void {
  const c = this[CONN];
  if (c === undefined) return;
  this[CONN] = undefined;
  c.state = DONE;
  c.pending = undefined;
  c.frags = undefined;
  c.host.onClosed(c);
}

function onCloseTimeout(this: Socket): void {
  this.destroy();
}

/** A peer reset is routine under load; a socket without an 'error' listener would crash the process on one. */
export function ignoreSocketError(): void {}
