import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { slotIntervals, withChurn } from '../../src/load/schedule.js';
import { parseScenario } from '../../src/scenario/load.js';
import { plannedChurn } from '../../src/analysis/port-cliff.js';

describe('churn: behavior.lifetime and think_time', () => {
  test('an open period is cut into connections of lifetime, think_time apart; the last ends with the period', () => {
    assert.deepEqual(withChurn([{ openAt: 100, closeAt: 2600 }], 1000, 0), [
      { openAt: 100, closeAt: 1100 }, { openAt: 1100, closeAt: 2100 }, { openAt: 2100, closeAt: 2600 },
    ]);
    assert.deepEqual(withChurn([{ openAt: 0, closeAt: 3000 }], 1000, 500), [{ openAt: 0, closeAt: 1000 }, { openAt: 1500, closeAt: 2500 }]);
  });

  test('validation: lifetime at least 100 ms; think_time needs lifetime; client-fin is a closer', () => {
    const s = parseScenario('name: c\nclients: 5\nlab: {backends: {count: 1}}\nbehavior: {lifetime: 2s, think_time: 0s, close: client-fin}\n', 'c.yaml');
    assert.equal(s.behavior.lifetimeMs, 2000);
    assert.equal(s.behavior.thinkTimeMs, 0);
    assert.equal(s.behavior.close, 'client-fin');
    assert.throws(() => parseScenario('name: c\nclients: 5\nlab: {backends: {count: 1}}\nbehavior: {lifetime: 50ms}\n', 'c.yaml'), /behavior\.lifetime must be at least 100 ms/);
    assert.throws(() => parseScenario('name: c\nclients: 5\nlab: {backends: {count: 1}}\nbehavior: {think_time: 1s}\n', 'c.yaml'), /think_time applies between connections of a slot, which needs behavior\.lifetime/);
  });

  test('the planned churn of 50 clients living 1 s: 50 closes a second once the ramp is done', () => {
    const s = parseScenario('name: c\nclients: 50\nlab: {backends: {count: 1}}\nphases: [{ramp_up: {duration: 1s, to: 50}}, {hold: {duration: 9s}}]\nbehavior: {lifetime: 1s}\n', 'c.yaml');
    const { open, closes } = plannedChurn(s);
    assert.equal(open[5], 50);
    assert.equal(closes[5], 50);
    assert.equal(closes.reduce((a, b) => a + b), slotIntervals(s.phases, 50).reduce((n, iv) => n + withChurn(iv, 1000, 0).length, 0));
  });
});
