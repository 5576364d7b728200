/**
 * Oracle (issue 16, "Done means"): the three bundled flow scenarios — app-session, pubsub-fanout, chat-rooms — run
 * through the real CLI, scaled down (scaled.ts) and pointed at the test's own app-like servers (apps.ts: plain `ws`,
 * `socket.io`, `ioredis`; instances sharing topics and rooms through a real redis-server), and every figure wsherd
 * writes to results.json must EQUAL what the app counted itself:
 *
 *   requests answered by the app              = correlated messagesReceived (and each named step's ok count)
 *   pushes the app sent                       = frames of type push
 *   publishes the app received                = deliveries.published
 *   deliveries the app wrote                  = deliveries.received (in total, per topic/room, per backend pair)
 *   deliveries the app deliberately dropped   = deliveries.lost (expected = written + dropped)
 *
 * Equality is exact because the copies end every loop (finite counts) seconds before the clients close: nothing is
 * in flight at the end, and every publish falls in seconds covered by every member (the publishers think first).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runCli } from '../helpers/cli.js';
import { REDIS_SKIP, startChatApp, startRedis, startWsApp, type RedisServer } from './apps.js';
import { writeScaled, type ScaleDown } from './scaled.js';

/** What these tests read of results.json (summary.flow is documented in docs/results.md). */
interface Tally { expected: number; accounted: number; lost: number }
interface FlowResults {
  summary: {
    counters: { established: number; messagesSent: number; messagesReceived: number; messagesLost: number };
    flow: {
      steps: Record<string, { ok: number; errorCount?: number; errors: Record<string, number> }>;
      frames: { received: number; solicited: number; unsolicited: number; byType: Record<string, number> };
      deliveries: Tally & {
        published: number; received: number; early: number; unaccounted: number; self: number; stray: number; late: number;
        byTopic: Array<Tally & { topic: string }>;
        byPair: Array<Tally & { from: string; to: string }>;
        sameBackend: Tally; crossBackend: Tally;
      };
    };
  };
}

const PHASES = (holdS: number): unknown[] => [{ ramp_up: '1s' }, { hold: `${holdS}s` }, { ramp_down: '500ms' }];

let dir: string;
let redis: RedisServer;

async function run(name: string, o: ScaleDown): Promise<FlowResults> {
  const file = await writeScaled(dir, name, { workers: 2, noThresholds: true, ...o });
  const out = path.join(dir, `out-${name}-${Date.now()}`);
  const res = await runCli(['run', file, '--out', out]);
  assert.equal(res.code, 0, `${name}: exit ${res.code}\n${res.stdout}\n${res.stderr}`);
  const r = JSON.parse(await readFile(path.join(out, 'results.json'), 'utf8')) as FlowResults;
  assert.ok(r.summary.flow !== undefined, `${name}: results.json has summary.flow`);
  return r;
}

const byKey = <T>(rows: T[], key: (t: T) => string, value: (t: T) => number): Record<string, number> => {
  const out: Record<string, number> = {};
  for (const r of rows) if (value(r) !== 0) out[key(r)] = (out[key(r)] ?? 0) + value(r);
  return out;
};
const nonZero = (r: Record<string, number>): Record<string, number> => Object.fromEntries(Object.entries(r).filter(([, v]) => v !== 0));

/** The delivery accounting set beside the app's: nothing early, late-joined or stray; lost = what the app dropped. */
function assertDeliveries(d: FlowResults['summary']['flow']['deliveries'], app: { published: number; written: number; dropped: number }, label: string): void {
  const seen = `${label}: ${JSON.stringify({ ...d, byTopic: undefined, byPair: undefined })}`;
  assert.equal(d.published, app.published, `publishes: ${seen}`);
  assert.equal(d.received, app.written, `deliveries received = written by the app: ${seen}`);
  assert.deepEqual([d.early, d.unaccounted, d.self, d.stray], [0, 0, 0, 0], `every delivery covered: ${seen}`);
  assert.equal(d.accounted, app.written, seen);
  assert.equal(d.lost, app.dropped, `lost = deliberately dropped: ${seen}`);
  assert.equal(d.expected, app.written + app.dropped, seen);
  // The figures, in the test's output: what the app counted beside what wsherd reported.
  diagnostic(`${label}: app published ${app.published}, wrote ${app.written}, dropped ${app.dropped}; wsherd published ${d.published}, received ${d.received}, expected ${d.expected}, accounted ${d.accounted}, lost ${d.lost}`);
}

