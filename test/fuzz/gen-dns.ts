/**
 * Malformed DNS queries (RFC 1035 §4): truncated headers, counts that disagree with the body, labels over 63
 * bytes or running past the end, compression pointers that loop or point forward, names over 255 bytes, wrong
 * opcodes and the QR bit, EDNS OPT records with lying lengths, and plain noise.
 */
import { buildQuery } from '../../src/dns/packet.js';
import type { Rng } from './prng.js';

type Mutation = (rng: Rng, q: Buffer) => [Buffer, string];

const MUTATIONS: Mutation[] = [
  (rng, q) => [q.subarray(0, rng.int(0, q.length - 1)), 'truncated'],
  (rng, q) => {
    const b = Buffer.from(q);
    b.writeUInt16BE(rng.pick([0, 2, 100, 65535]), 4);
    return [b, 'question count lies'];
  },
  (rng, q) => {
    const b = Buffer.from(q);
    b.writeUInt16BE(rng.int(1, 65535), rng.pick([6, 8, 10]));
    return [b, 'answer/authority/additional counts set'];
  },
  (rng, q) => {
    const b = Buffer.from(q);
    b[2] = ((b[2] as number) & 0x87) | (rng.int(1, 15) << 3);
    return [b, 'unknown opcode'];
  },
  (rng, q) => {
    const b = Buffer.from(q);
    b[2] = (b[2] as number) | 0x80;
    return [b, 'QR bit set (a response)'];
  },
  (rng, q) => {
    const b = Buffer.from(q);
    b[12] = rng.pick([64, 100, 191, 255]);
    return [b, 'label length over 63'];
  },
  (rng, q) => {
    const b = Buffer.from(q);
    b[12] = 60;
    return [b.subarray(0, 20), 'label runs past the end'];
  },
  () => {
    // A name that is only a pointer to itself (offset 12): a naive reader loops for ever.
    const b = Buffer.alloc(18);
    b.writeUInt16BE(0x1234, 0);
    b.writeUInt16BE(1, 4);
    b.writeUInt16BE(0xc00c, 12);
    b.writeUInt16BE(1, 14);
    b.writeUInt16BE(1, 16);
    return [b, 'compression pointer loop'];
  },
  (rng) => {
    const b = Buffer.alloc(18);
    b.writeUInt16BE(1, 4);
    b.writeUInt16BE(0xc000 | rng.pick([13, 200, 0x3fff]), 12);
    return [b, 'compression pointer forward or out of range'];
  },
  (rng) => {
    const labels: Buffer[] = [];
    for (let i = 0; i < rng.int(5, 130); i++) labels.push(Buffer.concat([Buffer.from([63]), Buffer.alloc(63, 0x61)]));
    const head = Buffer.alloc(12);
    head.writeUInt16BE(1, 4);
    return [Buffer.concat([head, ...labels, Buffer.from([0, 0, 1, 0, 1])]), 'name over 255 bytes'];
  },
  (rng, q) => {
    const b = Buffer.from(q);
    b.writeUInt16BE(1, 10);
    const opt = Buffer.from([0, 0, 41, 0x10, 0, 0, 0, 0, 0, 0, 0]);
    opt.writeUInt16BE(rng.pick([0, 4, 100, 65535]), 9);
    return [Buffer.concat([b, opt, rng.bytes(rng.int(0, 8))]), 'EDNS OPT with a lying length'];
  },
  (rng, q) => {
    const b = Buffer.from(q);
    b.writeUInt16BE(rng.pick([0, 2, 5, 28, 252, 255, 65535]), b.length - 4);
    b.writeUInt16BE(rng.pick([0, 1, 3, 255, 65535]), b.length - 2);
    return [b, 'odd type and class'];
  },
  (rng, q) => [Buffer.concat([q, rng.bytes(rng.size(2000))]), 'trailing bytes'],
  (rng) => [rng.bytes(rng.size(1400)), 'random bytes'],
  (rng, q) => {
    const b = Buffer.from(q);
    for (let i = 0; i < rng.int(1, 6); i++) b[rng.int(0, b.length - 1)] = rng.int(0, 255);
    return [b, 'flipped bytes'];
  },
];

/** One malformed query about `name` (mostly; some are noise). */
export function genDns(rng: Rng, name: string): { bytes: Buffer; label: string } {
  const query = buildQuery(rng.int(0, 65535), rng.chance(0.8) ? name : `${rng.text(rng.int(1, 30)).replace(/[^a-z0-9]/gi, 'x')}.${name}`, rng.pick([1, 28, 5]));
  const [bytes, label] = rng.pick(MUTATIONS)(rng, query);
  return { bytes, label: `dns: ${label}` };
}
