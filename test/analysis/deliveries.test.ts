import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { Aggregator } from '../../src/metrics/aggregate.js';
import { accountDeliveries, pairKey, type DeliveryInputs } from '../../src/analysis/deliveries.js';
import { summarizeFlow } from '../../src/analysis/flow.js';
import { workerA, workerB } from '../metrics/flow-fixture.js';

function merged(order: 'ab' | 'ba' | 'shuffled') {
  const agg = new Aggregator();
  const a = workerA();
  const b = workerB();
  if (order === 'ab') agg.add([...a, ...b]);
  else if (order === 'ba') agg.add([...b, ...a]);
  else agg.add([b[3], a[2], a[0], b[1], a[3], b[0], a[1], b[2]].filter((x) => x !== undefined));
  const flow = agg.flow();
  assert.ok(flow);
  return flow;
}

describe('delivery accounting (hand-computed, test/metrics/flow-fixture.ts)', () => {
  test('expected per key: late joiner, early leaver, a membership covering nothing, the publisher in its own topic', () => {
    const acc = accountDeliveries(merged('ab').deliveries);
    assert.deepEqual(acc.byKey, [
      { topic: 'chat', from: 'b1', to: 'unknown', expected: 10, accounted: 10 },
      { topic: 'ghost', from: 'b1', to: 'b1', expected: 0, accounted: 1 },
      { topic: 'news', from: 'b1', to: 'b1', expected: 12, accounted: 12 },
      { topic: 'news', from: 'b1', to: 'b2', expected: 4, accounted: 3 },
      { topic: 'news', from: 'b2', to: 'b1', expected: 7, accounted: 5 },
      { topic: 'news', from: 'b2', to: 'b2', expected: 5, accounted: 6 },
    ]);
    assert.deepEqual(acc.total, { expected: 38, accounted: 37, lost: 3, extra: 2, loss: 3 / 38 });
  });

  test('rolled up per topic (most lost first), per backend pair, same and cross backend', () => {
    const acc = accountDeliveries(merged('ab').deliveries);
    assert.deepEqual(acc.byTopic, [
      { topic: 'news', expected: 28, accounted: 26, lost: 3, extra: 1, loss: 3 / 28 },
      { topic: 'chat', expected: 10, accounted: 10, lost: 0, extra: 0, loss: 0 },
      { topic: 'ghost', expected: 0, accounted: 1, lost: 0, extra: 1, loss: null },
    ]);
    assert.deepEqual(acc.byPair, [
      { from: 'b1', to: 'b1', crossBackend: false, expected: 12, accounted: 13, lost: 0, extra: 1, loss: 0 },
      { from: 'b1', to: 'b2', crossBackend: true, expected: 4, accounted: 3, lost: 1, extra: 0, loss: 1 / 4 },
      { from: 'b1', to: 'unknown', crossBackend: null, expected: 10, accounted: 10, lost: 0, extra: 0, loss: 0 },
      { from: 'b2', to: 'b1', crossBackend: true, expected: 7, accounted: 5, lost: 2, extra: 0, loss: 2 / 7 },
      { from: 'b2', to: 'b2', crossBackend: false, expected: 5, accounted: 6, lost: 0, extra: 1, loss: 0 },
    ]);
    assert.deepEqual(acc.sameBackend, { expected: 17, accounted: 19, lost: 0, extra: 2, loss: 0 });
    assert.deepEqual(acc.crossBackend, { expected: 11, accounted: 8, lost: 3, extra: 0, loss: 3 / 11 });
  });

  test('two workers\' buckets in either order (or shuffled) give identical summaries', () => {
    const ab = summarizeFlow(merged('ab'));
    assert.deepEqual(summarizeFlow(merged('ba')), ab);
    assert.deepEqual(summarizeFlow(merged('shuffled')), ab);
  });

  test('summary: steps, frames, receipt counts, roles', () => {
    const s = summarizeFlow(merged('ba'));
    assert.deepEqual(Object.keys(s.steps), ['login', 'req']);
    const login = s.steps['login'];
    assert.ok(login);
    assert.equal(login.ok, 4);
    assert.deepEqual(login.errors, { timeout: 1 });
    assert.equal(login.errorCount, 1);
    assert.equal(login.errorRate, 1 / 5);
    assert.equal(login.latency.count, 4);
    assert.equal(login.latency.min, 1);
    assert.ok(Math.abs(login.latency.max - 4) < 0.01);
    const req = s.steps['req'];
    assert.ok(req);
    assert.deepEqual([req.ok, req.errorCount, req.errorRate, req.latency.count], [3, 2, 2 / 5, 3]);
    assert.deepEqual(s.frames, { received: 17, solicited: 6, unsolicited: 11, byType: { welcome: 3, message: 12 } });
    const d = s.deliveries;
    assert.deepEqual(
      [d.published, d.received, d.expected, d.accounted, d.lost, d.extra, d.early, d.unaccounted, d.self, d.late, d.stray, d.memberships],
      [25, 30, 38, 37, 3, 2, 1, 1, 1, 1, 1, 5],
    );
    assert.equal(d.latency.count, 7);
    assert.deepEqual(s.roles, { publisher: 1, subscriber: 3 });
  });

  test('no publish, no membership: nothing expected, loss has no value', () => {
    const acc = accountDeliveries({ published: {}, memberships: [], accounted: {}, selfExpected: {} });
    assert.deepEqual(acc.total, { expected: 0, accounted: 0, lost: 0, extra: 0, loss: null });
    assert.deepEqual([acc.byTopic, acc.byPair, acc.byKey], [[], [], []]);
  });

  test('5,000 memberships over 300 topics and 600 seconds: equal to the brute-force sum', () => {
    let x = 7;
    const rnd = (n: number): number => { x = (x * 1103515245 + 12345) % 2 ** 31; return x % n; };
    const backends = ['b1', 'b2', 'b3'];
    const input: DeliveryInputs = { published: {}, memberships: [], accounted: {}, selfExpected: {} };
    for (let i = 0; i < 20_000; i++) {
      const key = `${rnd(600)}\tt${rnd(300)}\t${backends[rnd(3)]}`;
      input.published[key] = (input.published[key] ?? 0) + 1 + rnd(5);
    }
    const ms: Array<[string, string, number, number]> = [];
    for (let i = 0; i < 5000; i++) {
      const from = rnd(600);
      ms.push([`t${rnd(300)}`, backends[rnd(3)] as string, from, from + rnd(200)]);
    }
    input.memberships = ms;
    const acc = accountDeliveries(input);
    // The oracle: every membership against every publish, no prefix sums.
    const brute = new Map<string, number>();
    const pubs = Object.entries(input.published).map(([k, n]) => { const [s, t, b] = k.split('\t'); return { s: Number(s), t, b, n }; });
    for (const [topic, sub, from, to] of ms) {
      for (const p of pubs) if (p.t === topic && p.s > from && p.s < to) brute.set(pairKey(topic, p.b as string, sub), (brute.get(pairKey(topic, p.b as string, sub)) ?? 0) + p.n);
    }
    const got = new Map(acc.byKey.map((k) => [pairKey(k.topic, k.from, k.to), k.expected]));
    assert.deepEqual(got, brute);
    assert.equal(acc.total.expected, [...brute.values()].reduce((a, b) => a + b, 0));
    assert.equal(acc.total.lost, acc.total.expected, 'nothing accounted: everything lost');
  });
});
