/**
 * Malformed WebSocket traffic after a good upgrade (RFC 6455 §5): reserved bits, unknown opcodes, unmasked client
 * frames, control frames over 125 bytes or fragmented, continuations with nothing to continue, invalid UTF-8,
 * bad close codes, 64-bit lengths with the top bit set or far beyond what is sent; and well-framed Engine.IO /
 * socket.io packets with junk inside, for the socket.io backend.
 */
import type { Rng } from './prng.js';
import { upgradeHead } from './gen-http.js';
import { pickLeave, type WireInput } from './wire.js';

export interface Frame {
  fin?: boolean;
  rsv?: number;
  opcode: number;
  masked?: boolean;
  payload: Buffer;
  /** Declared length when it should lie about the payload. */
  declared?: number | bigint;
}

export function encodeFrame(f: Frame): Buffer {
  const len = f.declared ?? f.payload.length;
  const masked = f.masked ?? true;
  const b0 = ((f.fin ?? true) ? 0x80 : 0) | (((f.rsv ?? 0) & 7) << 4) | (f.opcode & 0xf);
  let head: Buffer;
  if (typeof len === 'bigint' || len > 65535) {
    head = Buffer.alloc(10);
    head[1] = 127;
    head.writeBigUInt64BE(BigInt(len), 2);
  } else if (len > 125) {
    head = Buffer.alloc(4);
    head[1] = 126;
    head.writeUInt16BE(len, 2);
  } else {
    head = Buffer.alloc(2);
    head[1] = len;
  }
  head[0] = b0;
  if (!masked) return Buffer.concat([head, f.payload]);
  head[1] = (head[1] as number) | 0x80;
  const mask = Buffer.from([0x37, 0xfa, 0x21, 0x3d]);
  const body = Buffer.from(f.payload.map((x, i) => x ^ (mask[i % 4] as number)));
  return Buffer.concat([head, mask, body]);
}

const text = (s: string): Buffer => Buffer.from(s, 'utf8');

/** Engine.IO v4 / socket.io v5 packets, mostly wrong. */
const ENGINE_PACKETS = ['2probe', '5', '2', '3', '4', '6', '1', '0', '9', '', '40', '40/nope,', '41', '42["echo","x"]', '42[', '42["echo"', '421["echo",{}]', '43', '44{"message":1}', '451-["message",{"_placeholder":true,"num":99}]', '45999999999-["x"]', '4' + 'x'.repeat(300), 'b' + 'AAAA', 'bzz=='];

type FrameMaker = (rng: Rng, engine: boolean) => [Buffer, string];

const FRAMES: FrameMaker[] = [
  (rng) => [encodeFrame({ opcode: 1, rsv: rng.int(1, 7), payload: text('x') }), 'reserved bits'],
  (rng) => [encodeFrame({ opcode: rng.pick([3, 4, 5, 6, 7, 11, 12, 13, 14, 15]), payload: rng.bytes(rng.size(64)) }), 'unknown opcode'],
  (rng) => [encodeFrame({ opcode: 1, masked: false, payload: text(rng.text(rng.size(40))) }), 'unmasked client frame'],
  (rng) => [encodeFrame({ opcode: rng.pick([8, 9, 10]), payload: rng.bytes(rng.int(126, 300)) }), 'control frame over 125 bytes'],
  (rng) => [encodeFrame({ opcode: rng.pick([9, 10]), fin: false, payload: rng.bytes(4) }), 'fragmented control frame'],
  (rng) => [encodeFrame({ opcode: 0, payload: rng.bytes(rng.size(50)) }), 'continuation with nothing to continue'],
  (rng) => [Buffer.concat([encodeFrame({ opcode: 1, fin: false, payload: text('a') }), encodeFrame({ opcode: rng.pick([1, 2]), payload: text('b') })]), 'new data frame inside a fragmented message'],
  () => [encodeFrame({ opcode: 1, payload: Buffer.from([0xc3, 0x28, 0xff, 0xfe]) }), 'invalid UTF-8 text'],
  (rng) => {
    const p = Buffer.alloc(2);
    p.writeUInt16BE(rng.pick([0, 999, 1004, 1005, 1006, 1015, 2999, 5000, 65535]));
    return [encodeFrame({ opcode: 8, payload: rng.chance(0.2) ? Buffer.from([3]) : p }), 'bad close code'];
  },
  () => [encodeFrame({ opcode: 8, payload: Buffer.concat([Buffer.from([3, 232]), Buffer.from([0xff, 0xfe])]) }), 'close reason not UTF-8'],
  () => [encodeFrame({ opcode: 2, payload: Buffer.alloc(0), declared: 0x8000000000000000n }), '64-bit length with the top bit set'],
  (rng) => [encodeFrame({ opcode: 2, payload: rng.bytes(rng.size(100)), declared: rng.pick([1 << 20, 1 << 25, 2 ** 40]) }), 'declared length far beyond what is sent'],
  (rng) => [rng.bytes(rng.int(1, 64)), 'random bytes'],
  (rng) => [encodeFrame({ opcode: 1, payload: text(rng.text(rng.size(30))) }).subarray(0, rng.int(1, 5)), 'truncated frame head'],
  (rng) => {
    const frames: Buffer[] = [];
    for (let i = 0; i < rng.int(50, 400); i++) frames.push(encodeFrame({ opcode: 9, payload: rng.bytes(rng.int(0, 125)) }));
    return [Buffer.concat(frames), 'ping flood'];
  },
  (rng) => [encodeFrame({ opcode: 1, payload: rng.bytes(rng.pick([70000, 1 << 20])) }), 'large message'],
  (rng, engine) => [encodeFrame({ opcode: rng.chance(0.8) ? 1 : 2, payload: text(engine ? rng.pick(ENGINE_PACKETS) : rng.text(rng.size(200))) }), engine ? 'junk Engine.IO packet' : 'text message'],
];

/** A good upgrade to `target`, then 1–4 frames of which most are malformed, then a random way of leaving. */
export function genWs(rng: Rng, target: string, opts: { engine?: boolean; headers?: Array<[string, string]> } = {}): WireInput {
  const engine = opts.engine ?? false;
  const chunks: Buffer[] = [upgradeHead(target, opts.headers)];
  const labels: string[] = [];
  if (engine && rng.chance(0.5)) chunks.push(encodeFrame({ opcode: 1, payload: text('2probe') }));
  const n = rng.int(1, 4);
  for (let i = 0; i < n; i++) {
    const [bytes, label] = rng.pick(FRAMES)(rng, engine);
    chunks.push(bytes);
    labels.push(label);
  }
  return { label: `ws ${target}: ${labels.join(', ')}`, chunks, leave: pickLeave(rng) };
}
