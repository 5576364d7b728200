/**
 * Hot-path encoding of measured messages. Produces exactly `encodeMessage(seq, payloadBytes)` (identity.ts) but
 * reuses one padding string per length instead of allocating `'x'.repeat(n)` for every message, and reads the
 * echoed sequence number straight from the received Buffer without decoding it to a string.
 */
import { MESSAGE_PREFIX } from '../backend/identity.js';

const padCache = new Map<number, string>();

function padding(n: number): string {
  let p = padCache.get(n);
  if (p === undefined) {
    p = 'x'.repeat(n);
    padCache.set(n, p);
  }
  return p;
}

/** Same text as identity.ts encodeMessage(seq, payloadBytes). */
export function encodeMessageFast(seq: number, payloadBytes: number): string {
  const head = `${MESSAGE_PREFIX}${seq}:`;
  return payloadBytes > head.length ? head + padding(payloadBytes - head.length) : head;
}

const PREFIX = Buffer.from(MESSAGE_PREFIX, 'latin1');
const COLON = 0x3a;
const ZERO = 0x30;
const NINE = 0x39;

/** The sequence number of an echoed measured message, or -1 (same result as decodeMessageSeq on the text). */
export function seqFromBuffer(data: Buffer): number {
  const n = PREFIX.length;
  if (data.length <= n) return -1;
  for (let i = 0; i < n; i++) if (data[i] !== PREFIX[i]) return -1;
  let seq = 0;
  let digits = 0;
  for (let i = n; i < data.length; i++) {
    const c = data[i] as number;
    if (c === COLON) return digits > 0 ? seq : -1;
    if (c < ZERO || c > NINE || digits >= 15) return -1;
    seq = seq * 10 + (c - ZERO);
    digits++;
  }
  return -1;
}
