import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { diagnose } from '../../src/analysis/diagnosis.js';
import { sampleResults } from '../results/fixture.js';
import { flowFixtureSummary } from '../metrics/flow-fixture.js';

describe('diagnose: deliveries lost', () => {
  test('lost only across backends while every delivery within one arrived: the bus between backends', () => {
    const r = sampleResults();
    r.summary.flow = flowFixtureSummary();
    const d = diagnose(r);
    assert.equal(d.kind, 'bus-loss');
    assert.equal(d.sentence, 'Messages lost between backends: 3 of 11 cross-backend deliveries (27%) never arrived, while all 17 within one backend did: the bus between backends loses messages.');
  });

  test('lost within a backend too: a loss, not the bus; no loss: no delivery finding', () => {
    const r = sampleResults();
    const flow = flowFixtureSummary();
    flow.deliveries.sameBackend = { ...flow.deliveries.sameBackend, lost: 1, loss: 1 / 17 };
    r.summary.flow = flow;
    assert.equal(diagnose(r).kind, 'delivery-loss');
    assert.equal(diagnose(r).sentence, 'Deliveries lost: 3 of 38 expected (7.9%), most on topic news (3).');
    flow.deliveries = { ...flow.deliveries, lost: 0, loss: 0 };
    assert.notEqual(diagnose(r).kind, 'delivery-loss');
  });
});
