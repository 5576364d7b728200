/**
 * Entry of a forked load-generator worker: connects a LoadWorker to the coordinator's IPC channel.
 * The worker never outlives the coordinator: when the channel disconnects (including when the coordinator
 * is SIGKILLed) it drops every connection and exits. Ctrl-C in a terminal reaches the whole process group;
 * the coordinator decides, so SIGINT is ignored here.
 */
import type { CoordinatorMessage, WorkerMessage } from './protocol.js';
import { performance } from 'node:perf_hooks';
import { LoadWorker } from './worker.js';
import { fdLimit } from '../probes/proc.js';
import { watchParent } from '../process/parent-watch.js';

/** After the end, a handle that still keeps the loop alive gets this long before the worker kills itself. */
const EXIT_DEADLINE_MS = 3000;
/** The warm-up stops this long before second 0. */
const WARM_UP_MARGIN_MS = 50;

let worker: LoadWorker | undefined;
let workerId = -1;
let leaving = false;

function send(msg: WorkerMessage, then?: () => void): void {
  if (process.send && process.connected) process.send(msg, undefined, undefined, () => then?.());
  else then?.();
}

function leave(): void {
  if (leaving) return;
  leaving = true;
  setTimeout(() => process.kill(process.pid, 'SIGKILL'), EXIT_DEADLINE_MS).unref();
  if (process.connected) process.disconnect();
}

process.on('SIGINT', () => {});
process.on('SIGTERM', () => {
  worker?.stop('aborted');
  leave();
});
// The coordinator gone (its channel closed, or its pid no longer our parent, even after kill -9): stop and exit.
watchParent(() => {
  worker?.stop('aborted');
  leave();
});
process.on('uncaughtException', (err) => {
  send({ type: 'fatal', workerId, message: err.stack ?? err.message }, leave);
  process.exitCode = 1;
});

process.on('message', (raw) => {
  const msg = raw as CoordinatorMessage;
  if (msg.type === 'start') {
    if (worker) return;
    workerId = msg.plan.workerId;
    worker = new LoadWorker(msg.plan, {
      buckets: (buckets, gauges) => send({ type: 'buckets', workerId, buckets, gauges }),
      done: (reason) => send({ type: 'done', workerId, reason }, leave),
    });
    // The warm-up (warm-up.ts) ends a little before second 0, which the coordinator set late enough for it. It only
    // spares the run the generator's own cold start: one that fails (its loopback peer could not listen) is skipped.
    const w = worker;
    void w.warmUp(performance.now() + (msg.plan.startAt - Date.now()) - WARM_UP_MARGIN_MS).catch(() => undefined).then(() => w.start());
  } else if (msg.type === 'stop') {
    if (worker) worker.stop(msg.reason);
    else leave();
  }
});

send({ type: 'ready', workerId: Number(process.env.WSHERD_WORKER_ID ?? -1), pid: process.pid, fdLimit: fdLimit() });
