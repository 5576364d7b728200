/**
 * A cluster worker's view of sticky tables kept in the primary's memory: every worker must agree on a sid or a
 * source address, and one Map in the primary is the cheapest place for that (one IPC round trip, ~0.1 ms).
 */
import { StoreError, type StickyStore } from './store/types.js';
import type { StoreOp, ToPrimary, ToWorker } from './cluster-protocol.js';

const TIMEOUT_MS = 1000;

export class IpcStore implements StickyStore {
  readonly kind = 'memory' as const;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: string | undefined) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();
  private readonly errorCounts: Record<string, number> = {};

  constructor(private readonly send: (msg: ToPrimary) => void) {}

  /** Called with every message from the primary. */
  onMessage(msg: ToWorker): void {
    if (msg.t !== 'store-reply') return;
    const p = this.pending.get(msg.id);
    if (!p) return;
    this.pending.delete(msg.id);
    clearTimeout(p.timer);
    if (msg.error !== undefined) p.reject(new StoreError('IPC', msg.error));
    else p.resolve(msg.value);
  }

  get(table: string, key: string): Promise<string | undefined> {
    return this.ask({ op: 'get', table, key });
  }

  async set(table: string, key: string, value: string, ttlMs: number): Promise<void> {
    await this.ask({ op: 'set', table, key, value, ttlMs });
  }

  async delete(table: string, key: string): Promise<void> {
    await this.ask({ op: 'delete', table, key });
  }

  /** The primary reports the sizes of its tables itself when it merges the workers' stats. */
  sizes(): Record<string, number> {
    return {};
  }

  errors(): Record<string, number> {
    return { ...this.errorCounts };
  }

  close(): Promise<void> {
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(new StoreError('CLOSED', 'store closed'));
    }
    this.pending.clear();
    return Promise.resolve();
  }

  private ask(op: StoreOp): Promise<string | undefined> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        this.errorCounts['TIMEOUT'] = (this.errorCounts['TIMEOUT'] ?? 0) + 1;
        reject(new StoreError('TIMEOUT', `the proxy primary did not answer a ${op.op} within ${TIMEOUT_MS} ms`));
      }, TIMEOUT_MS);
      this.pending.set(id, { resolve, reject, timer });
      this.send({ t: 'store', id, ...op });
    });
  }
}
