/**
 * How many generator workers make sense on this machine, checked before the first fork. Workers exist to keep each
 * process under its fd limit and to use every core; beyond that each one only costs memory (~75 MB resident before
 * its first connection, measured here: `generator.workers[].startRssBytes`) and start-up time. A mistyped
 * `--workers 1000000000` forked 203 workers of 50–70 MB in five minutes before this check existed.
 */
import os from 'node:os';
import { WsherdError } from '../errors.js';
import { MAX_WORKERS } from '../scenario/validate.js';

/** Resident memory of one idle worker, bytes (Node runtime, ws, socket.io-client, the schedule): measured ~75 MB. */
export const WORKER_RSS_BYTES = 75 * 1024 * 1024;
/** Workers may use at most this share of the machine's memory before their connections add theirs. */
const MEMORY_SHARE = 0.5;
/** More workers than this many times what the fds and cores need is refused: it can only waste memory. */
const SLACK = 4;

export interface WorkerMachine {
  cores: number;
  memTotalBytes: number;
}

export function thisMachine(): WorkerMachine {
  return { cores: os.availableParallelism(), memTotalBytes: os.totalmem() };
}

const fmt = (n: number): string => n.toLocaleString('en-US');
const mb = (n: number): string => `${fmt(Math.round(n / (1024 * 1024)))} MB`;

/**
 * Throws WSH_ERR_INVALID_INPUT when `workers` is more than the machine can use: over the cap, over SLACK× what the
 * fd limit and the cores call for, or more memory than MEMORY_SHARE of the machine. `needed`: workers the fd limit
 * requires for the clients.
 */
export function checkWorkerCount(workers: number, clients: number, needed: number, machine: WorkerMachine = thisMachine()): void {
  const useful = Math.max(needed, machine.cores);
  const fix = `Remove workers: (and --workers) to let wsherd choose ${fmt(useful)}, or give at most ${fmt(Math.min(MAX_WORKERS, useful * SLACK))}.`;
  if (workers > MAX_WORKERS) {
    throw new WsherdError('WSH_ERR_INVALID_INPUT', `workers: ${fmt(workers)} is more than the ${MAX_WORKERS} generator workers one run may fork.`, { hint: fix });
  }
  if (workers > useful * SLACK) {
    throw new WsherdError(
      'WSH_ERR_INVALID_INPUT',
      `workers: ${fmt(workers)} is more than this machine can use for ${fmt(clients)} clients: ${fmt(needed)} hold them under the fd limit, and it has ${fmt(machine.cores)} cores; more than ${SLACK}× that (${fmt(useful * SLACK)}) only costs memory and start-up time.`,
      { hint: fix },
    );
  }
  const memory = workers * WORKER_RSS_BYTES;
  if (memory > machine.memTotalBytes * MEMORY_SHARE) {
    const fits = Math.max(1, Math.floor((machine.memTotalBytes * MEMORY_SHARE) / WORKER_RSS_BYTES));
    throw new WsherdError(
      'WSH_ERR_INVALID_INPUT',
      `workers: ${fmt(workers)} would take about ${mb(memory)} before the first connection (${fmt(workers)} × ${mb(WORKER_RSS_BYTES)}), more than half of this machine's ${mb(machine.memTotalBytes)}.`,
      { hint: `Give at most ${fmt(fits)} workers, or run the load from several machines.` },
    );
  }
}
