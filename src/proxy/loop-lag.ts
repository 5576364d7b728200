/**
 * Event-loop lag of this process: the p99 delay of a 10 ms timer over the last completed window. One
 * histogram and one timer per process (not per connection); both unref'd so they never keep a process alive.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';

export interface LoopLag {
  /** p99 event-loop delay over the last window, ms (0 until the first window completes). */
  ms(): number;
  stop(): void;
}

export function startLoopLag(windowMs = 1000): LoopLag {
  const h = monitorEventLoopDelay({ resolution: 10 });
  h.enable();
  let last = 0;
  const timer = setInterval(() => {
    // The histogram records nanoseconds, including the 10 ms sampling interval itself; report only the excess.
    last = h.count > 0 ? Math.max(0, h.percentile(99) / 1e6 - 10) : 0;
    h.reset();
  }, windowMs);
  timer.unref();
  return {
    ms: () => last,
    stop: () => {
      clearInterval(timer);
      h.disable();
    },
  };
}
