import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { Aggregator } from '../../src/metrics/aggregate.js';
import { analyze } from '../../src/analysis/analyze.js';
import { decodeHistogram } from '../../src/metrics/hdr.js';
import { parseScenario } from '../../src/scenario/load.js';
import { bucket, workerA, workerB } from './flow-fixture.js';

function build(agg: Aggregator) {
  const scenario = parseScenario('name: flow\ntarget: {url: "ws://127.0.0.1:9/"}\nclients: 1\nphases: [{ramp_up: 1s}]\n', 'flow.yaml');
  return analyze({
    scenario, status: 'complete', startedAt: new Date(0), endedAt: new Date(6000),
    environment: { wsherdVersion: 'test', node: process.version, platform: 'linux', kernel: '', arch: 'x64', cpus: 1, memTotalBytes: 0, fdLimit: 0, portRange: [0, 0], workers: 2 },
    target: { kind: 'external', url: 'ws://127.0.0.1:9/' }, aggregator: agg, workers: [],
  });
}

describe('flow parts of buckets', () => {
  test('a run without a flow has no summary.flow and no flowHistograms', () => {
    const agg = new Aggregator();
    agg.add(bucket(0, {}));
    const plain = new Aggregator();
    const { flow: _flow, ...noFlow } = bucket(0, {});
    plain.add(noFlow);
    assert.equal(plain.flow(), undefined);
    const r = build(plain);
    assert.equal(r.summary.flow, undefined);
    assert.equal(r.flowHistograms, undefined);
    assert.ok(agg.flow(), 'an empty flow part still says the run had a flow');
  });

  test('analyze puts summary.flow and the merged step and delivery histograms in results', () => {
    const agg = new Aggregator();
    agg.add([...workerA(), ...workerB()]);
    const r = build(agg);
    assert.equal(r.summary.flow?.deliveries.expected, 38);
    assert.equal(r.summary.flow?.deliveries.lost, 3);
    assert.deepEqual(Object.keys(r.flowHistograms ?? {}).sort(), ['delivery', 'step:login', 'step:req']);
    assert.equal(decodeHistogram(r.flowHistograms?.['step:req'] ?? '').totalCount, 3);
    assert.equal(decodeHistogram(r.flowHistograms?.['delivery'] ?? '').totalCount, 7);
    // Per second: deliveries received and step failures (what the live progress and --stream lines show).
    assert.equal(r.series.length, 7);
    assert.deepEqual(r.series.map((p) => p.flow), [
      undefined, { deliveries: 0, stepErrors: 1 }, { deliveries: 5, stepErrors: 0 }, { deliveries: 8, stepErrors: 2 },
      { deliveries: 2, stepErrors: 0 }, { deliveries: 4, stepErrors: 0 }, { deliveries: 11, stepErrors: 0 },
    ]);
  });

  test('the merge is a sum: a worker\'s buckets added twice double every count and histogram', () => {
    const once = new Aggregator();
    once.add(workerA());
    const twice = new Aggregator();
    twice.add([...workerA(), ...workerA()]);
    const a = once.flow();
    const b = twice.flow();
    assert.ok(a && b);
    assert.equal(b.frames.received, 2 * a.frames.received);
    assert.equal(b.steps.get('login')?.hist.totalCount, 2 * (a.steps.get('login')?.hist.totalCount ?? 0));
    assert.equal(b.deliveries.memberships.length, 2 * a.deliveries.memberships.length);
    assert.deepEqual(Object.values(b.deliveries.accounted), Object.values(a.deliveries.accounted).map((n) => 2 * n));
  });
});
