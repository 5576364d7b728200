/**
 * RFC 6455 framing, small enough to sit under a hundred thousand connections: one function writes a frame, one reads
 * every complete frame out of a chunk. The reader keeps its state in fields of the caller's own connection record
 * (ReaderState), not in an object of its own, so a held connection costs no more than its record and its socket.
 *
 * Payloads handed to the sink are views into the chunk (or into the one buffer a fragmented message was joined in):
 * valid only during the call. With net.Socket's `onread` the chunk is a shared read buffer that the next read
 * overwrites, which is what makes an idle connection cost no buffer at all; a sink that keeps a payload copies it.
 */
import { randomFillSync } from 'node:crypto';

export const OP_CONTINUATION = 0x0;
export const OP_TEXT = 0x1;
export const OP_BINARY = 0x2;
export const OP_CLOSE = 0x8;
export const OP_PING = 0x9;
export const OP_PONG = 0xa;

/** Close codes the reader reports with a protocol error (RFC 6455 §7.4.1). */
export const CLOSE_PROTOCOL_ERROR = 1002;
export const CLOSE_TOO_BIG = 1009;

/** Where a connection keeps what the reader has not finished with. Fields of the caller's record. */
export interface ReaderState {
  /**
   * Bytes of a frame not complete yet (a copy: the chunk they came in is reused). Once the frame's header is known,
   * a buffer of the whole frame's size, filled up to pendingFill; before that, just the bytes (pendingFill = length).
   */
  pending: Buffer | undefined;
  pendingFill: number;
  /** Opcode of the fragmented message being assembled (0 when none). */
  fragOp: number;
  /** Its fragments so far (copies). */
  frags: Buffer[] | undefined;
}

export interface FrameSink {
  /** A whole data message (text or binary, fragments joined) or a control frame. `payload` is a view: copy to keep. */
  onFrame(opcode: number, payload: Buffer): void;
  /** The peer broke the protocol: the caller closes with `code`. Nothing more is read from this chunk. */
  onProtocolError(reason: string, code: number): void;
}

// Masking keys for client frames come from a pool of random bytes, refilled when spent: one getrandom call per 2,048
// frames instead of one per frame. RFC 6455 asks for unpredictable keys so that a frame cannot be crafted to look like
// something else to an intermediary; the pool keeps them random.
const MASK_POOL = Buffer.allocUnsafe(8192);
let maskAt = MASK_POOL.length;

function nextMask(): number {
  if (maskAt + 4 > MASK_POOL.length) {
    randomFillSync(MASK_POOL);
    maskAt = 0;
  }
  const at = maskAt;
  maskAt += 4;
  return at;
}

/** The frame header's length for a payload of `len` bytes. */
function headerLength(len: number, masked: boolean): number {
  return (len < 126 ? 2 : len < 65536 ? 4 : 10) + (masked ? 4 : 0);
}

/**
 * One frame (FIN set unless `fin` is false) in one buffer: header, then the payload, masked when `masked` (every
 * client-to-server frame must be). A string payload is written as UTF-8 straight into the frame.
 */
export function encodeFrame(opcode: number, payload: Buffer | string, masked: boolean, fin = true): Buffer {
  const len = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length;
  const head = headerLength(len, masked);
  const out = Buffer.allocUnsafe(head + len);
  out[0] = (fin ? 0x80 : 0) | opcode;
  const maskBit = masked ? 0x80 : 0;
  if (len < 126) {
    out[1] = maskBit | len;
  } else if (len < 65536) {
    out[1] = maskBit | 126;
    out.writeUInt16BE(len, 2);
  } else {
    out[1] = maskBit | 127;
    out.writeUInt32BE(Math.floor(len / 2 ** 32), 2);
    out.writeUInt32BE(len >>> 0, 6);
  }
  if (typeof payload === 'string') out.write(payload, head, 'utf8');
  else payload.copy(out, head);
  if (masked) {
    const at = nextMask();
    const keyAt = head - 4;
    MASK_POOL.copy(out, keyAt, at, at + 4);
    applyMask(out, head, len, MASK_POOL, at);
  }
  return out;
}

/**
 * Masks a frame written in place by its caller (header with the mask bit set, 4 bytes left for the key before the
 * payload at `head`): picks a key from the pool, writes it, XORs the `len` payload bytes. For writers that build
 * a frame straight into its buffer (the lean client's measured message) instead of calling encodeFrame.
 */
export function maskFrame(out: Buffer, head: number, len: number): void {
  const at = nextMask();
  MASK_POOL.copy(out, head - 4, at, at + 4);
  applyMask(out, head, len, MASK_POOL, at);
}

/** A close frame's payload: the code, then the reason (UTF-8, at most 123 bytes so the frame stays a control frame). */
export function closePayload(code: number, reason = ''): Buffer {
  const text = Buffer.from(reason, 'utf8').subarray(0, 123);
  const out = Buffer.allocUnsafe(2 + text.length);
  out.writeUInt16BE(code, 0);
  text.copy(out, 2);
  return out;
}

/** The code of a close frame's payload: 1005 (no status) when it has none. */
export function closeCode(payload: Buffer): number {
  return payload.length >= 2 ? payload.readUInt16BE(0) : 1005;
}

