/**
 * `--stream FILE`: the run as it happens, one JSON object per line (NDJSON) — as k6's `--out json=` — for a
 * `tail -f`, a log shipper (Loki, Vector, Fluent Bit) or a dashboard during a long soak, and so that a run whose
 * process is killed outright (OOM killer, SIGKILL, a lost CI runner) still leaves every second it measured.
 * Lines are written synchronously as each event arrives: at most the line being written is lost.
 *
 * Line types: `start`, `second` (the fields of results.json `series[]`, plus the plan's target and phase),
 * `notice`, `warning`, `done` (status and summary). docs/results.md#stream.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import path from 'node:path';
import { WsherdError } from '../errors.js';
import type { Progress, RunEventMap, RunEvents } from '../run-events.js';
import type { Results } from '../results/types.js';
import { prepareOutDir } from '../results/write.js';

export const STREAM_VERSION = 1;

/** Opens `file` (replacing it) now, so an unwritable path fails before the run starts; resolves to the detach. */
export async function attachStream(events: RunEvents, file: string): Promise<() => void> {
  let fd: number | undefined;
  try {
    // Missing folders are created, as for --junit and --markdown (not mkdirSync recursive: it spins on /proc).
    await prepareOutDir(path.dirname(path.resolve(file)));
    fd = openSync(file, 'w');
  } catch (err) {
    throw new WsherdError('WSH_ERR_OUTPUT_UNWRITABLE', `Could not write the stream file ${file}: ${(err as Error).message.split('\n')[0]}`, {
      hint: 'Give --stream a path in a folder you can write to.',
      cause: err,
    });
  }
  let startAt = Date.now();
  const line = (o: Record<string, unknown>): void => {
    if (fd === undefined) return;
    try {
      writeSync(fd, `${JSON.stringify(o)}\n`);
    } catch (err) {
      // A full disk must not stop the run: results.json is still written at the end. Said once, not per second.
      closeSync(fd);
      fd = undefined;
      events.emit('warning', `--stream ${file}: stopped writing (${(err as Error).message}); results.json is still written at the end.`);
    }
  };
  const handlers = {
    start: (info: RunEventMap['start'][0]): void => {
      startAt = info.startAt;
      line({ type: 'start', version: STREAM_VERSION, time: new Date(info.startAt).toISOString(), ...info });
    },
    progress: (p: Progress): void => {
      // `time`: the start of second t (the last second of a run may be partial). Each second is written once every
      // worker shipped it (src/load/coordinator.ts), so the lines are the series results.json ends with.
      line({ type: 'second', time: new Date(startAt + p.second.t * 1000).toISOString(), ...p.second, targetOpen: p.targetOpen, phase: p.phase });
    },
    notice: (message: string): void => line({ type: 'notice', time: new Date().toISOString(), message }),
    warning: (message: string): void => line({ type: 'warning', time: new Date().toISOString(), message }),
    done: (r: Results): void => {
      const { counters, peakOpen, errors } = r.summary;
      line({
        type: 'done', time: new Date().toISOString(), status: r.status,
        ...(r.statusReason === undefined ? {} : { statusReason: r.statusReason }),
        counters, peakOpen, errors: { total: errors.total, rate: errors.rate, byCode: errors.byCode },
        thresholds: r.thresholds,
      });
      detach();
    },
  };
  events.on('start', handlers.start);
  events.on('progress', handlers.progress);
  events.on('notice', handlers.notice);
  events.on('warning', handlers.warning);
  events.on('done', handlers.done);
  const detach = (): void => {
    events.off('start', handlers.start);
    events.off('progress', handlers.progress);
    events.off('notice', handlers.notice);
    events.off('warning', handlers.warning);
    events.off('done', handlers.done);
    if (fd !== undefined) closeSync(fd);
    fd = undefined;
  };
  return detach;
}
