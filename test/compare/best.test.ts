import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { bestOf, rowOfResults } from '../../src/compare/run.js';
import { renderCompareSummary } from '../../src/compare/summary.js';
import { renderCompareMarkdown } from '../../src/report/markdown.js';
import { COMPARE_FORMAT, COMPARE_VERSION, type CompareResults } from '../../src/compare/types.js';
import type { Results } from '../../src/results/types.js';
import { sampleResults } from '../results/fixture.js';

const row = (name: string, edit: (r: Results) => void): ReturnType<typeof rowOfResults> => {
  const r = sampleResults();
  edit(r);
  return rowOfResults(name, { strategy: 'round-robin', mode: 'l4' }, 'proxy', r, `${name}/results.json`);
};

describe('best marks: never on an inconclusive row, nor on one that failed more than it established', () => {
  test('the saturated row has the best figures and gets no ★; nor does a 60% error rate', () => {
    const saturated = row('saturated', (r) => {
      r.summary.counters.established = 5000;
      r.summary.latency.connect.p99 = 0.1;
      r.generator.workers[0]!.stalls = [{ atMs: 2000, ms: 1000 }];
    });
    const failing = row('failing', (r) => {
      r.summary.counters = { ...r.summary.counters, established: 790, failed: 1230 };
      r.summary.errors = { ...r.summary.errors, total: 1235, rate: 0.6085 };
      r.summary.latency.connect.p99 = 0.2;
    });
    const a = row('a', (r) => { r.summary.latency.connect.p99 = 3; });
    const b = row('b', (r) => { r.summary.latency.connect.p99 = 5; });
    assert.equal(saturated.inconclusive, true);
    assert.equal(saturated.verdict, 'INCONCLUSIVE');
    assert.equal(saturated.diagnosis?.kind, 'generator-saturated');
    assert.equal(failing.inconclusive, false);
    const best = bestOf([saturated, failing, a, b]);
    assert.deepEqual(best.connectP99, ['a']);
    for (const names of Object.values(best)) assert.ok(!names.includes('saturated') && !names.includes('failing'), JSON.stringify(best));

    const c: CompareResults = { format: COMPARE_FORMAT, version: COMPARE_VERSION, scenario: 's', startedAt: '', endedAt: '', status: 'complete', approaches: [saturated, failing, a, b], best };
    const text = renderCompareSummary(c, { color: false });
    assert.match(text, /^\s*saturated .* INCONCLUSIVE ⚠$/m);
    assert.match(text, /^saturated: .* Diagnosis: Generator saturated: its event loop stopped 1 time/m);
    assert.match(renderCompareMarkdown(c), /\| ⚠️ INCONCLUSIVE \|/);
  });
});
