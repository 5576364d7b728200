/** Runs one in-process LoadWorker with a hand-built flow behavior and sums the flow parts of its buckets. */
import { after } from 'node:test';
import { once } from 'node:events';
import { WebSocketServer, type WebSocket } from 'ws';
import { LoadWorker, type WorkerEnd } from '../../../src/load/worker.js';
import type { WorkerPlan } from '../../../src/load/protocol.js';
import type { Behavior } from '../../../src/scenario/types.js';
import type { FlowStep, JsonPath } from '../../../src/scenario/flow-types.js';
import type { Counters, SecondBucket } from '../../../src/metrics/types.js';
import { BEHAVIOR } from './harness.js';

export const LOC = { file: 'test', line: 1, col: 1 };

export function path(source: string): JsonPath {
  const segments = source.replace(/^\$\.?/, '').split('.').filter((s) => s !== '');
  return { source, segments };
}

type StepInput = FlowStep extends infer S ? (S extends FlowStep ? Omit<S, 'location'> : never) : never;

/** A step with a location (tests write steps without one). */
export function step(s: StepInput): FlowStep {
  return { ...s, location: LOC } as FlowStep;
}

export interface FlowTotals {
  counters: Counters;
  steps: Record<string, { ok: number; errors: Record<string, number>; samples: string[] }>;
  frames: { received: number; solicited: number; unsolicited: number; byType: Record<string, number> };
  deliveries: { received: number; accounted: number; expected: number; lost: number; early: number; unaccounted: number; self: number; stray: number; late: number; histCount: boolean };
  roles: Record<string, number>;
  buckets: SecondBucket[];
  reason: WorkerEnd;
}

export interface FlowRun {
  done: Promise<FlowTotals>;
  stop(): void;
}

/** `clients` slots opened over 200 ms and held `holdMs` more, against `urls`. */
export function runFlow(urls: string[], clients: number, holdMs: number, behavior: Partial<Behavior>): FlowRun {
  const startAt = Date.now() + 50;
  const plan: WorkerPlan = {
    workerId: 0,
    workerCount: 1,
    clients,
    urls,
    phases: [{ kind: 'ramp_up', durationMs: 200, to: clients }, { kind: 'hold', durationMs: holdMs, to: clients }],
    behavior: { ...BEHAVIOR, connectTimeoutMs: 2000, handshakeTimeoutMs: 2000, ...behavior },
    sourceAddresses: [],
    startAt,
    deadlineAt: startAt + holdMs + 15_000,
    insecure: false,
  };
  const buckets: SecondBucket[] = [];
  let worker: LoadWorker | undefined;
  const done = new Promise<FlowTotals>((resolve) => {
    worker = new LoadWorker(plan, {
      buckets: (b) => buckets.push(...b),
      done: (reason) => resolve(sum(buckets, reason)),
    });
  });
  worker?.start();
  return { done, stop: () => worker?.stop('aborted') };
}

export function sum(buckets: SecondBucket[], reason: WorkerEnd): FlowTotals {
  const t: FlowTotals = {
    counters: { attempted: 0, established: 0, failed: 0, closedClean: 0, dropped: 0, messagesSent: 0, messagesReceived: 0, messagesLost: 0, bytesSent: 0, bytesReceived: 0, messagesSkipped: 0 },
    steps: {},
    frames: { received: 0, solicited: 0, unsolicited: 0, byType: {} },
    deliveries: { received: 0, accounted: 0, expected: 0, lost: 0, early: 0, unaccounted: 0, self: 0, stray: 0, late: 0, histCount: false },
    roles: {},
    buckets,
    reason,
  };
  const published: Array<[number, string, number]> = [];
  const memberships: Array<[string, number, number]> = [];
  let selfExpected = 0;
  for (const b of buckets) {
    for (const [k, v] of Object.entries(b.counters)) (t.counters as unknown as Record<string, number>)[k] = ((t.counters as unknown as Record<string, number>)[k] ?? 0) + (v ?? 0);
    const f = b.flow;
    if (f === undefined) continue;
    for (const [name, s] of Object.entries(f.steps ?? {})) {
      const o = (t.steps[name] ??= { ok: 0, errors: {}, samples: [] });
      o.ok += s.ok;
      for (const [c, n] of Object.entries(s.errors ?? {})) o.errors[c] = (o.errors[c] ?? 0) + n;
      if (s.sample !== undefined) o.samples.push(s.sample);
    }
    if (f.frames) {
      t.frames.received += f.frames.received;
      t.frames.solicited += f.frames.solicited;
      t.frames.unsolicited += f.frames.unsolicited;
      for (const [k, n] of Object.entries(f.frames.byType ?? {})) t.frames.byType[k] = (t.frames.byType[k] ?? 0) + n;
    }
    for (const [r, n] of Object.entries(f.roles ?? {})) t.roles[r] = (t.roles[r] ?? 0) + n;
    const d = f.deliveries;
    if (d === undefined) continue;
    t.deliveries.received += d.received;
    t.deliveries.early += d.early ?? 0;
    t.deliveries.unaccounted += d.unaccounted ?? 0;
    t.deliveries.self += d.self ?? 0;
    t.deliveries.stray += d.stray ?? 0;
    t.deliveries.late += d.late ?? 0;
    if (d.hist !== undefined) t.deliveries.histCount = true;
    for (const n of Object.values(d.accounted ?? {})) t.deliveries.accounted += n;
    for (const n of Object.values(d.selfExpected ?? {})) selfExpected += n;
    for (const [k, n] of Object.entries(d.published ?? {})) {
      const [s, topic] = k.split('\t');
      published.push([Number(s), topic as string, n]);
    }
    for (const [topic, , from, to] of d.memberships ?? []) memberships.push([topic, from, to]);
  }
  // The rule of src/metrics/flow-types.ts: a publish of second s is expected at each member with from < s < to.
  for (const [topic, from, to] of memberships) for (const [s, tp, n] of published) if (tp === topic && s > from && s < to) t.deliveries.expected += n;
  t.deliveries.expected -= selfExpected;
  t.deliveries.lost = t.deliveries.expected - t.deliveries.accounted;
  return t;
}

/** What a flow test file sets up: plain `ws` servers of the test's own and flow runs, all closed after its tests. */
export interface FlowFixtures {
  cleanups: Array<() => Promise<void> | void>;
  wsServer(onConnection: (ws: WebSocket) => void): Promise<string>;
  run(url: string, clients: number, holdMs: number, behavior: Partial<Behavior>): FlowRun;
}

/** Call at a test file's top level: registers the `after` hook that closes what the fixtures opened. */
export function flowFixtures(): FlowFixtures {
  const cleanups: Array<() => Promise<void> | void> = [];
  after(async () => {
    for (const c of cleanups.reverse()) await c();
  });
  return {
    cleanups,
    async wsServer(onConnection) {
      const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
      await once(wss, 'listening');
      wss.on('connection', onConnection);
      cleanups.push(() => new Promise<void>((r) => {
        for (const c of wss.clients) c.terminate();
        wss.close(() => r());
      }));
      return `ws://127.0.0.1:${(wss.address() as { port: number }).port}/`;
    },
    run(url, clients, holdMs, behavior) {
      const r = runFlow([url], clients, holdMs, behavior);
      cleanups.push(() => r.stop());
      return r;
    },
  };
}
