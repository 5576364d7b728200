/**
 * The load coordinator: forks the workers, hands each its share of the client slots, merges what they ship
 * into the one Aggregator, emits progress once per second, and ends the run — by the plan, by an abort, by
 * its own deadline, or because a worker died. Workers never outlive it (see worker-main.ts and the kill on
 * exit registered here).
 */
import { fork, type ChildProcess } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import type { Scenario } from '../scenario/types.js';
import type { CoordinatorMessage, WorkerGauges, WorkerMessage, WorkerPlan } from './protocol.js';
import type { WorkerInfo } from '../metrics/types.js';
import type { RunStatus } from '../results/types.js';
import type { RunEvents } from '../run-events.js';
import { Aggregator } from '../metrics/aggregate.js';
import { phaseAt, plannedDurationMs, targetAt } from './schedule.js';
import { fdLimit } from '../probes/proc.js';
import { registerChildren } from '../lab/cleanup.js';
import { WsherdError } from '../errors.js';
import { WARM_UP_MS, defaultWorkerCount, warmsUp, workerExecArgv } from './worker-count.js';
import { TreeMemory } from './tree-memory.js';
import type { GeneratorMemory } from '../metrics/types.js';
import { redactUrl } from '../results/redact.js';
import { busyHostClause, startDeadlineMs, startHint } from '../process/start-deadline.js';
import { ownCount } from './own-schedule.js';
import type { ShardSpec } from '../shard/spec.js';

/** Teardown allowance in the run's hard deadline, per client: closing is work too (a close frame each way, a FIN). */
const CLOSE_MS_PER_CLIENT = 0.2;

export interface LoadOptions {
  urls: string[];
  scenario: Scenario;
  insecure: boolean;
  /** Extra trusted CA (PEM) for wss:// URLs, e.g. a lab proxy's self-signed certificate. */
  ca?: string;
  signal?: AbortSignal;
  events?: RunEvents;
  /** Local source addresses for the clients (slot s binds sourceAddresses[s % n]); default: the OS picks. */
  sourceAddresses?: string[];
  /** The dns engine's server (the lab's DNS server). */
  dnsServer?: { host: string; port: number };
  /** A sharded run: this host drives shard `index` of `count`, the slots s % count === index (src/shard/spec.ts). */
  shard?: ShardSpec;
  /** When second 0 begins (a barrier, --start-at), given the earliest it can: epoch ms. Default: the earliest. */
  startGate?: (earliestAt: number) => Promise<number>;
}

export interface LoadOutcome {
  aggregator: Aggregator;
  workers: WorkerInfo[];
  status: RunStatus;
  reason?: string;
  /** When second 0 began. */
  startedAt: Date;
  endedAt: Date;
  plannedMs: number;
  /** The coordinator's RSS beside the workers', and the whole tree's bytes per held connection. */
  memory: GeneratorMemory;
}

/**
 * Delay between sending `start` and second 0, so every worker has the plan before the clock starts (WARM_UP_MS more
 * when the workers warm their echo path first: warm-up.ts).
 */
const START_DELAY_MS = 300;
/** After `stop`, a worker gets this long to ship its last buckets before it is killed. */
const STOP_GRACE_MS = 5_000;

const WORKER_ENTRY = new URL('./worker-main.js', import.meta.url);

interface WorkerSlot {
  id: number;
  child: ChildProcess;
  info: WorkerInfo;
  /** Seconds shipped so far (the next expected t). */
  shipped: number;
  /** RSS at the worker's last gauges. */
  rssNow: number;
  done: boolean;
  stderrTail(): string;
  exited: Promise<void>;
}

