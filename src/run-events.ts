/**
 * The events a run emits. The engine emits; outputs (terminal progress, files) subscribe. Nothing in the
 * engine prints.
 */
import { EventEmitter } from 'node:events';
import type { LabComponent } from './results/lab-types.js';
import type { SeriesPoint, Results } from './results/types.js';
import type { Counters } from './metrics/types.js';

export interface Progress {
  /** Milliseconds since the run's start. */
  elapsedMs: number;
  /** Planned duration of the load (all phases), ms. */
  plannedMs: number;
  /** Cumulative counters so far. */
  totals: Counters;
  /** The latest complete second. */
  second: SeriesPoint;
  /** Target open clients at this moment according to the phases. */
  targetOpen: number;
  /** Name of the current phase (ramp_up, hold, ramp_down). */
  phase: string;
}

export interface RunEventMap {
  /** The lab is up (lab runs only). */
  lab: [components: LabComponent[]];
  /** Workers are forked and ready; load starts. startAt: epoch ms of the run's second 0 (a moment after this event).
   *  pids: the worker processes' ids, by worker id (what a test stops to check stall detection). */
  start: [info: { workers: number; clients: number; url: string; plannedMs: number; startAt: number; pids?: number[] }];
  /** Once per second of the run, after the workers' buckets for that second are merged. */
  progress: [progress: Progress];
  /** Something the user should know that is not an error (e.g. worker count adjusted). */
  warning: [message: string];
  /** Something that happened as planned and is worth a line in the progress (a fault applied). */
  notice: [message: string];
  /** The run is over (complete, aborted or failed); results are final. */
  done: [results: Results];
}

export class RunEvents extends EventEmitter<RunEventMap> {}
