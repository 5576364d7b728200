/**
 * In-process sticky tables: one Map per table with absolute expiry times. get/set run once per proxied
 * request, so they allocate nothing beyond the returned promise and never scan; expired entries are dropped
 * lazily on get and by a bounded background sweep that keeps sizes() honest.
 */
import type { StickyStore } from './types.js';

interface Entry {
  value: string;
  expiresAt: number;
}

export interface MemoryStoreOptions {
  /** Clock in ms (injected so expiry is testable without sleeping). Default Date.now. */
  now?: () => number;
  /** Sweep period in ms; 0 disables the timer (tests call sweep()). Default 1000. */
  sweepIntervalMs?: number;
  /** Entries examined per sweep tick across all tables, so a huge table never stalls the event loop. Default 10000. */
  sweepBatch?: number;
}

const UNDEFINED: Promise<undefined> = Promise.resolve(undefined);
const DONE: Promise<void> = Promise.resolve();

export class MemoryStore implements StickyStore {
  readonly kind = 'memory' as const;
  private readonly tables = new Map<string, Map<string, Entry>>();
  /** Where the sweep stopped in each table: resumed next tick (a Map iterator survives deletes and inserts). */
  private readonly cursors = new Map<string, Iterator<[string, Entry]>>();
  /** Round-robin start among tables, so one big table cannot starve the others. */
  private nextTable = 0;
  private readonly now: () => number;
  private readonly sweepBatch: number;
  private timer: NodeJS.Timeout | undefined;
  /** Sweep period; the timer starts with the first entry, so a store never written to (a strategy built only
   * to validate its options) holds no timer. 0: never (tests call sweep()). */
  private readonly every: number;
  private closed = false;

  constructor(opts: MemoryStoreOptions = {}) {
    this.now = opts.now ?? Date.now;
    this.sweepBatch = Math.max(1, opts.sweepBatch ?? 10_000);
    this.every = opts.sweepIntervalMs ?? 1000;
  }

  get(table: string, key: string): Promise<string | undefined> {
    const t = this.tables.get(table);
    const e = t?.get(key);
    if (e === undefined) return UNDEFINED;
    if (e.expiresAt <= this.now()) {
      t!.delete(key);
      return UNDEFINED;
    }
    return Promise.resolve(e.value);
  }

  set(table: string, key: string, value: string, ttlMs: number): Promise<void> {
    if (this.timer === undefined && this.every > 0 && !this.closed) {
      this.timer = setInterval(() => this.sweep(), this.every);
      this.timer.unref();
    }
    let t = this.tables.get(table);
    if (t === undefined) {
      t = new Map();
      this.tables.set(table, t);
    }
    const expiresAt = this.now() + ttlMs;
    const e = t.get(key);
    if (e === undefined) t.set(key, { value, expiresAt });
    else {
      e.value = value;
      e.expiresAt = expiresAt;
    }
    return DONE;
  }

  delete(table: string, key: string): Promise<void> {
    this.tables.get(table)?.delete(key);
    return DONE;
  }

  sizes(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [name, t] of this.tables) out[name] = t.size;
    return out;
  }

  errors(): Record<string, number> {
    return {};
  }

  /** Examines at most `sweepBatch` entries, resuming where the last tick stopped; returns how many were removed. */
  sweep(): number {
    const names = [...this.tables.keys()];
    const now = this.now();
    let budget = this.sweepBatch;
    let removed = 0;
    const first = this.nextTable;
    for (let i = 0; i < names.length && budget > 0; i++) {
      const idx = (first + i) % names.length;
      const name = names[idx]!;
      const t = this.tables.get(name)!;
      let it = this.cursors.get(name);
      if (it === undefined) {
        it = t.entries();
        this.cursors.set(name, it);
      }
      let finished = false;
      while (budget > 0) {
        const r = it.next();
        if (r.done) {
          finished = true;
          break;
        }
        budget--;
        if (r.value[1].expiresAt <= now) {
          t.delete(r.value[0]);
          removed++;
        }
      }
      if (finished) {
        this.cursors.delete(name);
        this.nextTable = idx + 1;
      } else this.nextTable = idx; // out of budget: resume this table first next tick
    }
    return removed;
  }

  close(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    this.closed = true;
    this.tables.clear();
    this.cursors.clear();
    return DONE;
  }
}
