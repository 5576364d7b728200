/** Small helpers every strategy shares: who may be picked, a stable backend order, a seedable PRNG. */
import { randomBytes } from 'node:crypto';
import type { BackendRef } from './types.js';

/**
 * May this backend take a new connection? Healthy, not excluded for this pick, and a positive weight: weight 0
 * drains a backend (HAProxy `weight 0`), and a NaN or negative weight is treated the same rather than
 * producing NaN arithmetic in weighted strategies.
 */
export function eligible(b: BackendRef, exclude: ReadonlySet<string> | undefined): boolean {
  return b.healthy && b.weight > 0 && !exclude?.has(b.id);
}

/** The eligible backends, in the order given. */
export function eligibleList<T extends BackendRef>(backends: readonly T[], exclude: ReadonlySet<string> | undefined): T[] {
  const out: T[] = [];
  for (const b of backends) if (eligible(b, exclude)) out.push(b);
  return out;
}

const CHUNKS = /\d+|\D+/g;

/**
 * Natural order of ids (`b2` before `b10`), locale-independent so every process sorts alike. Hash strategies
 * sort by id so their answer does not depend on the order the proxy lists backends in, and so `b1..bN` keep the
 * order a scenario (or an nginx upstream block) would list them in.
 */
export function compareIds(a: string, b: string): number {
  const ca = a.match(CHUNKS) ?? [];
  const cb = b.match(CHUNKS) ?? [];
  for (let i = 0; i < Math.min(ca.length, cb.length); i++) {
    const x = ca[i] ?? '';
    const y = cb[i] ?? '';
    if (x === y) continue;
    if (/^\d/.test(x) && /^\d/.test(y)) {
      const nx = x.replace(/^0+(?=\d)/, '');
      const ny = y.replace(/^0+(?=\d)/, '');
      if (nx.length !== ny.length) return nx.length - ny.length;
      if (nx !== ny) return nx < ny ? -1 : 1;
    }
    return x < y ? -1 : 1;
  }
  if (ca.length !== cb.length) return ca.length - cb.length;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A copy sorted by compareIds. */
export function sortById<T extends BackendRef>(backends: readonly T[]): T[] {
  return [...backends].sort((a, b) => compareIds(a.id, b.id));
}

/** A uniform float in [0, 1). */
export type Rng = () => number;

/**
 * mulberry32 (Tommy Ettinger): 32-bit state, passes PractRand to 2^32 outputs, far more than a balancing run
 * draws. Seeded runs are reproducible; unseeded instances draw their seed from the OS, which is fine because
 * random strategies make no cross-process promise.
 */
export function createRng(seed?: number): Rng {
  let state = (seed ?? randomBytes(4).readUInt32LE(0)) >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 0x1_0000_0000;
  };
}
