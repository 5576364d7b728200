/**
 * The scenario's faults on the run's clock: each fires at its second (counted from the load's second 0, like
 * every figure of the run) and its outcome — what was done, or why it could not be — goes into results.json, so
 * the report can set each fault beside what the clients did after it.
 */
import type { Lab } from '../lab/types.js';
import type { RunEvents } from '../run-events.js';
import type { FaultSpec } from '../scenario/types.js';
import type { FaultRecord } from '../results/observed.js';

export interface FaultTimeline {
  outcomes(): FaultRecord[];
  cancel(): void;
}

export function scheduleFaults(lab: Lab, faults: readonly FaultSpec[], events: RunEvents, signal: AbortSignal): FaultTimeline {
  const records: FaultRecord[] = [];
  const timers: NodeJS.Timeout[] = [];
  let startAt: number | undefined;
  const fire = (f: FaultSpec): void => {
    if (signal.aborted || startAt === undefined) return;
    const appliedAt = Math.max(0, (Date.now() - startAt) / 1000);
    const record: FaultRecord = { atSecond: f.atMs / 1000, appliedAt: Math.round(appliedAt * 1000) / 1000, action: f.action, backend: f.backend ?? null, detail: '', ok: false };
    records.push(record);
    lab.fault(f.action, f.backend).then(
      (o) => {
        record.backend = o.backend;
        record.detail = o.detail;
        record.ok = true;
        events.emit('notice', `fault at ${record.atSecond}s: ${o.backend} ${o.detail}`);
      },
      (err: unknown) => {
        record.detail = err instanceof Error ? err.message : String(err);
        events.emit('notice', `fault at ${record.atSecond}s (${f.action} ${f.backend ?? ''}) failed: ${record.detail}`);
      },
    );
  };
  const onStart = (info: { startAt: number }): void => {
    startAt = info.startAt;
    for (const f of faults) timers.push(setTimeout(() => fire(f), Math.max(0, info.startAt + f.atMs - Date.now())));
  };
  events.once('start', onStart);
  return {
    outcomes: () => records.map((r) => ({ ...r })),
    cancel: () => {
      events.off('start', onStart);
      for (const t of timers) clearTimeout(t);
    },
  };
}