export async function runLoad(opts: LoadOptions): Promise<LoadOutcome> {
  const { scenario } = opts;
  // First, before any worker exists: the coordinator's RSS before the run.
  const memory = new TreeMemory();
  const plannedMs = plannedDurationMs(scenario.phases);
  const limit = fdLimit();
  // N shards of W workers are one host of N·W workers: worker w of shard i owns the slots s % (N·W) === i + N·w.
  const shard = opts.shard ?? { index: 0, count: 1 };
  const hostClients = ownCount({ clients: scenario.clients, workerId: shard.index, workerCount: shard.count });
  const count = Math.max(1, Math.min(scenario.workers ?? defaultWorkerCount(hostClients, limit, os.availableParallelism(), scenario), Math.max(1, hostClients)));
  const globalId = (w: number): number => shard.index + shard.count * w;
  const aggregator = new Aggregator();
  const workers: WorkerSlot[] = [];
  const unregister = registerChildren((sig) => {
    for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill(sig);
  });

  let status: RunStatus = 'complete';
  let reason: string | undefined;
  let emitted = 0;
  let startAt = Date.now();
  let finish!: () => void;
  const finished = new Promise<void>((resolve) => (finish = resolve));

  const fail = (why: string): void => {
    if (status !== 'complete') return;
    status = 'failed';
    reason = why;
    broadcast({ type: 'stop', reason: 'aborted' });
  };
  const broadcast = (msg: CoordinatorMessage): void => {
    for (const w of workers) if (!w.done && w.child.connected) w.child.send(msg, () => {});
  };
  const checkAllDone = (): void => {
    if (workers.every((w) => w.done)) finish();
  };
  const emitProgress = (): void => {
    // A second is reported once every live worker has shipped it.
    const live = workers.filter((w) => !w.done);
    const ready = live.length === 0 ? Infinity : Math.min(...live.map((w) => w.shipped));
    const upTo = Math.min(ready, aggregator.lastSecond() + 1);
    for (; emitted < upTo; emitted++) {
      const tMs = (emitted + 1) * 1000;
      memory.second(workers.map((w) => w.rssNow), aggregator.point(emitted).open);
      opts.events?.emit('progress', {
        elapsedMs: Math.min(tMs, Date.now() - startAt),
        plannedMs,
        totals: aggregator.totals(),
        second: aggregator.point(emitted),
        targetOpen: ownCount({ clients: Math.min(scenario.clients, Math.round(targetAt(scenario.phases, tMs - 1))), workerId: shard.index, workerCount: shard.count }),
        phase: phaseAt(scenario.phases, tMs - 1)?.segment.kind ?? 'ended',
      });
    }
  };

  const onAbort = (): void => {
    if (status === 'complete') {
      status = 'aborted';
      reason = typeof opts.signal?.reason === 'string' ? `stopped by ${opts.signal.reason}` : 'stopped';
    }
    broadcast({ type: 'stop', reason: 'aborted' });
  };

  try {
    const ready: Promise<void>[] = [];
    for (let id = 0; id < count; id++) {
      const owned = ownCount({ clients: scenario.clients, workerId: globalId(id), workerCount: shard.count * count });
      const { slot, readyPromise } = spawnWorker(id, owned, workerExecArgv(scenario, count), {
        onMessage: (msg) => {
          if (msg.type === 'buckets') {
            aggregator.add(msg.buckets);
            slot.shipped = Math.max(slot.shipped, ...msg.buckets.map((b) => b.t + 1));
            updateInfo(slot.info, msg.gauges);
            slot.rssNow = msg.gauges.rssNowBytes ?? slot.rssNow;
            emitProgress();
          } else if (msg.type === 'done') {
            slot.done = true;
            if (msg.reason === 'deadline' && status === 'complete') {
              status = 'failed';
              reason = `worker ${id} hit the run's hard deadline with connections still open`;
            }
            emitProgress();
            checkAllDone();
          } else if (msg.type === 'fatal') {
            fail(`worker ${id} failed: ${msg.message.split('\n')[0] ?? ''}`);
          }
        },
        onExit: (code, signal) => {
          if (!slot.done) {
            slot.done = true;
            slot.info.exit = signal === 'SIGKILL' && status !== 'complete' ? 'killed' : 'crashed';
            const last = slot.stderrTail();
            fail(`worker ${id} (pid ${slot.info.pid}) exited unexpectedly (${signal ?? `code ${code}`})${last ? `: ${last}` : ''}`);
            emitProgress();
            checkAllDone();
          }
        },
      });
      workers.push(slot);
      ready.push(readyPromise);
    }
    // The wait scales with how many workers start per core (and WSHERD_START_TIMEOUT): a busy host is slow, not broken.
    const readyMs = startDeadlineMs(count);
    let readyCount = 0;
    for (const r of ready) void r.then(() => readyCount++, () => {});
    await withTimeout(Promise.all(ready), readyMs, () => {
      const busy = busyHostClause();
      return new WsherdError('WSH_ERR_WORKER_FAILED', `${readyCount} of ${count} load workers were ready after ${readyMs.toLocaleString('en-US')} ms${busy} ${startHint(busy)}.`);
    });
    if (opts.signal?.aborted) {
      onAbort();
      return outcome();
    }
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    const earliest = Date.now() + START_DELAY_MS + (warmsUp(scenario.behavior) ? WARM_UP_MS : 0);
    startAt = opts.startGate === undefined ? earliest : Math.max(earliest, await opts.startGate(earliest));
    if (opts.signal?.aborted) return outcome();
    // The hard bound: every timeout of a client that opens at the last moment, then the close wait, plus margin, plus
    // time to close what is still open at the end (0.2 ms per client: a 200,000-client run whose last phase closes
    // them all at once took ~40 s on 2 cores; without it the teardown alone failed the run).
    const b = scenario.behavior;
    const deadlineAt = startAt + plannedMs + b.connectTimeoutMs + b.handshakeTimeoutMs + 5000 + 5000 + Math.ceil(scenario.clients * CLOSE_MS_PER_CLIENT);
    for (const w of workers) {
      const plan: WorkerPlan = {
        workerId: globalId(w.id),
        workerCount: shard.count * count,
        hostWorkerId: w.id,
        hostWorkerCount: count,
        clients: scenario.clients,
        urls: opts.urls,
        phases: scenario.phases,
        behavior: scenario.behavior,
        sourceAddresses: opts.sourceAddresses ?? [],
        ...(scenario.population === undefined ? {} : { population: scenario.population }),
        ...(opts.dnsServer === undefined ? {} : { dnsServer: opts.dnsServer }),
        startAt,
        deadlineAt,
        insecure: opts.insecure,
        ...(opts.ca === undefined ? {} : { ca: opts.ca }),
      };
      w.child.send({ type: 'start', plan } satisfies CoordinatorMessage);
    }
    // Redacted here, once: the terminal, the stream and any other subscriber print what they get.
    opts.events?.emit('start', { workers: count, clients: scenario.clients, url: redactUrl(opts.urls[0] ?? ''), plannedMs, startAt, pids: workers.map((w) => w.info.pid) });
    // The coordinator's own bound, in case a worker stops answering: stop, then kill.
    const guard = setTimeout(() => {
      if (status === 'complete') {
        status = 'failed';
        reason = 'the load workers did not finish by the run deadline';
      }
      broadcast({ type: 'stop', reason: 'deadline' });
    }, deadlineAt - Date.now() + 2000);
    await finished;
    clearTimeout(guard);
    return outcome();
  } catch (err) {
    if (status === 'complete') {
      status = 'failed';
      reason = err instanceof Error ? err.message : String(err);
    }
    if (err instanceof WsherdError) throw err;
    return outcome();
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    await stopAll(workers);
    unregister();
  }

  function outcome(): LoadOutcome {
    return {
      aggregator,
      workers: workers.map((w) => w.info),
      status,
      ...(reason === undefined ? {} : { reason }),
      startedAt: new Date(startAt),
      endedAt: new Date(),
      plannedMs,
      memory: memory.result(workers.map((w) => w.info.startRssBytes)),
    };
  }
}