/** XOR `len` bytes of `buf` from `at` with the 4-byte key at `key[keyAt..]`, in place. */
function applyMask(buf: Buffer, at: number, len: number, key: Buffer, keyAt: number): void {
  const k0 = key[keyAt] as number;
  const k1 = key[keyAt + 1] as number;
  const k2 = key[keyAt + 2] as number;
  const k3 = key[keyAt + 3] as number;
  let i = 0;
  for (; i + 3 < len; i += 4) {
    buf[at + i] = (buf[at + i] as number) ^ k0;
    buf[at + i + 1] = (buf[at + i + 1] as number) ^ k1;
    buf[at + i + 2] = (buf[at + i + 2] as number) ^ k2;
    buf[at + i + 3] = (buf[at + i + 3] as number) ^ k3;
  }
  for (; i < len; i++) buf[at + i] = (buf[at + i] as number) ^ (key[keyAt + (i & 3)] as number);
}

/**
 * Reads every complete frame of `state.pending` + `chunk`, in order, into the sink; keeps (copies) the incomplete
 * rest in state.pending. Masked frames are unmasked in place (a server reading clients' frames). Payloads above
 * `maxPayload` bytes (a message, fragments joined) are a protocol error (code 1009), as are control frames that are
 * fragmented or longer than 125 bytes, and continuations without a start.
 */
export function readFrames(state: ReaderState, chunk: Buffer, sink: FrameSink, maxPayload: number): void {
  let buf = chunk;
  const pending = state.pending;
  if (pending !== undefined) {
    state.pending = undefined;
    if (state.pendingFill < pending.length) {
      // A frame of known size: fill it, so a large frame split over many reads is copied once, not once per read.
      const n = Math.min(pending.length - state.pendingFill, chunk.length);
      chunk.copy(pending, state.pendingFill, 0, n);
      state.pendingFill += n;
      if (state.pendingFill < pending.length) {
        state.pending = pending;
        return;
      }
      if (readFrom(state, pending, sink, maxPayload) !== pending.length) return;
      buf = chunk.subarray(n);
    } else {
      buf = Buffer.concat([pending, chunk]);
    }
  }
  readFrom(state, buf, sink, maxPayload);
}

/** Reads the frames of `buf` and keeps the incomplete rest; returns how far it got (-1 after a protocol error). */
function readFrom(state: ReaderState, buf: Buffer, sink: FrameSink, maxPayload: number): number {
  let at = 0;
  while (buf.length - at >= 2) {
    const b0 = buf[at] as number;
    const b1 = buf[at + 1] as number;
    const fin = (b0 & 0x80) !== 0;
    const opcode = b0 & 0x0f;
    const masked = (b1 & 0x80) !== 0;
    let len = b1 & 0x7f;
    let head = 2;
    if (len === 126) {
      if (buf.length - at < 4) break;
      len = buf.readUInt16BE(at + 2);
      head = 4;
    } else if (len === 127) {
      if (buf.length - at < 10) break;
      // Anything past 2^53 is no frame a peer of ours sends; the size check below refuses it either way.
      len = buf.readUInt32BE(at + 2) * 2 ** 32 + buf.readUInt32BE(at + 6);
      head = 10;
    }
    if (masked) head += 4;
    const control = opcode >= 0x8;
    const error = (b0 & 0x70) !== 0 ? 'reserved bits set (no extension was negotiated)'
      : control && (!fin || len > 125) ? 'a control frame fragmented or longer than 125 bytes'
      : !control && opcode > OP_BINARY ? `unknown opcode ${opcode}` : undefined;
    if (error !== undefined) return protocolError(state, sink, error, CLOSE_PROTOCOL_ERROR);
    if (len > maxPayload) return protocolError(state, sink, `a ${len}-byte frame is over the ${maxPayload}-byte limit`, CLOSE_TOO_BIG);
    if (buf.length - at < head + len) {
      const whole = Buffer.allocUnsafe(head + len);
      state.pendingFill = buf.copy(whole, 0, at);
      state.pending = whole;
      return buf.length;
    }
    const start = at + head;
    if (masked) applyMask(buf, start, len, buf, start - 4);
    const payload = buf.subarray(start, start + len);
    at = start + len;
    if (control) {
      sink.onFrame(opcode, payload);
    } else if (opcode === OP_CONTINUATION) {
      if (state.fragOp === 0) return protocolError(state, sink, 'a continuation frame without a message to continue', CLOSE_PROTOCOL_ERROR);
      const frags = state.frags ?? [];
      frags.push(Buffer.from(payload));
      state.frags = frags;
      let total = 0;
      for (const f of frags) total += f.length;
      if (total > maxPayload) return protocolError(state, sink, `a ${total}-byte message is over the ${maxPayload}-byte limit`, CLOSE_TOO_BIG);
      if (fin) {
        const op = state.fragOp;
        state.fragOp = 0;
        state.frags = undefined;
        sink.onFrame(op, Buffer.concat(frags, total));
      }
    } else if (state.fragOp !== 0) {
      return protocolError(state, sink, 'a new message began inside a fragmented one', CLOSE_PROTOCOL_ERROR);
    } else if (fin) {
      sink.onFrame(opcode, payload);
    } else {
      state.fragOp = opcode;
      state.frags = [Buffer.from(payload)];
    }
  }
  if (at < buf.length) {
    // Not even a whole header yet: kept as it is (pendingFill = length says its size is not known).
    state.pending = Buffer.from(buf.subarray(at));
    state.pendingFill = state.pending.length;
  }
  return buf.length;
}

function protocolError(state: ReaderState, sink: FrameSink, reason: string, code: number): number {
  state.pending = undefined;
  state.frags = undefined;
  state.fragOp = 0;
  sink.onProtocolError(reason, code);
  return -1;
}
