/**
 * Maglev hashing (Eisenbud et al., "Maglev: A Fast and Reliable Software Network Load Balancer", NSDI 2016, §3.4):
 * a lookup table of prime size M; each backend walks its own permutation of the slots, offset = h1(id) mod M,
 * skip = h2(id) mod (M-1) + 1, and the backends take turns claiming their next free slot until the table is full.
 * A key goes to table[hash(key) mod M]: O(1) per pick, a spread within a slot or two of even, and on a change
 * most slots keep their owner. M >= 100 × N keeps the spread near even (the paper's guidance); the default 65537
 * covers 655 backends.
 *
 * Weights follow Envoy's maglev: a backend of weight w takes a turn in round r only once r × w/max_weight has
 * caught up with the turns it already had, so its share of slots is w/sum(w).
 *
 * Health changes do not reach a strategy (the proxy flips `healthy` in place), so the table is built over every
 * backend and a key whose slot belongs to an ineligible one is looked up again in a table built over the eligible
 * set only (cached per set). Keys of healthy backends never move when another goes down; keys of the down one
 * spread as a rebuilt Maglev table would spread them, and come back when it recovers.
 */
import { eligible, sortById } from './common.js';
import { SEED_OFFSET, SEED_SKIP, hashString } from './hash.js';
import { DEFAULT_TABLE_SIZE, nextPrime } from './options.js';
import { HashKeySource } from './request-key.js';
import type { BackendRef, HashKey, PickContext, Strategy } from './types.js';

export interface MaglevOptions {
  /** A prime; see StrategyOptions.tableSize. */
  tableSize?: number;
  hashKey?: HashKey;
}

interface Table {
  backends: readonly BackendRef[];
  /** slots[i]: index into `backends`. */
  slots: Uint32Array;
}

/** Eligible-set tables kept at once; a run sees few distinct health states, and each table is 4 × M bytes. */
const CACHE_LIMIT = 8;

export class Maglev implements Strategy {
  readonly name = 'maglev';
  readonly layers = ['l4', 'l7'] as const;
  private readonly requestedSize: number;
  private readonly key: HashKeySource;
  private size = 0;
  private full: Table = { backends: [], slots: new Uint32Array(0) };
  private readonly reduced = new Map<string, Table>();

  constructor(options: MaglevOptions = {}) {
    this.requestedSize = options.tableSize ?? DEFAULT_TABLE_SIZE;
    this.key = new HashKeySource(options.hashKey);
  }

  /** The table size in use: the requested prime, or the next prime >= 100 × backends when that is larger. */
  get tableSize(): number {
    return this.size;
  }

  setBackends(backends: readonly BackendRef[]): void {
    const members = sortById(backends).filter((b) => b.weight > 0);
    this.size = members.length * 100 > this.requestedSize ? nextPrime(members.length * 100) : this.requestedSize;
    this.full = buildTable(members, this.size);
    this.reduced.clear();
    this.key.setBackends(backends);
  }

  pick(ctx: PickContext): BackendRef | undefined {
    if (this.full.backends.length === 0) return undefined;
    const key = this.key.keyOf(ctx);
    if (key === undefined) return this.key.fallbackPick(ctx);
    const hash = hashString(key);
    const slot = hash % this.size;
    const first = this.full.backends[this.full.slots[slot] ?? 0];
    if (first && eligible(first, ctx.exclude)) return first;
    const table = this.tableFor(this.full.backends.filter((b) => eligible(b, ctx.exclude)));
    return table?.backends[table.slots[slot] ?? 0];
  }

  hashCounters(): Record<string, number> | undefined {
    return this.key.counters();
  }

  private tableFor(members: BackendRef[]): Table | undefined {
    if (members.length === 0) return undefined;
    const id = members.map((b) => b.id).join('\n');
    let table = this.reduced.get(id);
    if (!table) {
      if (this.reduced.size >= CACHE_LIMIT) {
        const oldest = this.reduced.keys().next().value;
        if (oldest !== undefined) this.reduced.delete(oldest);
      }
      table = buildTable(members, this.size);
      this.reduced.set(id, table);
    }
    return table;
  }
}

/** The paper's Algorithm 1 (population), with weighted turns. `members` must be in a fixed (id) order. */
export function buildTable(members: readonly BackendRef[], size: number): Table {
  const n = members.length;
  const slots = new Uint32Array(size);
  if (n === 0) return { backends: members, slots: new Uint32Array(0) };
  const taken = new Uint8Array(size);
  const position = members.map((b) => hashString(b.id, SEED_OFFSET) % size);
  const skip = members.map((b) => (hashString(b.id, SEED_SKIP) % (size - 1)) + 1);
  const maxWeight = Math.max(...members.map((b) => b.weight));
  const share = members.map((b) => b.weight / maxWeight);
  const turns = members.map(() => 0);
  let filled = 0;
  for (let round = 1; filled < size; round++) {
    for (let i = 0; i < n && filled < size; i++) {
      if (round * (share[i] ?? 0) < (turns[i] ?? 0)) continue;
      turns[i] = (turns[i] ?? 0) + 1;
      // Each permutation visits every slot (skip and prime size are coprime), so a free one is always found.
      let p = position[i] ?? 0;
      const s = skip[i] ?? 1;
      while (taken[p]) p = (p + s) % size;
      taken[p] = 1;
      slots[p] = i;
      position[i] = (p + s) % size;
      filled++;
    }
  }
  return { backends: members, slots };
}
