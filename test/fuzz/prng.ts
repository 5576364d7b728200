/**
 * A small seeded PRNG (mulberry32) for the fuzz generators: the same seed gives the same inputs on any machine,
 * so a failure is reproduced with WSHERD_FUZZ_SEED=<seed>. Not for cryptography.
 */
export class Rng {
  private state: number;

  constructor(readonly seed: number) {
    this.state = seed >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(list: readonly T[]): T {
    return list[Math.floor(this.next() * list.length)] as T;
  }

  bytes(n: number): Buffer {
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) b[i] = Math.floor(this.next() * 256);
    return b;
  }

  /** Printable ASCII mostly, with the odd control byte, space or high byte: what a parser must survive. */
  text(n: number): string {
    let s = '';
    for (let i = 0; i < n; i++) {
      const r = this.next();
      s += String.fromCharCode(r < 0.9 ? this.int(0x21, 0x7e) : r < 0.95 ? this.pick([0, 9, 10, 13, 32, 127]) : this.int(0x80, 0xff));
    }
    return s;
  }

  /** A length skewed towards small values, sometimes at a boundary (0, 125/126, 65535/65536, very large). */
  size(max: number): number {
    const r = this.next();
    if (r < 0.6) return this.int(0, Math.min(16, max));
    if (r < 0.85) return this.int(0, Math.min(512, max));
    if (r < 0.95) return Math.min(max, this.pick([0, 1, 125, 126, 127, 255, 256, 4095, 4096, 8192, 16384, 65535, 65536]));
    return this.int(0, max);
  }
}

/** The seed of a run: WSHERD_FUZZ_SEED when set (reproduce), else a fresh one (printed on failure). */
export function fuzzSeed(): number {
  const env = process.env['WSHERD_FUZZ_SEED'];
  if (env !== undefined && env !== '') {
    const n = Number(env);
    if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new Error(`WSHERD_FUZZ_SEED must be an integer 0..4294967295, got "${env}"`);
    return n;
  }
  return Math.floor(Math.random() * 0xffffffff);
}

/** Inputs per listener: WSHERD_FUZZ_COUNT (the full run: 10,000), else `quick` (the `npm test` share). */
export function fuzzCount(quick: number): number {
  const env = process.env['WSHERD_FUZZ_COUNT'];
  if (env === undefined || env === '') return quick;
  const n = Number(env);
  if (!Number.isInteger(n) || n < 1) throw new Error(`WSHERD_FUZZ_COUNT must be a positive integer, got "${env}"`);
  return n;
}
