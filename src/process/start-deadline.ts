/**
 * How long to wait for child processes (load workers, lab components) to report ready. A fixed 10–15 s failed runs
 * on a busy host ("load workers did not start in time", exit 6): a Node child needs ~0.5 s of CPU to load, and N of
 * them started together share the cores with whatever else runs. So the deadline scales with how many start at once
 * per core, `WSHERD_START_TIMEOUT` (a duration: 90s, 2m) overrides it, and a miss says whether the host was busy.
 */
import os from 'node:os';
import { readFileSync } from 'node:fs';
import { parseDuration } from '../scenario/duration.js';
import { WsherdError } from '../errors.js';

/** The wait for the first child on each core: generous for a loaded CI runner. */
const BASE_MS = 10_000;
/** Each further child per core: its load time on a busy core, with margin. */
const PER_CHILD_MS = 2_000;
export const START_TIMEOUT_ENV = 'WSHERD_START_TIMEOUT';

/** The deadline for `children` processes started together (ms); WSHERD_START_TIMEOUT overrides it. */
export function startDeadlineMs(children: number, env: NodeJS.ProcessEnv = process.env, cores = os.availableParallelism()): number {
  const set = env[START_TIMEOUT_ENV];
  if (set !== undefined && set.trim() !== '') {
    const d = parseDuration(set);
    if ('error' in d || d.ms <= 0) {
      throw new WsherdError('WSH_ERR_INVALID_INPUT', `${START_TIMEOUT_ENV}=${set} is not a duration.`, { hint: `e.g. ${START_TIMEOUT_ENV}=90s` });
    }
    return d.ms;
  }
  return BASE_MS + PER_CHILD_MS * Math.max(0, Math.ceil(children / Math.max(1, cores)) - 1);
}

/** ", while the host was busy (load average 5.20 on 2 cores)" when the 1-minute load exceeds the cores, else "". */
export function busyHostClause(cores = os.availableParallelism()): string {
  let load: number;
  try {
    load = Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
  } catch {
    return '';
  }
  return Number.isFinite(load) && load > cores ? `, while the host was busy (load average ${load.toFixed(2)} on ${cores} cores)` : '';
}

/**
 * What to do about a missed start deadline, in parentheses for the message itself: a failed run's reason is what the
 * summary, the report and JUnit show, so the remedy travels with it.
 */
export function startHint(busy: string): string {
  const wait = `${START_TIMEOUT_ENV}=120s waits longer`;
  return busy === '' ? `(${wait})` : `(free the host, or ${wait})`;
}