/** A line in the TAP output (node:test prints `# …` for it), so a run shows the oracle's figures. */
function diagnostic(text: string): void {
  process.stdout.write(`oracle: ${text}\n`);
}

describe('oracle: flow scenarios against the test\'s own apps', { skip: REDIS_SKIP }, () => {
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'wsherd-flows-oracle-'));
    redis = await startRedis();
  });
  after(async () => {
    await redis?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test('app-session: answers, welcomes and pushes equal the app\'s counts', async () => {
    const clients = 30;
    const requests = 3;
    // Pushes stop after 5 per connection (1 s), long before the clients close: none in flight at the end.
    const app = await startWsApp({ instances: 3, pushIntervalMs: 200, pushLimit: 5 });
    try {
      const r = await run('app-session.yaml', { clients, phases: PHASES(6), target: app.url, loopCount: requests, every: '300ms' });
      const t = app.totals();
      const f = r.summary.flow;
      const c = r.summary.counters;
      assert.equal(t.connections, clients);
      assert.equal(c.established, clients);
      assert.deepEqual(t.received, { auth: clients, request: clients * requests });
      assert.equal(c.messagesSent, clients * (1 + requests));
      assert.equal(c.messagesReceived, t.answered, 'correlated answers received = the app\'s answers');
      assert.equal(c.messagesLost, 0);
      assert.equal(f.steps.auth?.ok, t.welcomes);
      assert.equal(f.steps.welcome?.ok, t.welcomes);
      assert.equal(f.steps.request?.ok, t.responses);
      assert.equal(t.responses, clients * requests);
      assert.equal(f.frames.byType.push, t.pushes, 'pushes counted by type = pushes sent');
      assert.equal(t.pushes, clients * 5);
      assert.equal(f.frames.byType.welcome, t.welcomes);
      assert.equal(f.frames.byType.response, t.responses);
      assert.equal(f.frames.received, t.welcomes + t.responses + t.pushes, 'every frame the app wrote, counted once');
      assert.equal(f.frames.unsolicited, t.pushes);
      assert.equal(f.frames.solicited, t.welcomes + t.responses);
      diagnostic(`app-session: app welcomes ${t.welcomes}, responses ${t.responses}, pushes ${t.pushes}; wsherd step welcome ok ${f.steps.welcome?.ok}, request ok ${f.steps.request?.ok}, messagesReceived ${c.messagesReceived}, frames push ${f.frames.byType.push}, solicited ${f.frames.solicited}, unsolicited ${f.frames.unsolicited}`);
    } finally {
      await app.close();
    }
  });

  for (const identity of [true, false]) {
    test(`pubsub-fanout: deliveries and loss equal the app's writes and drops (identity ${identity ? 'announced' : 'absent'})`, async () => {
      const subscribers = 49;
      const publishes = 5;
      const app = await startWsApp({ instances: 3, redisUrl: redis.url, identity, drop: (n) => n % 10 === 5 });
      try {
        const r = await run('pubsub-fanout.yaml', {
          clients: subscribers + 1, phases: PHASES(7), target: app.url, shares: { publisher: 0.02, subscriber: 0.98 },
          think: '2s', loopCount: publishes, deliveryTimeout: '1s',
        });
        const t = app.totals();
        const f = r.summary.flow;
        const d = f.deliveries;
        assert.equal(t.published, publishes);
        assert.equal(t.received.subscribe, subscribers);
        assert.equal(f.steps.subscribe?.ok, subscribers);
        assert.equal(f.steps.publish?.ok, publishes, 'each publish answered `published`, by id');
        assert.equal(r.summary.counters.messagesReceived, t.answered);
        assert.equal(t.deliveries + t.dropped, subscribers * publishes);
        assert.ok(t.dropped > 0, 'the app dropped some deliveries');
        assertDeliveries(d, { published: t.published, written: t.deliveries, dropped: t.dropped }, 'pubsub-fanout');
        assert.equal(f.frames.byType.message, t.deliveries);
        assert.deepEqual(byKey(d.byTopic, (x) => x.topic, (x) => x.accounted), t.deliveriesByTopic);
        assert.deepEqual(byKey(d.byTopic, (x) => x.topic, (x) => x.lost), t.droppedByTopic);
        if (identity) {
          assert.deepEqual(byKey(d.byPair, (x) => `${x.from}\t${x.to}`, (x) => x.accounted), nonZero(t.deliveriesByPair));
          assert.deepEqual(byKey(d.byPair, (x) => `${x.from}\t${x.to}`, (x) => x.lost), nonZero(t.droppedByPair));
          const same = Object.entries(t.deliveriesByPair).filter(([k]) => k.split('\t')[0] === k.split('\t')[1]).reduce((a, [, v]) => a + v, 0);
          assert.equal(d.sameBackend.accounted, same);
          assert.equal(d.crossBackend.accounted, t.deliveries - same);
        } else {
          // No identity signal: every pair reads unknown → unknown, with the same totals.
          assert.deepEqual(d.byPair.map((p) => [p.from, p.to]), [['unknown', 'unknown']]);
          assert.equal(d.byPair[0]?.accounted, t.deliveries);
        }
      } finally {
        await app.close();
      }
    });
  }

  test('chat-rooms: joins, chats and relays equal the socket.io app\'s counts', async () => {
    const clients = 60;
    const chats = 3;
    const app = await startChatApp({ instances: 3, redisUrl: redis.url, drop: (n) => n % 7 === 3 });
    try {
      const r = await run('chat-rooms.yaml', {
        clients, phases: PHASES(7), target: app.url, shares: { poster: 0.05, member: 0.95 }, replace: [['client % 50', 'client % 7']],
        think: '3s', loopCount: chats, every: '500ms', deliveryTimeout: '1s',
      });
      const t = app.totals();
      const f = r.summary.flow;
      const d = f.deliveries;
      assert.equal(t.connections, clients);
      assert.equal(t.joinAcks, clients);
      assert.equal(f.steps.join?.ok, t.joinAcks);
      assert.equal(t.chats, 3 * chats, '3 posters (5% of 60), 3 chats each');
      assert.equal(f.steps.chat?.ok, t.chatAcks);
      assert.equal(r.summary.counters.messagesReceived, t.joinAcks + t.chatAcks, 'acks received = acks the app sent');
      assert.ok(t.dropped > 0, 'the app dropped some relays');
      assertDeliveries(d, { published: t.chats, written: t.relayed, dropped: t.dropped }, 'chat-rooms');
      assert.deepEqual(byKey(d.byTopic, (x) => x.topic, (x) => x.accounted), t.relayedByRoom);
      assert.deepEqual(byKey(d.byTopic, (x) => x.topic, (x) => x.lost), t.droppedByRoom);
      assert.deepEqual(byKey(d.byPair, (x) => `${x.from}\t${x.to}`, (x) => x.accounted), nonZero(t.relayedByPair));
      assert.deepEqual(byKey(d.byPair, (x) => `${x.from}\t${x.to}`, (x) => x.lost), nonZero(t.droppedByPair));
      // Every event and ack the app sent, counted once (chat events unsolicited, acks answers).
      assert.equal(f.frames.received, t.joinAcks + t.chatAcks + t.relayed);
      assert.equal(f.frames.unsolicited, t.relayed);
    } finally {
      await app.close();
    }
  });
});
