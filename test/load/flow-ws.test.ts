/**
 * Flows on the ws engine against servers written here with plain `ws`: each server counts what it did, and the
 * recorder's figures must equal those counts.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { WebSocket } from 'ws';
import { flowFixtures, step, path } from './helpers/flow-run.js';
import type { FlowStep } from '../../src/scenario/flow-types.js';
import type { Behavior } from '../../src/scenario/types.js';

const { wsServer, run } = flowFixtures();
const server = wsServer;

const json = (value: unknown, more: Partial<FlowStep> = {}): FlowStep => step({ kind: 'send', payload: { kind: 'json', value }, correlate: true, ...more } as never);

describe('flows on the ws engine', () => {
  test('frames: pushes the server sends unasked are unsolicited, the awaited answer solicited, per type', async () => {
    let pushes = 0;
    let welcomes = 0;
    const url = await server((ws) => {
      for (let i = 0; i < 5; i++) {
        ws.send(JSON.stringify({ type: 'push', n: i }));
        pushes++;
      }
      ws.on('message', () => {
        ws.send(JSON.stringify({ type: 'welcome' }));
        welcomes++;
      });
    });
    const t = await run(url, 4, 600, {
      frames: { type: path('$.type') },
      flow: [json({ type: 'hi' }, { correlate: false } as never), step({ kind: 'expect', name: 'welcome', match: { path: path('$.type'), equals: 'welcome' }, timeoutMs: 2000 })],
    }).done;
    assert.equal(pushes, 20);
    assert.equal(welcomes, 4);
    assert.equal(t.frames.unsolicited, pushes);
    assert.equal(t.frames.solicited, welcomes);
    assert.equal(t.frames.received, pushes + welcomes);
    assert.deepEqual(t.frames.byType, { push: pushes, welcome: welcomes });
    assert.equal(t.steps['welcome']?.ok, 4);
    assert.deepEqual(t.steps['welcome']?.errors, {});
    assert.equal(t.counters.messagesSent, 4);
  });

  test('correlation: answers sent in reverse order are matched by id, each timed once', async () => {
    let answered = 0;
    const url = await server((ws) => {
      const held: string[] = [];
      ws.on('message', (data) => {
        held.push((JSON.parse(String(data)) as { id: string }).id);
        if (held.length < 5) return;
        for (const id of held.reverse()) {
          ws.send(JSON.stringify({ type: 'response', re: id }));
          answered++;
        }
        held.length = 0;
      });
    });
    const t = await run(url, 3, 800, {
      correlate: { send: path('$.id'), receive: path('$.re') },
      flow: [step({ kind: 'loop', count: 5, steps: [json({ type: 'request', data: 'x{{ seq }}' }, { name: 'req' } as never)] })],
    }).done;
    assert.equal(answered, 15);
    assert.equal(t.steps['req']?.ok, 15);
    assert.equal(t.counters.messagesSent, 15);
    assert.equal(t.counters.messagesReceived, 15);
    assert.equal(t.counters.messagesLost, 0);
    assert.equal(t.frames.solicited, 15);
    assert.equal(t.frames.unsolicited, 0);
  });

  test('an expect that times out counts an error under its step, and the flow goes on', async () => {
    let after_ = 0;
    const url = await server((ws) => ws.on('message', (d) => {
      if (String(d).includes('after')) after_++;
    }));
    const t = await run(url, 3, 900, {
      flow: [
        step({ kind: 'expect', name: 'wait', match: { path: path('$.type'), equals: 'never' }, timeoutMs: 200 }),
        step({ kind: 'send', payload: { kind: 'text', text: 'after {{ client }}' }, correlate: false }),
      ],
    }).done;
    assert.deepEqual(t.steps['wait']?.errors, { timeout: 3 });
    assert.equal(t.steps['wait']?.ok, 0);
    assert.equal(after_, 3);
    assert.equal(t.counters.dropped, 0);
  });
});

/**
 * A relay: subscribe / publish as the reference ws app speaks it. `drop(conn, n)`: whether the n-th delivery to a
 * subscriber connection is dropped (not written, not counted delivered).
 */
async function relay(drop: (sub: number, n: number) => boolean = () => false): Promise<{ url: string; delivered: () => number; dropped: () => number }> {
  const topics = new Map<string, Set<WebSocket>>();
  const ids = new Map<WebSocket, { id: number; n: number }>();
  let delivered = 0;
  let dropped = 0;
  let next = 0;
  const url = await server((ws) => {
    ids.set(ws, { id: next++, n: 0 });
    ws.on('message', (data) => {
      const m = JSON.parse(String(data)) as { type: string; topic: string; id?: string; data?: unknown };
      if (m.type === 'subscribe') {
        let s = topics.get(m.topic);
        if (s === undefined) topics.set(m.topic, (s = new Set()));
        s.add(ws);
        ws.send(JSON.stringify({ type: 'subscribed', topic: m.topic, re: m.id }));
      } else if (m.type === 'publish') {
        for (const sub of topics.get(m.topic) ?? []) {
          if (sub === ws) continue;
          const who = ids.get(sub) as { id: number; n: number };
          who.n++;
          if (drop(who.id, who.n)) {
            dropped++;
            continue;
          }
          sub.send(JSON.stringify({ type: 'message', topic: m.topic, data: m.data }));
          delivered++;
        }
      }
    });
  });
  return { url, delivered: () => delivered, dropped: () => dropped };
}

const FANOUT = (publishers: number, subscribers: number): Partial<Behavior> => ({
  correlate: { send: path('$.id'), receive: path('$.re') },
  deliveryTimeoutMs: 500,
  roles: [
    {
      name: 'publisher', share: publishers / (publishers + subscribers), location: { file: 't', line: 1, col: 1 },
      flow: [
        step({ kind: 'think', ms: 1300 }),
        step({ kind: 'loop', count: 20, everyMs: 40, steps: [json({ type: 'publish', topic: 'news', data: '{{ stamp }}' }, { correlate: false, publish: 'news' } as never)] }),
      ],
    },
    {
      name: 'subscriber', share: subscribers / (publishers + subscribers), location: { file: 't', line: 1, col: 1 },
      flow: [json({ type: 'subscribe', topic: 'news' }, { join: 'news', name: 'subscribe' } as never)],
    },
  ],
});

describe('deliveries (fan-out) on the ws engine', () => {
  test('every delivery the relay writes is accounted, none lost', async () => {
    const r = await relay();
    const t = await run(r.url, 12, 3500, FANOUT(2, 10)).done;
    assert.equal(t.roles['publisher'], 2);
    assert.equal(t.roles['subscriber'], 10);
    assert.equal(t.steps['subscribe']?.ok, 10);
    assert.equal(r.delivered(), 2 * 20 * 10);
    assert.equal(t.deliveries.received, r.delivered());
    assert.equal(t.deliveries.accounted, r.delivered());
    assert.equal(t.deliveries.expected, r.delivered());
    assert.equal(t.deliveries.lost, 0);
    assert.ok(t.deliveries.histCount);
    assert.equal(t.frames.unsolicited, r.delivered());
  });

  test('a relay that drops every 10th delivery to one subscriber: lost equals what it dropped', async () => {
    const r = await relay((sub, n) => sub === 3 && n % 10 === 0);
    const t = await run(r.url, 12, 3500, FANOUT(2, 10)).done;
    assert.ok(r.dropped() > 0);
    assert.equal(t.deliveries.accounted, r.delivered());
    assert.equal(t.deliveries.lost, r.dropped());
    assert.equal(t.deliveries.expected, r.delivered() + r.dropped());
  });
});
