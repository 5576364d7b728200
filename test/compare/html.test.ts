import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { compareChartData, renderCompareHtml } from '../../src/compare/html.js';
import { metricsOf } from '../../src/compare/run.js';
import type { ApproachRow, CompareResults } from '../../src/compare/types.js';
import type { Results } from '../../src/results/types.js';
import { sampleResults } from '../results/fixture.js';

function row(name: string, r: Results | undefined): ApproachRow {
  return r === undefined
    ? { name, proxy: { strategy: 'round-robin', mode: 'l4' }, status: 'skipped', thresholdsPassed: 0, thresholdsFailed: 0, sentence: 'Not run.' }
    : { name, proxy: { strategy: 'round-robin', mode: 'l4' }, approach: 'proxy', status: 'complete', results: `${name}/results.json`, thresholdsPassed: 1, thresholdsFailed: 0, metrics: metricsOf(r), sentence: `${name} ran.` };
}

function compareOf(rows: ApproachRow[]): CompareResults {
  return { format: 'wsherd-compare', version: 1, scenario: 'cmp', startedAt: '2025-06-14T09:30:00Z', endedAt: '2025-06-14T09:31:00Z', status: 'complete', approaches: rows, best: {} };
}

describe('renderCompareHtml', () => {
  const a = sampleResults();
  const b = sampleResults();
  b.series = b.series.slice(0, 15).map((p) => ({ ...p, open: p.open * 2, rttP99: null }));
  const c = compareOf([row('first', a), row('second', b), row('third', undefined)]);

  test('without runs: the table only, and no script at all (the CSP allows none)', () => {
    const html = renderCompareHtml(c);
    assert.doesNotMatch(html, /<script/);
    assert.doesNotMatch(html, /id="charts"/);
    assert.match(html, /content="default-src 'none'; style-src 'unsafe-inline'"/);
  });

  test('with runs: small multiples per run approach, the skipped one left out, scripts allowed by hash only', () => {
    const html = renderCompareHtml(c, [a, b]);
    const ids = [...html.matchAll(/data-chart="([\w-]+)"/g)].map((m) => m[1]);
    assert.deepEqual(ids, ['open-1', 'open-2', 'rtt-1', 'rtt-2']);
    assert.equal([...html.matchAll(/<svg class="shares"/g)].length, 2);
    const csp = /script-src ([^;]+);/.exec(html);
    const hashes = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => `'sha256-${createHash('sha256').update(m[1] as string, 'utf8').digest('base64')}'`);
    assert.equal(hashes.length, 2, 'uPlot and the client script');
    assert.equal(csp?.[1], hashes.join(' '));
    assert.doesNotMatch(html.replace(/<script[\s\S]*?<\/script>/g, ''), /https?:\/\//, 'nothing to fetch outside the inlined code');
  });

  test('one scale for all: the largest run\'s time, open connections and p99 rtt', () => {
    const d = compareChartData(c, [a, b]);
    assert.ok(d);
    assert.deepEqual(d.approaches.map((x) => [x.index, x.name]), [[0, 'first'], [1, 'second']]);
    assert.equal(d.scales.xMax, 20);
    assert.equal(d.scales.openMax, 4000);
    assert.equal(d.scales.rttMax, Math.max(...a.series.map((p) => p.rttP99 ?? 0)));
    const none = sampleResults();
    for (const p of none.series) p.rttP99 = null;
    assert.equal(compareChartData(compareOf([row('x', none)]), [none])?.scales.rttMax, null);
    assert.doesNotMatch(renderCompareHtml(compareOf([row('x', none)]), [none]), /data-chart="rtt-/, 'no rtt row without rtt');
  });

  test('text from the results cannot inject markup', () => {
    const r = sampleResults();
    r.backends.perBackend = [{ id: '<img src=x>', connections: 1, share: 1 }];
    const html = renderCompareHtml(compareOf([row('</script><b>', r)]), [r]);
    assert.doesNotMatch(html, /<img src=x>/);
    assert.doesNotMatch(html, /<\/script><b>/);
    assert.match(html, /&lt;img src=x&gt;/);
  });
});
