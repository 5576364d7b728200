/**
 * The hashing every hash strategy shares: MurmurHash3 x86_32 (Austin Appleby, public domain), implemented here
 * so there is no dependency and no per-process seed. The proxy may run several worker processes; each must send
 * a given client to the same backend, so every hash here is a pure function of its input bytes and a fixed seed.
 *
 * Why murmur3 rather than FNV-1a: FNV-1a's low bits are weak on short, similar inputs (IPv4 addresses differ in a
 * byte or two) and it needs a finalizer anyway; murmur3 ends with fmix32, which gives full avalanche, and it reads
 * four bytes per step. 32 bits are enough: rings hold at most a few tens of thousands of points.
 */

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;

/** Seeds for independent hash families (Maglev needs two unrelated hashes of each backend id). */
export const SEED_OFFSET = 0x9747b28c;
export const SEED_SKIP = 0x5bd1e995;

/** MurmurHash3's 32-bit finalizer: a bijection on uint32 with full avalanche. */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function mixK(k: number): number {
  k = Math.imul(k, C1);
  k = (k << 15) | (k >>> 17);
  return Math.imul(k, C2);
}

/** MurmurHash3 x86_32 of the first `length` bytes; unsigned 32-bit result. */
export function murmur3(bytes: Uint8Array, seed = 0, length = bytes.length): number {
  let h = seed | 0;
  const blocks = length & ~3;
  let i = 0;
  for (; i < blocks; i += 4) {
    const k = (bytes[i] ?? 0) | ((bytes[i + 1] ?? 0) << 8) | ((bytes[i + 2] ?? 0) << 16) | ((bytes[i + 3] ?? 0) << 24);
    h ^= mixK(k);
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  const tail = length & 3;
  if (tail > 0) {
    let k = 0;
    if (tail === 3) k ^= (bytes[i + 2] ?? 0) << 16;
    if (tail >= 2) k ^= (bytes[i + 1] ?? 0) << 8;
    k ^= bytes[i] ?? 0;
    h ^= mixK(k);
  }
  return fmix32(h ^ length);
}

const encoder = new TextEncoder();
// Keys are short (addresses, ids): one reused buffer avoids an allocation per pick.
let scratch = new Uint8Array(128);

/** UTF-8 bytes of `s` in a shared scratch buffer; valid until the next call. Returns the byte length. */
export function encodeKey(s: string): { bytes: Uint8Array; length: number } {
  // UTF-8 needs at most 3 bytes per UTF-16 code unit.
  if (s.length * 3 > scratch.length) scratch = new Uint8Array(s.length * 3);
  const { written } = encoder.encodeInto(s, scratch);
  return { bytes: scratch, length: written };
}

/** MurmurHash3 x86_32 of the UTF-8 bytes of `s`. */
export function hashString(s: string, seed = 0): number {
  const { bytes, length } = encodeKey(s);
  return murmur3(bytes, seed, length);
}

