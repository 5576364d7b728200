import { describe, test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { LoadWorker, type WorkerEnd } from '../../src/load/worker.js';
import { reconnectDelayMs } from '../../src/load/reconnect.js';
import type { WorkerPlan } from '../../src/load/protocol.js';
import { Aggregator } from '../../src/metrics/aggregate.js';
import { startBackend, type RunningBackend } from '../../src/backend/server.js';
import type { ReconnectPolicy } from '../../src/scenario/types.js';
import type { SeriesPoint } from '../../src/results/types.js';
import { BEHAVIOR } from './helpers/harness.js';
import { validateResults } from '../../src/results/validate.js';
import { sampleResults } from '../results/fixture.js';
import { until } from '../helpers/until.js';

const backoff = (over: Partial<ReconnectPolicy> = {}): ReconnectPolicy => ({ policy: 'backoff', baseMs: 100, maxMs: 1000, jitter: 'none', ...over });

describe('reconnectDelayMs', () => {
  test('backoff doubles from base and stops at max; immediate is 0', () => {
    assert.deepEqual([0, 1, 2, 3, 4, 5].map((a) => reconnectDelayMs(backoff(), a)), [100, 200, 400, 800, 1000, 1000]);
    assert.equal(reconnectDelayMs(backoff(), 5000), 1000);
    assert.equal(reconnectDelayMs({ ...backoff(), policy: 'immediate' }, 7), 0);
  });

  test('full jitter spans [0, d], equal jitter [d/2, d]', () => {
    assert.equal(reconnectDelayMs(backoff({ jitter: 'full' }), 2, () => 0), 0);
    assert.equal(reconnectDelayMs(backoff({ jitter: 'full' }), 2, () => 0.5), 200);
    assert.equal(reconnectDelayMs(backoff({ jitter: 'equal' }), 2, () => 0), 200);
    assert.equal(reconnectDelayMs(backoff({ jitter: 'equal' }), 2, () => 0.999), 200 + 0.999 * 200);
    for (let i = 0; i < 200; i++) {
      const d = reconnectDelayMs(backoff({ jitter: 'full', maxMs: 10_000 }), i % 12);
      assert.ok(d >= 0 && d <= Math.min(10_000, 100 * 2 ** (i % 12)), `delay ${d}`);
    }
  });
});

/**
 * A tiny round-robin TCP balancer: each connection goes to the next of `ports`; with none, it is cut at once (a
 * balancer with no healthy backend). When either side closes, so does the other, as an L4 balancer does.
 */
interface RoundRobin {
  url: string;
  ports: number[];
  close(): Promise<void>;
}

async function startRoundRobin(ports: number[]): Promise<RoundRobin> {
  let next = 0;
  const sockets = new Set<net.Socket>();
  const rr: RoundRobin = { url: '', ports, close: async () => undefined };
  const server = net.createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => undefined);
    if (rr.ports.length === 0) {
      client.destroy();
      return;
    }
    const upstream = net.connect(rr.ports[next++ % rr.ports.length] as number, '127.0.0.1');
    sockets.add(upstream);
    upstream.on('close', () => {
      sockets.delete(upstream);
      client.destroy();
    });
    upstream.on('error', () => undefined);
    client.on('close', () => upstream.destroy());
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  rr.url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  rr.close = async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return rr;
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function backend(id: string): Promise<RunningBackend> {
  const b = await startBackend({ id });
  cleanups.push(() => b.close());
  return b;
}

async function roundRobin(ports: number[]): Promise<RoundRobin> {
  const rr = await startRoundRobin(ports);
  cleanups.push(() => rr.close());
  return rr;
}


interface Run {
  done: Promise<{ reason: WorkerEnd; agg: Aggregator; series: SeriesPoint[] }>;
}

/** One in-process LoadWorker owning every slot: `clients` open over 200 ms and held until `holdMs` more. */
function runWorker(url: string, clients: number, holdMs: number, reconnect?: ReconnectPolicy): Run {
  const startAt = Date.now() + 50;
  const plan: WorkerPlan = {
    workerId: 0,
    workerCount: 1,
    clients,
    urls: [url],
    phases: [{ kind: 'ramp_up', durationMs: 200, to: clients }, { kind: 'hold', durationMs: holdMs, to: clients }],
    behavior: { ...BEHAVIOR, connectTimeoutMs: 1000, handshakeTimeoutMs: 1000, ...(reconnect === undefined ? {} : { reconnect }) },
    sourceAddresses: [],
    startAt,
    deadlineAt: startAt + holdMs + 10_000,
    insecure: false,
  };
  const agg = new Aggregator();
  let worker: LoadWorker | undefined;
  const done = new Promise<{ reason: WorkerEnd; agg: Aggregator; series: SeriesPoint[] }>((resolve) => {
    worker = new LoadWorker(plan, {
      buckets: (b) => agg.add(b),
      done: (reason) => resolve({ reason, agg, series: agg.series() }),
    });
  });
  worker?.start();
  // A failing test must not leave the worker's interval running.
  cleanups.push(async () => worker?.stop('aborted'));
  return { done };
}

function reconnectTotals(series: readonly SeriesPoint[]): { started: number; moved: number; returned: number; seconds: number[] } {
  const out = { started: 0, moved: 0, returned: 0, seconds: [] as number[] };
  for (const p of series) {
    if (p.reconnects === undefined) continue;
    out.started += p.reconnects.started;
    out.moved += p.reconnects.moved;
    out.returned += p.reconnects.returned;
    if (p.reconnects.started > 0) out.seconds.push(p.reconnects.started);
  }
  return out;
}

describe('LoadWorker with behavior.reconnect (real sockets behind a round robin)', () => {
  test('immediate: clients dropped by a killed backend reconnect at once and land on the other one (moved)', async () => {
    const a = await backend('A');
    const b = await backend('B');
    const rr = await roundRobin([a.port, b.port]);
    const run = runWorker(rr.url, 10, 2000, { policy: 'immediate', baseMs: 100, maxMs: 10_000, jitter: 'full' });
    await until('10 clients open', () => a.stats().sessionsOpen + b.stats().sessionsOpen === 10);
    assert.equal(a.stats().sessionsOpen, 5);
    rr.ports = [b.port];
    await a.close();
    await until('the dropped clients back on B', () => b.stats().sessionsOpen === 10);
    const { reason, agg, series } = await run.done;
    assert.equal(reason, 'finished');
    const totals = agg.totals();
    assert.equal(totals.dropped, 5);
    assert.equal(totals.established, 15);
    assert.equal(totals.attempted, 15);
    assert.equal(totals.closedClean, 10);
    assert.deepEqual({ ...reconnectTotals(series), seconds: undefined }, { started: 5, moved: 5, returned: 0, seconds: undefined });
    assert.equal(b.stats().sessionsTotal, 10);
    // results.json carries the counts per point (optional field): the run's series validates, a bad count does not.
    const results = { ...sampleResults(), series };
    assert.deepEqual(validateResults(results), []);
    const at = series.findIndex((p) => p.reconnects !== undefined);
    const bad = structuredClone(series);
    (bad[at] as SeriesPoint).reconnects = { started: -1, moved: 0, returned: 0 };
    assert.deepEqual(validateResults({ ...results, series: bad }), [{ path: `series[${at}].reconnects.started`, message: 'expected a whole number >= 0, found number -1' }]);
  });

  test('none (the default): dropped clients stay closed until their next planned opening', async () => {
    const a = await backend('A');
    const b = await backend('B');
    const rr = await roundRobin([a.port, b.port]);
    const run = runWorker(rr.url, 10, 1000);
    await until('10 clients open', () => a.stats().sessionsOpen + b.stats().sessionsOpen === 10);
    rr.ports = [b.port];
    await a.close();
    const { reason, agg, series } = await run.done;
    assert.equal(reason, 'finished');
    const totals = agg.totals();
    assert.equal(totals.dropped, 5);
    assert.equal(totals.attempted, 10);
    assert.equal(totals.established, 10);
    assert.ok(series.every((p) => p.reconnects === undefined));
    assert.equal(b.stats().sessionsTotal, 5);
  });

  test('backoff: through an outage the reconnects spread over seconds, and all return to the restarted backend', async () => {
    const a = await backend('A');
    const rr = await roundRobin([a.port]);
    const run = runWorker(rr.url, 10, 3000, backoff({ baseMs: 50, maxMs: 400, jitter: 'full' }));
    await until('10 clients open', () => a.stats().sessionsOpen === 10);
    rr.ports = [];
    await a.close();
    // The outage outlasts a second, so every client's first reconnect and its successful one are seconds apart.
    await new Promise((r) => setTimeout(r, 1300));
    const again = await backend('A');
    rr.ports = [again.port];
    await until('all 10 back', () => again.stats().sessionsOpen === 10);
    const { reason, agg, series } = await run.done;
    assert.equal(reason, 'finished');
    const r = reconnectTotals(series);
    const totals = agg.totals();
    assert.equal(totals.dropped, 10);
    assert.equal(totals.established, 20);
    assert.equal(r.returned, 10);
    assert.equal(r.moved, 0);
    // Every reconnect but the 10 that landed failed against the empty balancer.
    assert.equal(totals.failed, r.started - 10);
    assert.ok(r.started >= 20, `each client reconnected at least twice: ${r.started}`);
    assert.ok(r.seconds.length >= 2, `reconnects per second: ${r.seconds.join(', ')}`);
    assert.ok(Math.max(...r.seconds) < r.started, `reconnects per second: ${r.seconds.join(', ')}`);
  });

  test('max_attempts bounds the reconnects of an outage', async () => {
    const a = await backend('A');
    const rr = await roundRobin([a.port]);
    const run = runWorker(rr.url, 4, 1000, { policy: 'immediate', baseMs: 100, maxMs: 10_000, jitter: 'full', maxAttempts: 3 });
    await until('4 clients open', () => a.stats().sessionsOpen === 4);
    rr.ports = [];
    await a.close();
    const { reason, agg, series } = await run.done;
    assert.equal(reason, 'finished');
    const r = reconnectTotals(series);
    assert.equal(r.started, 12);
    assert.equal(agg.totals().failed, 12);
    assert.equal(agg.totals().attempted, 16);
  });

  test('unbounded immediate reconnects stop with the interval: the run still finishes on time', async () => {
    const a = await backend('A');
    const rr = await roundRobin([a.port]);
    const run = runWorker(rr.url, 2, 600, { policy: 'immediate', baseMs: 100, maxMs: 10_000, jitter: 'full' });
    await until('2 clients open', () => a.stats().sessionsOpen === 2);
    rr.ports = [];
    await a.close();
    const { reason, agg, series } = await run.done;
    assert.equal(reason, 'finished');
    const r = reconnectTotals(series);
    assert.ok(r.started > 2, `reconnects: ${r.started}`);
    assert.equal(agg.totals().attempted, 2 + r.started);
    assert.equal(agg.totals().failed, r.started);
    // Planned end at 800 ms: nothing starts in a second after it.
    assert.ok(series.every((p) => p.t <= 0 || p.reconnects === undefined), JSON.stringify(series.map((p) => p.reconnects)));
  });
});
