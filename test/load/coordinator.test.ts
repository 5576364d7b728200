import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { runLoad } from '../../src/load/coordinator.js';
import { defaultWorkerCount } from '../../src/load/worker-count.js';
import { RunEvents, type Progress } from '../../src/run-events.js';
import type { Scenario } from '../../src/scenario/types.js';
import { BEHAVIOR } from './helpers/harness.js';
import { startEchoServer, type EchoServer } from './helpers/echo-server.js';

const servers: EchoServer[] = [];
after(async () => {
  for (const s of servers) await s.close();
});

function scenario(over: Partial<Scenario> = {}): Scenario {
  return {
    name: 'coord',
    target: { url: 'ws://127.0.0.1:1/' },
    clients: 30,
    workers: 2,
    phases: [
      { kind: 'ramp_up', durationMs: 600, to: 30 },
      { kind: 'hold', durationMs: 1200, to: 30 },
      { kind: 'ramp_down', durationMs: 300, to: 0 },
    ],
    behavior: { ...BEHAVIOR, messagesPerSecond: 4 },
    thresholds: [],
    ...over,
  };
}

function childPids(): number[] {
  try {
    return execFileSync('pgrep', ['-P', String(process.pid)], { encoding: 'utf8' }).trim().split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

describe('runLoad', () => {
  test('default worker count: one per core, more when the fd limit demands it', () => {
    assert.equal(defaultWorkerCount(1000, 20000, 2), 2);
    assert.equal(defaultWorkerCount(40000, 20000, 2), 3);
    assert.equal(defaultWorkerCount(10, 1024, 1), 1);
    assert.equal(defaultWorkerCount(5000, 1024, 1), 9);
  });

  test('default worker count by need: a second worker only for the fds or for load that needs another core', () => {
    const idle = { engine: undefined, messagesPerSecond: 0 };
    const ramp = (to: number, ms: number) => [{ kind: 'ramp_up' as const, durationMs: ms, to }, { kind: 'hold' as const, durationMs: 10_000, to }];
    // 10k idle over 5 s (2,000 openings/s): one worker on 2 cores, one base RSS instead of two.
    assert.equal(defaultWorkerCount(10_000, 20000, 2, { clients: 10_000, phases: ramp(10_000, 5000), behavior: idle }), 1);
    // 10k in 1 s: 10,000 openings/s need both cores; 1,000 × 40 msg/s = 40k msg/s too.
    assert.equal(defaultWorkerCount(10_000, 20000, 2, { clients: 10_000, phases: ramp(10_000, 1000), behavior: idle }), 2);
    assert.equal(defaultWorkerCount(1000, 20000, 2, { clients: 1000, phases: ramp(1000, 5000), behavior: { messagesPerSecond: 40 } }), 2);
    // Never more than one per core for CPU; the fds still decide above that.
    assert.equal(defaultWorkerCount(10_000, 20000, 2, { clients: 10_000, phases: ramp(10_000, 0), behavior: { messagesPerSecond: 100 } }), 2);
    assert.equal(defaultWorkerCount(40_000, 20000, 2, { clients: 40_000, phases: ramp(40_000, 60_000), behavior: idle }), 3);
    // Churn counts as openings; the session engines stay one per core.
    assert.equal(defaultWorkerCount(10_000, 20000, 2, { clients: 10_000, phases: ramp(10_000, 60_000), behavior: { messagesPerSecond: 0, lifetimeMs: 2000 } }), 2);
    assert.equal(defaultWorkerCount(10, 20000, 2, { clients: 10, phases: ramp(10, 1000), behavior: { engine: 'socketio', messagesPerSecond: 1 } }), 2);
  });

  test('two workers drive every slot, attribute every connection, and merge per-second buckets', async () => {
    const a = await startEchoServer({ id: 'A' });
    const b = await startEchoServer({ id: 'B', header: false });
    servers.push(a, b);
    const events = new RunEvents();
    const progress: Progress[] = [];
    events.on('progress', (p) => progress.push(p));
    const out = await runLoad({ urls: [a.url, b.url], scenario: scenario(), insecure: false, events });
    assert.equal(out.status, 'complete');
    const totals = out.aggregator.totals();
    assert.equal(totals.attempted, 30);
    assert.equal(totals.established, 30);
    assert.equal(totals.failed, 0);
    assert.equal(totals.dropped, 0);
    assert.equal(totals.closedClean, 30);
    assert.ok(totals.messagesSent > 30, `sent ${totals.messagesSent}`);
    assert.equal(totals.messagesLost, 0);
    assert.equal(totals.messagesReceived, totals.messagesSent);
    // slot s uses urls[s % 2]: header-attributed A and hello-attributed B each get 15.
    assert.deepEqual(out.aggregator.backendCounts(), { A: 15, B: 15 });
    assert.equal(a.accepted(), 15);
    assert.equal(b.accepted(), 15);
    assert.equal(out.aggregator.peakOpen(), 30);
    assert.equal(out.workers.length, 2);
    for (const w of out.workers) {
      assert.equal(w.exit, 'ok');
      assert.equal(w.clients, 15);
      assert.ok(w.fdLimit > 0 && w.maxFds > 0 && w.maxRssBytes > 0);
      // Messages are timed here: no deliberate GC pause (settle-gc.ts is for idle holds only).
      assert.equal(w.compactions, undefined);
    }
    assert.ok(progress.length >= 2, `progress events: ${progress.length}`);
    assert.deepEqual(progress.map((p) => p.second.t), progress.map((_, i) => i));
    assert.equal(out.aggregator.latency().rtt.count, totals.messagesReceived);
    assert.deepEqual(childPids(), []);
  });

  test('an idle hold compacts once its openings settle: after the last opening, while every client is held, not a stall', async () => {
    const a = await startEchoServer({ id: 'A' });
    servers.push(a);
    const clients = 1200;
    const out = await runLoad({
      urls: [a.url], insecure: false, events: new RunEvents(),
      scenario: scenario({
        clients, workers: 1,
        // The hold leaves a busy host 2 s past the ramp to finish the handshakes and still be 1 s from the closes.
        phases: [{ kind: 'ramp_up', durationMs: 600, to: clients }, { kind: 'hold', durationMs: 3000, to: clients }],
        behavior: { ...BEHAVIOR, messagesPerSecond: 0 },
      }),
    });
    assert.equal(out.status, 'complete');
    assert.equal(out.aggregator.totals().established, clients);
    // The oracle for "all held then": the test's own server counted every upgrade.
    assert.equal(a.accepted(), clients);
    const w = out.workers[0];
    assert.ok(w !== undefined);
    assert.equal(w.compactions?.length, 1, JSON.stringify(w.compactions));
    const c = w.compactions[0];
    assert.ok(c !== undefined && c.atMs >= 600 && c.atMs < 2600 && c.ms >= 0, JSON.stringify(c));
    // Its pause is said as a compaction, not taken for a stall of the generator.
    for (const s of w.stalls ?? []) assert.ok(s.atMs + s.ms < c.atMs || s.atMs > c.atMs + c.ms + 10, `stall ${JSON.stringify(s)} covers ${JSON.stringify(c)}`);
  });

  test('a refused target: every attempt fails with ECONNREFUSED, the run still completes', async () => {
    const out = await runLoad({ urls: ['ws://127.0.0.1:9/'], scenario: scenario({ clients: 10 }), insecure: false });
    assert.equal(out.status, 'complete');
    assert.equal(out.aggregator.totals().attempted, 10);
    assert.equal(out.aggregator.totals().failed, 10);
    assert.deepEqual(out.aggregator.errorsByCode(), { ECONNREFUSED: 10 });
  });

  test('abort stops the workers, keeps what they measured, and leaves no child behind', async () => {
    const a = await startEchoServer({ id: 'A' });
    servers.push(a);
    const ctl = new AbortController();
    const long = scenario({
      clients: 20,
      phases: [{ kind: 'ramp_up', durationMs: 200, to: 20 }, { kind: 'hold', durationMs: 60_000, to: 20 }],
    });
    const events = new RunEvents();
    events.on('progress', (p) => {
      if (p.second.t === 1) ctl.abort('SIGINT');
    });
    const started = Date.now();
    const out = await runLoad({ urls: [a.url], scenario: long, insecure: false, signal: ctl.signal, events });
    assert.ok(Date.now() - started < 15_000);
    assert.equal(out.status, 'aborted');
    assert.equal(out.reason, 'stopped by SIGINT');
    assert.equal(out.aggregator.totals().established, 20);
    assert.equal(out.aggregator.totals().closedClean, 20);
    assert.deepEqual(childPids(), []);
  });
});
