import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { evaluateThresholds, isKnownMetric, metricKind, metricValue } from '../../src/analysis/thresholds.js';
import type { ThresholdSpec, ThresholdOp } from '../../src/scenario/types.js';
import { sampleResults } from '../results/fixture.js';
import { flowFixtureSummary } from '../metrics/flow-fixture.js';
import { fmtMetric } from '../../src/report/format.js';

const spec = (metric: string, op: ThresholdOp, value: number): ThresholdSpec => ({
  source: `${metric} ${op} ${value}`, metric, op, value, location: { file: 's.yaml', line: 1, col: 1 },
});

function flowRun() {
  const r = sampleResults();
  r.summary.flow = flowFixtureSummary();
  return r;
}

describe('flow thresholds (summary.flow of test/metrics/flow-fixture.ts)', () => {
  test('named steps: latency statistics in ms, errors, error rate', () => {
    const r = flowRun();
    assert.equal(metricValue(r, 'min(step:login)'), 1);
    assert.ok(Math.abs((metricValue(r, 'max(step:req)') ?? 0) - 30) < 0.05);
    assert.equal(metricValue(r, 'p50(step:req)'), r.summary.flow?.steps['req']?.latency.p50);
    assert.equal(metricValue(r, 'step:login.errors'), 1);
    assert.equal(metricValue(r, 'step:req.errors'), 2);
    assert.equal(metricValue(r, 'step:req.error_rate'), 2 / 5);
    assert.equal(metricKind('p99(step:req)'), 'ms');
    assert.equal(metricKind('step:req.errors'), 'count');
    assert.equal(metricKind('step:req.error_rate'), 'fraction');
    assert.equal(fmtMetric('step:req.error_rate', 0.4), '40.00%');
  });

  test('deliveries and frames', () => {
    const r = flowRun();
    assert.equal(metricValue(r, 'delivery.loss'), 3 / 38);
    assert.equal(metricValue(r, 'delivery.lost'), 3);
    assert.equal(metricValue(r, 'delivery.expected'), 38);
    assert.equal(metricValue(r, 'delivery.received'), 30);
    assert.equal(metricValue(r, 'p99(delivery)'), r.summary.flow?.deliveries.latency.p99);
    assert.equal(metricValue(r, 'min(delivery)'), 2);
    assert.equal(metricValue(r, 'frames.received'), 17);
    assert.equal(metricValue(r, 'frames.solicited'), 6);
    assert.equal(metricValue(r, 'frames.unsolicited'), 11);
    for (const m of ['delivery.loss', 'p999(delivery)', 'step:x.errors', 'p50(step:a b)', 'frames.unsolicited']) assert.ok(isKnownMetric(m), m);
    assert.ok(!isKnownMetric('p99(step:)'));
    assert.ok(!isKnownMetric('delivery.nope'));
  });

  test('pass and fail against the limits', () => {
    const out = evaluateThresholds(flowRun(), [
      spec('delivery.loss', '<', 0.01), spec('delivery.lost', '==', 3), spec('step:login.error_rate', '<=', 0.2), spec('p99(step:req)', '<', 10),
    ]);
    assert.deepEqual(out.map((t) => t.pass), [false, true, true, false]);
    assert.ok(out.every((t) => t.note === undefined));
  });

  test('no data fails with a note: no flow at all, an unknown step, a step that never completed, nothing expected', () => {
    const plain = sampleResults();
    const [noFlow, noFlowStep] = evaluateThresholds(plain, [spec('delivery.loss', '<', 0.01), spec('p99(step:login)', '<', 100)]);
    assert.deepEqual([noFlow?.measured, noFlow?.pass, noFlow?.note], [null, false, 'no data for delivery.loss (the run had no flow, roles or script)']);
    assert.equal(noFlowStep?.note, 'no data for p99(step:login) (the run had no flow, roles or script)');

    const r = flowRun();
    const flow = r.summary.flow;
    assert.ok(flow);
    flow.steps['never'] = { ok: 0, errors: { timeout: 2 }, errorCount: 2, errorRate: 1, latency: { count: 0, min: 0, mean: 0, stddev: 0, p50: 0, p90: 0, p95: 0, p99: 0, p999: 0, max: 0 } };
    flow.deliveries = { ...flow.deliveries, expected: 0, lost: 0, loss: null };
    const [unknown, unknownErrors, never, neverErrors, loss] = evaluateThresholds(r, [
      spec('p99(step:missing)', '<', 100), spec('step:missing.errors', '==', 0), spec('p99(step:never)', '<', 100), spec('step:never.errors', '==', 0), spec('delivery.loss', '<', 0.01),
    ]);
    assert.equal(unknown?.note, 'no data for p99(step:missing) (no step named "missing" ran)');
    assert.equal(unknownErrors?.note, 'no data for step:missing.errors (no step named "missing" ran)');
    assert.equal(never?.note, 'no data for p99(step:never) (step "never" never completed)');
    assert.deepEqual([neverErrors?.measured, neverErrors?.pass], [2, false]);
    assert.equal(loss?.note, 'no data for delivery.loss (nothing was expected: no publish fell inside a membership)');
    for (const t of [unknown, never, loss]) assert.deepEqual([t?.measured, t?.pass], [null, false]);
  });
});
