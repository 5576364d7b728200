/** Builders shared by the strategy tests: plain BackendRef objects and a PickContext over a mutable load map. */
import fc from 'fast-check';
import { createRng } from '../../../src/proxy/strategies/common.js';
import type { BackendRef, PickContext } from '../../../src/proxy/strategies/types.js';

export interface TestBackend extends BackendRef {
  healthy: boolean;
  weight: number;
}

/** `n` healthy backends b1..bn, weight 1 unless `weights` says otherwise. */
export function backends(n: number, weights: readonly number[] = []): TestBackend[] {
  return Array.from({ length: n }, (_, i) => ({ id: `b${i + 1}`, host: '127.0.0.1', port: 9001 + i, weight: weights[i] ?? 1, healthy: true }));
}

/** A context for one client; `load` holds active connections by backend id (missing = 0). */
export function ctx(remoteAddress: string | undefined, opts: { port?: number; load?: Map<string, number>; exclude?: Iterable<string> } = {}): PickContext {
  const load = opts.load ?? new Map<string, number>();
  return {
    remoteAddress,
    remotePort: opts.port ?? 40000,
    activeConnections: (id) => load.get(id) ?? 0,
    ...(opts.exclude === undefined ? {} : { exclude: new Set(opts.exclude) }),
  };
}

/** Picks that hold their connection: each pick adds one to the chosen backend's load. Returns the load map. */
export function holdPicks(pick: (c: PickContext) => BackendRef | undefined, count: number, address = (i: number) => `10.0.${i >> 8 & 255}.${i & 255}`): Map<string, number> {
  const load = new Map<string, number>();
  for (let i = 0; i < count; i++) {
    const b = pick(ctx(address(i), { load, port: 1024 + (i % 60000) }));
    if (b) load.set(b.id, (load.get(b.id) ?? 0) + 1);
  }
  return load;
}

export const ipv4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((o) => o.join('.'));

/** `count` pseudo-random IPv4 addresses from a seeded PRNG (reproducible statistical tests). */
export function ipv4Keys(count: number, seed: number): string[] {
  const rng = createRng(seed);
  return Array.from({ length: count }, () => {
    const v = Math.floor(rng() * 0x1_0000_0000);
    return `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
  });
}

export function peakToAverage(load: Map<string, number>, n: number): number {
  let total = 0;
  let peak = 0;
  for (const v of load.values()) {
    total += v;
    peak = Math.max(peak, v);
  }
  return peak / (total / n);
}
