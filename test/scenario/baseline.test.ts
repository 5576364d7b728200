import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseScenario } from '../../src/scenario/load.js';
import { rejectText, targetScenario } from './helpers.js';

const lines = (text: string): string[] => rejectText(text, 'b.yaml').problems.map((p) => `${p.line}:${p.col} ${p.message}${p.hint ? ` (${p.hint})` : ''}`);

describe('baseline:', () => {
  test('tolerance and per-metric tolerances as fractions', () => {
    const s = parseScenario(targetScenario('baseline:\n  tolerance: 15%\n  metrics: {"p99(connect)": 20%, errors.rate: 0%}\n'), 'b.yaml');
    assert.deepEqual(s.baseline, { tolerance: 0.15, metrics: { 'p99(connect)': 0.2, 'errors.rate': 0 } });
    assert.equal(parseScenario(targetScenario(''), 'b.yaml').baseline, undefined);
  });

  test('problems: a bare number, an unknown metric, an unknown key', () => {
    assert.deepEqual(lines(targetScenario('baseline:\n  tolerance: 10\n  metrics: {"p99(conect)": 20%}\n  tolerence: 1%\n')), [
      '5:14 baseline.tolerance must be a percentage, got a number (10) (a relative change written as a percentage, e.g. 10% (or 0% for no drift at all))',
      '6:13 baseline.metrics: unknown metric "p99(conect)" (did you mean "p99(connect)"?)',
      '7:3 unknown key "tolerence" in baseline (did you mean "tolerance"?)',
    ]);
  });
});
