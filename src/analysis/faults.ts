/**
 * Each fault set beside what the clients did after it: the reconnect storm, the time until every client was
 * connected again, how many reconnects landed on another backend, and — for churning clients — the share of
 * connections that came back on another backend than their slot's previous one, next to the ideal for the change
 * (1/(N+1) on adding one backend to N, 1/N on losing one of N: what a consistent hash achieves and a modulo hash
 * far exceeds).
 */
import type { SeriesPoint } from '../results/types.js';
import type { FaultRecord } from '../results/observed.js';
import { recoveryAfter } from './recovery.js';
import type { FaultAnalysis, Recovery } from '../results/derived.js';

/**
 * `cycleSeconds`: with churn, a client's lifetime plus think time. The remap counts the connections ending in
 * [fault + cycle, fault + 2·cycle): each of those was placed after the fault and its slot's previous one before
 * it, so every client is compared once, across the change. Without churn (0) there is no remap to measure.
 */
export function analyzeFaults(
  faults: readonly FaultRecord[],
  series: readonly SeriesPoint[],
  backendsAtStart: number,
  cycleSeconds = 0,
  /** The second the plan itself starts closing clients after `at` (a ramp down is not a failure to recover). */
  planDropAfter: (at: number) => number | undefined = () => undefined,
): FaultAnalysis[] {
  const applied = faults.filter((f) => f.ok && f.appliedAt !== null);
  let backends = backendsAtStart;
  return applied.map((f, i) => {
    const at = Math.floor(f.appliedAt as number);
    const next = applied[i + 1];
    const ends = [next === undefined ? undefined : Math.floor(next.appliedAt as number), planDropAfter(at)].filter((x): x is number => x !== undefined);
    const until = ends.length === 0 ? undefined : Math.min(...ends);
    const recovery = recoveryAfter(series, at, undefined, until);
    let same = 0;
    let moved = 0;
    // A kill or a stop moves its clients through their reconnects (movedFraction); the remap window would then
    // compare already-moved clients with themselves. The remap is for planned changes: add and drain.
    const planned = f.action === 'add' || f.action === 'drain';
    for (const p of series) {
      if (!planned || cycleSeconds <= 0 || p.t < at + cycleSeconds || p.t >= at + 2 * cycleSeconds) continue;
      same += p.rehomed?.same ?? 0;
      moved += p.rehomed?.moved ?? 0;
    }
    const idealRemap = f.action === 'add' ? 1 / (backends + 1) : backends > 0 ? 1 / backends : null;
    if (f.action === 'add') backends++;
    else if (f.action === 'kill') backends--;
    const remapFraction = same + moved === 0 ? null : moved / (same + moved);
    return { atSecond: f.atSecond, action: f.action, backend: f.backend, ...recovery, remapFraction, idealRemap, sentence: describe(f, recovery, remapFraction, idealRemap) };
  });
}

const pct = (x: number): string => `${(x * 100).toFixed(x < 0.1 ? 1 : 0)}%`;

function describe(f: FaultRecord, r: Recovery, remap: number | null, ideal: number | null): string {
  const parts = [`${f.action} ${f.backend ?? ''} at ${f.atSecond}s:`.replace(' :', ':')];
  if (r.reconnectsTotal > 0) parts.push(`${r.reconnectsTotal.toLocaleString('en-US')} reconnects (peak ${r.stormPeakPerSecond.toLocaleString('en-US')}/s)`);
  // Only a kill or a stop takes connections away; after an add or a drain the open count is churn, not recovery.
  if (f.action === 'kill' || f.action === 'stop') {
    parts.push(r.secondsToRecover === null ? 'open connections did not come back within the window' : r.secondsToRecover === 0 ? 'every client was connected again within the same second' : `every client connected again after ${r.secondsToRecover} s`);
  }
  if (r.movedFraction !== null) parts.push(`${pct(r.movedFraction)} of reconnects moved backend`);
  if (remap !== null && ideal !== null) parts.push(`${pct(remap)} of connections came back on another backend (the least a change of this size needs: ${pct(ideal)})`);
  return `${parts[0]} ${parts.slice(1).join('; ')}.`;
}
