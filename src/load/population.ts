/**
 * Which source address and population group each client slot uses. Deterministic (the same scenario gives every
 * worker, and every run, the same assignment) and stable per slot, so a client keeps its address across
 * reconnects, as a real client behind its NAT does.
 *
 * Groups get exact counts (largest remainder of share × clients) interleaved by smooth weighted round robin, so a
 * ramp brings every group in at its share rather than one group after another. Within a group, uniform hands
 * addresses out in turn; zipf draws ranks from Zipf(s) with a PRNG seeded by the group's index.
 */
import type { AddressSet, PopulationGroup, PopulationSpec } from '../scenario/types.js';

export interface SlotAssignment {
  /** Source address of slot s. */
  address: string[];
  /** Group index of slot s (into spec.groups). */
  group: Uint16Array;
}

export function ipv4ToInt(text: string): number {
  const parts = text.split('.').map(Number);
  return ((parts[0] ?? 0) * 2 ** 24) + ((parts[1] ?? 0) << 16) + ((parts[2] ?? 0) << 8) + (parts[3] ?? 0);
}

export function intToIpv4(n: number): string {
  return `${Math.floor(n / 2 ** 24) & 255}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

export function addressCount(set: AddressSet): number {
  return 'list' in set ? set.list.length : set.count;
}

export function addressAt(set: AddressSet, i: number): string {
  return 'list' in set ? (set.list[i] as string) : intToIpv4(set.first + i * set.stride);
}

/** Exact per-group counts summing to `clients`: floors of share × clients, the remainder to the largest fractions. */
export function groupCounts(shares: readonly number[], clients: number): number[] {
  const raw = shares.map((s) => s * clients);
  const counts = raw.map(Math.floor);
  let left = clients - counts.reduce((a, b) => a + b, 0);
  const order = raw.map((r, i) => ({ i, frac: r - Math.floor(r) })).sort((a, b) => b.frac - a.frac || a.i - b.i);
  for (let k = 0; left > 0 && order.length > 0; k = (k + 1) % order.length, left--) counts[(order[k] as { i: number }).i]! += 1;
  return counts;
}

/**
 * Walks every slot 0..clients-1 in order (so the SWRR interleave and the seeded zipf draws are the same whichever
 * slots a caller keeps) and tells `visit` each slot's group and address index within that group's set.
 */
function walkPopulation(spec: PopulationSpec, clients: number, visit: (s: number, group: number, addressIndex: number) => void): void {
  const n = Math.max(0, Math.floor(clients));
  const groups = spec.groups;
  const counts = groupCounts(groups.map((g) => g.share), n);
  // Smooth weighted round robin (nginx's): each step every group gains its weight, the leader is picked and pays
  // the total. Over n steps each group is picked exactly counts[g] times, evenly spread.
  const current = counts.map(() => 0);
  const pickers = groups.map((g, i) => picker(g.addresses, g.distribution, g.zipfS, i + 1));
  for (let s = 0; s < n; s++) {
    let best = 0;
    for (let g = 0; g < counts.length; g++) {
      current[g]! += counts[g]!;
      if (current[g]! > current[best]!) best = g;
    }
    current[best]! -= n;
    visit(s, best, (pickers[best] as () => number)());
  }
}

/** Every slot's group and address (the preflight and the tests; a worker keeps its own slots only: OwnPopulation). */
export function assignPopulation(spec: PopulationSpec, clients: number): SlotAssignment {
  const n = Math.max(0, Math.floor(clients));
  const group = new Uint16Array(n);
  const address = new Array<string>(n);
  walkPopulation(spec, n, (s, g, i) => {
    group[s] = g;
    address[s] = addressAt((spec.groups[g] as PopulationGroup).addresses, i);
  });
  return { address, group };
}

/**
 * A worker's own slots' groups and address indexes (6 bytes a slot, no string until a connection opens): the
 * slots s with s % workerCount === workerId, stored at (s − workerId) / workerCount.
 */
export class OwnPopulation {
  private readonly groups: Uint16Array;
  private readonly indexes: Uint32Array;

  constructor(private readonly spec: PopulationSpec, clients: number, private readonly workerId: number, private readonly workerCount: number) {
    const n = Math.max(0, Math.floor(clients));
    const own = workerId >= n ? 0 : Math.floor((n - 1 - workerId) / workerCount) + 1;
    this.groups = new Uint16Array(own);
    this.indexes = new Uint32Array(own);
    walkPopulation(spec, n, (s, g, i) => {
      if (s % workerCount !== workerId) return;
      const k = (s - workerId) / workerCount;
      this.groups[k] = g;
      this.indexes[k] = i;
    });
  }

  private own(slot: number): number {
    return (slot - this.workerId) / this.workerCount;
  }

  /** Group index of an own slot (into spec.groups). */
  groupOf(slot: number): number {
    return this.groups[this.own(slot)] as number;
  }

  /** Source address of an own slot, made when a connection opens. */
  addressOf(slot: number): string {
    const k = this.own(slot);
    return addressAt((this.spec.groups[this.groups[k] as number] as PopulationGroup).addresses, this.indexes[k] as number);
  }

  get bytes(): number {
    return this.groups.byteLength + this.indexes.byteLength;
  }
}

/** Draws address indexes within a set: uniform in turn, zipf by inverse CDF. */
function picker(set: AddressSet, distribution: 'uniform' | 'zipf', s: number, seed: number): () => number {
  const count = addressCount(set);
  if (distribution === 'uniform' || count <= 1) {
    let next = 0;
    return () => next++ % count;
  }
  // Inverse CDF over precomputed cumulative weights: O(log count) per draw.
  const cdf = new Float64Array(count);
  let total = 0;
  for (let r = 0; r < count; r++) cdf[r] = total += 1 / Math.pow(r + 1, s);
  const rand = mulberry32(seed);
  return () => {
    const u = rand() * total;
    let lo = 0;
    let hi = count - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((cdf[mid] as number) < u) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

/** A small, fast, seeded PRNG (public domain mulberry32): the same draws on every worker and every run. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
