/**
 * What every TCP fuzz input is: bytes written over one connection, in chunks, then a way of leaving. The way of
 * leaving matters as much as the bytes: a reset while the server is not reading, or a half-close it never sees,
 * is how a listener ends up holding an fd with no TCP socket behind it.
 */
import type { Rng } from './prng.js';

export type Leave = 'end' | 'reset' | 'destroy' | 'half-open' | 'linger';

export interface WireInput {
  /** What the generator meant, for the failure message (`http: CL+TE`, `ws: unmasked frame`…). */
  label: string;
  /** Written in order, one write each, with a short pause between so they arrive as separate segments. */
  chunks: Buffer[];
  /**
   * end: FIN and read until the server closes (bounded); reset: RST; destroy: plain close; half-open: FIN, then
   * read nothing and close later; linger: leave the connection open until the end of the input's bound.
   */
  leave: Leave;
}

export function pickLeave(rng: Rng): Leave {
  return rng.pick(['end', 'end', 'reset', 'reset', 'destroy', 'half-open', 'linger'] as const);
}

/** Splits a payload at random offsets (a parser must not care where segments end), sometimes truncating it. */
export function deliver(rng: Rng, payload: Buffer): Buffer[] {
  let bytes = payload;
  if (rng.chance(0.1) && bytes.length > 1) bytes = bytes.subarray(0, rng.int(1, bytes.length - 1));
  if (bytes.length < 2 || rng.chance(0.5)) return [bytes];
  const cuts = new Set<number>();
  const n = rng.int(1, Math.min(4, bytes.length - 1));
  while (cuts.size < n) cuts.add(rng.int(1, bytes.length - 1));
  const sorted = [...cuts].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let from = 0;
  for (const c of sorted) {
    out.push(bytes.subarray(from, c));
    from = c;
  }
  out.push(bytes.subarray(from));
  return out;
}

/** A printable, bounded rendering of an input for a failure message. */
export function describeInput(input: WireInput | Buffer, max = 600): string {
  const bytes = Buffer.isBuffer(input) ? input : Buffer.concat(input.chunks);
  const text = JSON.stringify(bytes.subarray(0, max).toString('latin1'));
  const more = bytes.length > max ? ` … (${bytes.length} bytes)` : '';
  return Buffer.isBuffer(input) ? `${text}${more}` : `[${input.label}; leave=${input.leave}; ${input.chunks.length} chunk(s)] ${text}${more}`;
}
