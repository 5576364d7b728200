/**
 * The whole generator's memory, coordinator included (issue 17: the self-report counted the workers only, and the
 * coordinator is 110–130 MB of the tree). The coordinator samples its own RSS and takes each worker's current RSS
 * from its per-second gauges; "bytes per held connection" is the whole tree's growth from before the first
 * connection to the second with the most connections open, divided by them — the same definition the benchmarks
 * use with /proc (docs/measurement.md).
 */
import type { GeneratorMemory } from '../metrics/types.js';

export class TreeMemory {
  private readonly coordinatorStart = process.memoryUsage.rss();
  private coordinatorMax = this.coordinatorStart;
  private treeMax = 0;
  private best: { open: number; rssBytes: number } | undefined;

  /** One second of the run ended: the coordinator's RSS now, the workers' RSS now (last gauges) and the open count. */
  second(workersRssNow: readonly number[], open: number): void {
    const own = process.memoryUsage.rss();
    this.coordinatorMax = Math.max(this.coordinatorMax, own);
    const tree = own + workersRssNow.reduce((a, b) => a + b, 0);
    this.treeMax = Math.max(this.treeMax, tree);
    // The latest second at the most open: a plateau's end, after the ramp's garbage had time to go.
    if (this.best === undefined || open >= this.best.open) this.best = { open, rssBytes: tree };
  }

  /** `workersStart`: each worker's RSS before its first connection (startRssBytes). */
  result(workersStart: readonly (number | undefined)[]): GeneratorMemory {
    this.coordinatorMax = Math.max(this.coordinatorMax, process.memoryUsage.rss());
    const known = workersStart.every((s) => s !== undefined);
    const treeStart = this.coordinatorStart + workersStart.reduce<number>((a, b) => a + (b ?? 0), 0);
    const best = this.best;
    return {
      coordinator: { pid: process.pid, startRssBytes: this.coordinatorStart, maxRssBytes: this.coordinatorMax },
      tree: {
        startRssBytes: treeStart,
        maxRssBytes: Math.max(this.treeMax, treeStart),
        ...(best === undefined || !known || best.open <= 0
          ? {}
          : { peakOpen: best.open, rssAtPeakOpenBytes: best.rssBytes, bytesPerConnection: Math.max(0, best.rssBytes - treeStart) / best.open }),
      },
    };
  }
}
