/**
 * The workers' warm-up (src/load/warm-up.ts) against a server of the test's own that counts upgrades and messages:
 * whatever the warm-up does happens on the worker's own peer, so the target sees exactly the run's connections and
 * exactly the messages the run counts as sent.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { runLoad } from '../../src/load/coordinator.js';
import { WARM_UP_MS } from '../../src/load/worker-count.js';
import type { Scenario } from '../../src/scenario/types.js';
import { BEHAVIOR } from '../load/helpers/harness.js';

/** The test's own ws echo server: it counts upgrades and the messages it was sent (the oracle). */
async function countingServer(): Promise<{ url: string; upgrades: () => number; messages: () => number; close: () => Promise<void> }> {
  const server = http.createServer();
  const wss = new WebSocketServer({ server, perMessageDeflate: false });
  let upgrades = 0;
  let messages = 0;
  wss.on('connection', (ws) => {
    upgrades++;
    ws.on('message', (data, binary) => {
      messages++;
      ws.send(data, { binary });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `ws://127.0.0.1:${port}/`,
    upgrades: () => upgrades,
    messages: () => messages,
    close: async () => {
      for (const c of wss.clients) c.terminate();
      await new Promise((r) => server.close(r));
    },
  };
}

test('a run warms up before second 0 and nothing of it reaches the target (its server counts only the run)', async () => {
  const server = await countingServer();
  try {
    const scenario: Scenario = {
      name: 'warm', target: { url: server.url }, clients: 10, workers: 1,
      phases: [{ kind: 'ramp_up', durationMs: 300, to: 10 }, { kind: 'hold', durationMs: 1200, to: 10 }],
      behavior: { ...BEHAVIOR, messagesPerSecond: 20 },
      thresholds: [],
    };
    const asked = Date.now();
    const out = await runLoad({ urls: [server.url], scenario, insecure: false });
    assert.equal(out.status, 'complete');
    const totals = out.aggregator.totals();
    assert.equal(server.upgrades(), 10);
    assert.equal(totals.established, 10);
    assert.ok(totals.messagesSent > 100, `${totals.messagesSent} sent`);
    assert.equal(server.messages(), totals.messagesSent, 'every message the server got is one the run counted as sent');
    // Second 0 waited for the warm-up.
    assert.ok(out.startedAt.getTime() - asked >= WARM_UP_MS, `second 0 ${out.startedAt.getTime() - asked} ms after the call`);
  } finally {
    await server.close();
  }
});
