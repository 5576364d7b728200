import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { runLoad } from '../../src/load/coordinator.js';
import { RunEvents } from '../../src/run-events.js';
import type { Behavior, Scenario } from '../../src/scenario/types.js';
import { BEHAVIOR } from './helpers/harness.js';
import { parseScenario } from '../../src/scenario/load.js';

/**
 * The oracle: a plain `ws` echo server (not wsherd) that can hold each upgrade request `delayMs` before answering
 * 101, counts the upgrades pending at once and every connection it accepted, and timestamps every message.
 */
interface CountingServer {
  url: string;
  maxPending(): number;
  accepted(): number;
  messageTimes: number[];
  close(): Promise<void>;
}

async function countingServer(delayMs: number): Promise<CountingServer> {
  const wss = new WebSocketServer({ noServer: true });
  const server = http.createServer();
  let pending = 0;
  let maxPending = 0;
  let accepted = 0;
  const messageTimes: number[] = [];
  server.on('upgrade', (req, socket, head) => {
    pending++;
    maxPending = Math.max(maxPending, pending);
    setTimeout(() => {
      pending--;
      wss.handleUpgrade(req, socket, head, (ws) => {
        accepted++;
        ws.on('message', (data, binary) => {
          messageTimes.push(Date.now());
          ws.send(data, { binary });
        });
      });
    }, delayMs);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `ws://127.0.0.1:${port}/`,
    maxPending: () => maxPending,
    accepted: () => accepted,
    messageTimes,
    close: async () => {
      for (const c of wss.clients) c.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const servers: CountingServer[] = [];
after(async () => {
  for (const s of servers) await s.close();
});

function scenario(clients: number, phases: Scenario['phases'], behavior: Partial<Behavior>): Scenario {
  return { name: 'gate', target: { url: 'ws://127.0.0.1:1/' }, clients, workers: 2, phases, behavior: { ...BEHAVIOR, ...behavior }, thresholds: [] };
}

describe('the generator\'s handshake cap (behavior.handshakes_in_flight)', () => {
  test('a server that delays its 101 never sees more than the cap pending at once, and every opening still happens', async () => {
    const s = await countingServer(150);
    servers.push(s);
    // 60 openings due within 100 ms, 10 handshakes in flight for the run (5 per worker): most wait in the generator.
    const phases: Scenario['phases'] = [{ kind: 'ramp_up', durationMs: 100, to: 60 }, { kind: 'hold', durationMs: 2500, to: 60 }, { kind: 'ramp_down', durationMs: 200, to: 0 }];
    const out = await runLoad({ urls: [s.url], scenario: scenario(60, phases, { handshakesInFlight: 10 }), insecure: false });
    assert.equal(out.status, 'complete');
    const totals = out.aggregator.totals();
    assert.ok(s.maxPending() <= 10, `the server saw ${s.maxPending()} upgrades pending at once`);
    assert.equal(s.accepted(), 60, 'every opening happened');
    assert.equal(totals.attempted, 60);
    assert.equal(totals.established, 60);
    assert.equal(totals.failed, 0);
    const caps = out.workers.map((w) => w.handshakeCap);
    assert.ok(caps.every((c) => c !== undefined && c.cap === 5 && c.maxInFlight <= 5), JSON.stringify(caps));
    const held = caps.reduce((n, c) => n + (c?.held ?? 0), 0);
    assert.ok(held > 0, 'openings were held back');
    assert.equal(caps.reduce((n, c) => n + (c?.waitBuckets.reduce((a, b) => a + b, 0) ?? 0), 0), held, 'every held opening started, and its wait is counted');
    // 60 openings through a window of 10 with 150 ms per handshake: the last waited at least 4 windows.
    assert.ok(Math.max(...caps.map((c) => c?.maxWaitMs ?? 0)) >= 4 * 150, JSON.stringify(caps));
  });

  test('send_during_ramp: false — nothing reaches the server before the ramp ends; true (default) — messages do', async () => {
    const rampMs = 1500;
    const phases: Scenario['phases'] = [{ kind: 'ramp_up', durationMs: rampMs, to: 20 }, { kind: 'hold', durationMs: 800, to: 20 }, { kind: 'ramp_down', durationMs: 200, to: 0 }];
    const before = async (sendDuringRamp: boolean | undefined): Promise<{ before: number; total: number }> => {
      const s = await countingServer(0);
      servers.push(s);
      const events = new RunEvents();
      let startAt = 0;
      events.on('start', (info) => (startAt = info.startAt));
      const behavior: Partial<Behavior> = { messagesPerSecond: 20, ...(sendDuringRamp === undefined ? {} : { sendDuringRamp }) };
      const out = await runLoad({ urls: [s.url], scenario: scenario(20, phases, behavior), insecure: false, events });
      assert.equal(out.status, 'complete');
      assert.equal(s.accepted(), 20);
      // 50 ms short of the ramp's end: the worker's clock is anchored to startAt within a millisecond or so.
      return { before: s.messageTimes.filter((t) => t < startAt + rampMs - 50).length, total: s.messageTimes.length };
    };
    const delayed = await before(false);
    assert.equal(delayed.before, 0, 'no message before the ramp\'s end');
    assert.ok(delayed.total > 0, 'the clients sent after it');
    const immediate = await before(undefined);
    assert.ok(immediate.before > 0, `messages during the ramp by default (${immediate.before})`);
  });

  test('send_during_ramp: false holds a flow back to the ramp\'s end too', async () => {
    const s = await countingServer(0);
    servers.push(s);
    const yaml = `name: f\ntarget: {url: "${s.url}"}\nclients: 10\nphases: [{ramp_up: {duration: 1500ms, to: 10}}, {hold: {duration: 800ms}}, {ramp_down: {duration: 200ms, to: 0}}]\n`
      + 'behavior:\n  send_during_ramp: false\n  flow:\n    - loop: {forever: true, every: 50ms, steps: [{send: {text: "x"}}]}\n';
    const sc = parseScenario(yaml, 'f.yaml');
    const events = new RunEvents();
    let startAt = 0;
    events.on('start', (info) => (startAt = info.startAt));
    const out = await runLoad({ urls: [s.url], scenario: { ...sc, workers: 2 }, insecure: false, events });
    assert.equal(out.status, 'complete');
    assert.equal(s.accepted(), 10);
    assert.equal(s.messageTimes.filter((t) => t < startAt + 1500 - 50).length, 0, 'no flow frame before the ramp\'s end');
    assert.ok(s.messageTimes.length > 0, 'the flows ran after it');
  });
});
