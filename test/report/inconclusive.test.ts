import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { renderHtml } from '../../src/report/html.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { renderSummary } from '../../src/report/summary.js';
import { sampleResults } from '../results/fixture.js';
import type { Results } from '../../src/results/types.js';

/** The run: 61% of attempts cancelled (never established before the plan ended), thresholds all passing. */
function cancelledRun(): Results {
  const r = sampleResults();
  r.thresholds = r.thresholds.map((t) => ({ ...t, pass: true }));
  r.summary.counters = { ...r.summary.counters, attempted: 2000, established: 783, failed: 1217 };
  r.summary.errors = { total: 1217, rate: 0.6085, byCode: { cancelled: 1217 }, generator: 1217, targetRate: 0 };
  r.analysis = { forensics: [{ side: 'generator', cause: 'cancelled: its planned end came before the generator got it established', count: 1217, codes: ['cancelled'] }] };
  return r;
}

describe('a saturated generator in every output: INCONCLUSIVE, never PASS, cancelled shown as the generator\'s', () => {
  test('terminal: status, diagnosis, the generator\'s share of errors, no "on the target"', () => {
    const out = renderSummary(cancelledRun(), { color: false });
    assert.match(out, /^Status {2}INCONCLUSIVE {2}\(generator saturated: 1,217 of 2,000 attempts \(60\.9%\) were cancelled before they were established/m);
    assert.match(out, /^Diagnosis {2}Generator saturated: /m);
    assert.match(out, /1,217 the generator's own \(cancelled, out of fds or ports\), target's error rate 0\.00%/);
    assert.match(out, /1,217 on the generator: cancelled/);
    assert.doesNotMatch(out, /\d on the target/, "no failure is put on the target");
    assert.doesNotMatch(out, /PASS/);
  });

  test('HTML header badge and Markdown verdict', () => {
    const html = renderHtml(cancelledRun());
    assert.match(html, /<header class="verdict verdict-inconclusive">/);
    assert.match(html, /<div class="badge">INCONCLUSIVE<\/div>/);
    assert.match(html, /data-diagnosis="generator-saturated"/);
    assert.match(renderMarkdown(cancelledRun()), /^\*\*⚠️ INCONCLUSIVE\*\* \(generator saturated: 1,217 of 2,000 attempts/m);
  });
});