interface WorkerHandlers {
  onMessage(msg: WorkerMessage): void;
  onExit(code: number | null, signal: NodeJS.Signals | null): void;
}

function spawnWorker(id: number, clients: number, execArgv: string[], h: WorkerHandlers): { slot: WorkerSlot; readyPromise: Promise<void> } {
  const child = fork(fileURLToPath(WORKER_ENTRY), [], {
    serialization: 'json',
    // stderr is kept, not shown: a crashing worker's last words go into the run's failure reason.
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    execArgv,
    env: { ...process.env, WSHERD_WORKER_ID: String(id) },
  });
  child.on('error', () => {});
  let tail = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    tail = (tail + chunk).slice(-2000);
  });
  const slot: WorkerSlot = {
    id,
    child,
    info: {
      id, pid: child.pid ?? -1, fdLimit: -1, clients,
      maxFds: 0, maxLagMs: 0, cpuMs: 0, maxRssBytes: 0, stalls: [], exit: 'ok',
    },
    shipped: 0,
    rssNow: 0,
    done: false,
    stderrTail: () => tail.trim().split('\n').slice(-3).join(' | '),
    exited: new Promise((resolve) => child.once('exit', () => resolve())),
  };
  const readyPromise = new Promise<void>((resolve, reject) => {
    child.on('message', (raw) => {
      const msg = raw as WorkerMessage;
      if (msg.type === 'ready') {
        slot.info.fdLimit = msg.fdLimit;
        resolve();
      } else {
        h.onMessage(msg);
      }
    });
    child.once('exit', (code, signal) => {
      reject(new Error(`load worker ${id} exited before it was ready (${signal ?? `code ${code}`})`));
      h.onExit(code, signal);
    });
  });
  readyPromise.catch(() => {});
  return { slot, readyPromise };
}

function updateInfo(info: WorkerInfo, g: WorkerGauges): void {
  info.fdLimit = g.fdLimit;
  info.startRssBytes = g.startRssBytes;
  info.maxFds = Math.max(info.maxFds, g.fds);
  info.maxLagMs = Math.max(info.maxLagMs, g.lagMaxMs);
  if (g.stalls !== undefined && g.stalls.length > 0) info.stalls = [...(info.stalls ?? []), ...g.stalls];
  if (g.compactions !== undefined && g.compactions.length > 0) info.compactions = [...(info.compactions ?? []), ...g.compactions];
  info.cpuMs = Math.max(info.cpuMs, g.cpuMs);
  info.maxRssBytes = Math.max(info.maxRssBytes, g.rssBytes);
  if (g.openGate !== undefined) info.handshakeCap = g.openGate;
}

/** Ask every worker still running to stop, give it a grace period to ship its last buckets, then SIGKILL. */
async function stopAll(workers: WorkerSlot[]): Promise<void> {
  for (const w of workers) if (!w.done && w.child.connected) w.child.send({ type: 'stop', reason: 'aborted' } satisfies CoordinatorMessage, () => {});
  await Promise.all(workers.map(async (w) => {
    const killer = setTimeout(() => {
      if (w.child.exitCode === null && w.child.signalCode === null) {
        w.info.exit = 'killed';
        w.child.kill('SIGKILL');
      }
    }, STOP_GRACE_MS);
    await w.exited;
    clearTimeout(killer);
  }));
}

function withTimeout<T>(p: Promise<T>, ms: number, error: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(error()), ms);
    }),
  ]);
}
