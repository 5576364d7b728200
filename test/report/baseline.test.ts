import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { WsherdError } from '../../src/errors.js';
import {
  compareMetric, compareToBaseline, directionOf, KEY_METRICS, parseToleranceFlags, toleranceFor, type BaselineComparison,
} from '../../src/report/baseline.js';
import { renderBaselineSummary } from '../../src/report/baseline-summary.js';
import { renderBaselineHtml } from '../../src/report/baseline-html.js';
import { parsePercent } from '../../src/scenario/baseline.js';
import { sampleResults } from '../results/fixture.js';

const files = { oldFile: '/old/results.json', newFile: '/new/results.json' };
const row = (b: BaselineComparison, metric: string): BaselineComparison['rows'][number] => {
  const r = b.rows.find((x) => x.metric === metric);
  assert.ok(r, `no row for ${metric}`);
  return r;
};

describe('compareMetric: deltas and directions', () => {
  test('latency up beyond the tolerance regresses; within it, or down, does not', () => {
    assert.deepEqual(compareMetric('p99(connect)', 10, 12, 0.1), {
      metric: 'p99(connect)', kind: 'ms', direction: 'lower-is-better', key: false, old: 10, new: 12, tolerance: 0.1,
      delta: 2, relative: 0.2, regressed: true, improved: false,
    });
    assert.equal(compareMetric('p99(connect)', 10, 10.9, 0.1).regressed, false);
    const down = compareMetric('p99(connect)', 10, 5, 0.1);
    assert.equal(down.regressed, false);
    assert.equal(down.improved, true);
    assert.equal(down.relative, -0.5);
  });

  test('exactly the tolerance is not a regression, despite float noise', () => {
    assert.equal(compareMetric('p50(rtt)', 100, 110, 0.1).regressed, false);
    assert.equal(compareMetric('p50(rtt)', 0.1, 0.11, 0.1).regressed, false);
    assert.equal(compareMetric('p50(rtt)', 100, 110.01, 0.1).regressed, true);
  });

  test('established and jain: down is worse; up is an improvement', () => {
    assert.equal(directionOf('connections.established'), 'higher-is-better');
    assert.equal(directionOf('backends.jain'), 'higher-is-better');
    assert.equal(compareMetric('connections.established', 2000, 1700, 0.1).regressed, true);
    assert.equal(compareMetric('connections.established', 2000, 2500, 0.1).improved, true);
    assert.equal(compareMetric('backends.jain', 1, 0.8, 0.1).regressed, true);
  });

  test('errors and skew: up is worse; from zero any worsening counts', () => {
    assert.equal(directionOf('errors.rate'), 'lower-is-better');
    assert.equal(compareMetric('backends.peak_to_average', 1.0, 1.5, 0.1).regressed, true);
    const fromZero = compareMetric('errors.rate', 0, 0.001, 0.1);
    assert.equal(fromZero.regressed, true);
    assert.equal(fromZero.fromZero, true);
    assert.equal(fromZero.relative, null);
    assert.equal(compareMetric('errors.rate', 0, 0, 0.1).relative, 0);
    assert.equal(compareMetric('errors.rate', 0.01, 0, 0.1).improved, true);
  });

  test('neutral metrics never regress; missing data neither', () => {
    assert.equal(directionOf('connections.attempted'), 'neutral');
    assert.equal(compareMetric('connections.attempted', 100, 10, 0.1).regressed, false);
    const none = compareMetric('p99(rtt)', null, 3, 0.1, true);
    assert.equal(none.delta, null);
    assert.equal(none.regressed, false);
  });
});

describe('tolerances', () => {
  test('parsePercent takes percentages only', () => {
    assert.equal(parsePercent('10%'), 0.1);
    assert.equal(parsePercent(' 2.5 % '), 0.025);
    assert.equal(parsePercent('0%'), 0);
    assert.deepEqual(parsePercent('10'), { error: 'expected a percentage such as 10%, got "10"' });
    assert.ok(typeof parsePercent('-5%') !== 'number');
  });

  test('--tolerance: a global value and per-metric ones; bad values and unknown metrics are input errors', () => {
    assert.deepEqual(parseToleranceFlags(['5%', 'p99(connect)=20%', 'errors.rate=0%']), { default: 0.05, metrics: { 'p99(connect)': 0.2, 'errors.rate': 0 } });
    assert.throws(() => parseToleranceFlags(['ten']), (err: unknown) => err instanceof WsherdError && err.code === 'WSH_ERR_INVALID_INPUT' && err.exitCode === 2 && /--tolerance ten: expected a percentage/.test(err.message));
    assert.throws(() => parseToleranceFlags(['p99(conect)=20%']), /unknown metric "p99\(conect\)"/);
  });

  test('precedence: per metric beats global, the command line beats the scenario, default 10%', () => {
    const scenario = { tolerance: 0.3, metrics: { 'p99(rtt)': 0.5 } };
    assert.equal(toleranceFor('p99(rtt)', {}, undefined), 0.1);
    assert.equal(toleranceFor('p99(rtt)', {}, scenario), 0.5);
    assert.equal(toleranceFor('p50(rtt)', {}, scenario), 0.3);
    assert.equal(toleranceFor('p50(rtt)', { default: 0.05 }, scenario), 0.05);
    assert.equal(toleranceFor('p99(rtt)', { default: 0.05 }, scenario), 0.5);
    assert.equal(toleranceFor('p99(rtt)', { default: 0.05, metrics: { 'p99(rtt)': 0.01 } }, scenario), 0.01);
  });
});

describe('compareToBaseline', () => {
  test('identical runs: every key metric first, nothing regressed, no warning', () => {
    const b = compareToBaseline(sampleResults(), sampleResults(), files);
    assert.deepEqual(b.rows.slice(0, KEY_METRICS.length).map((r) => r.metric), KEY_METRICS);
    assert.deepEqual(b.regressions, []);
    assert.deepEqual(b.warnings, []);
    assert.ok(b.rows.every((r) => r.delta === 0 || r.delta === null));
    // Every non-key row has data on both sides.
    assert.ok(b.rows.filter((r) => !r.key).every((r) => r.old !== null && r.new !== null));
    assert.ok(b.rows.some((r) => r.metric === 'p999(rtt)'));
  });

  test('worse latency and fewer established connections regress; the scenario\'s baseline: section sets tolerances', () => {
    const next = sampleResults();
    next.summary.latency.connect.p99 *= 1.3;
    next.summary.latency.rtt.p99 *= 1.3;
    next.summary.counters.established = Math.round(next.summary.counters.established * 0.5);
    next.scenario.baseline = { metrics: { 'p99(rtt)': 0.5 } };
    const b = compareToBaseline(sampleResults(), next, files);
    // The fixture predates rtt_corrected: p99(rtt) reads its rtt (tolerance 0.5), p99(rtt_uncorrected) too (default 0.1).
    assert.deepEqual(b.regressions, ['p99(connect)', 'connections.established', 'p99(rtt_uncorrected)']);
    assert.equal(row(b, 'p99(rtt)').tolerance, 0.5);
    assert.equal(row(b, 'p99(rtt)').regressed, false);
    assert.deepEqual(b.tolerance, { default: 0.1, metrics: { 'p99(rtt)': 0.5 } });
    const cli = compareToBaseline(sampleResults(), next, { ...files, tolerance: { metrics: { 'p99(connect)': 0.5 } } });
    assert.deepEqual(cli.regressions, ['connections.established', 'p99(rtt_uncorrected)']);
  });

  test('a key metric one run has no data for is listed without a delta', () => {
    const old = sampleResults();
    old.summary.latency.handshake.count = 0;
    const b = compareToBaseline(old, sampleResults(), files);
    assert.equal(row(b, 'p99(handshake)').old, null);
    assert.equal(row(b, 'p99(handshake)').delta, null);
    assert.equal(b.rows.some((r) => r.metric === 'p90(handshake)'), false);
  });

  test('two different scenarios: a warning, and the comparison still made', () => {
    const next = sampleResults();
    next.scenario.name = 'other';
    next.status = 'aborted';
    const b = compareToBaseline(sampleResults(), next, files);
    assert.match(b.warnings[0] ?? '', /different scenarios \("lb-smoke" and "other"\)/);
    assert.match(b.warnings[1] ?? '', /The new run is aborted/);
    assert.ok(b.rows.length > KEY_METRICS.length);
  });
});

describe('rendering', () => {
  const next = sampleResults();
  next.summary.latency.connect.p99 *= 2;
  const b = compareToBaseline(sampleResults(), next, files);

  test('terminal: aligned rows, the regression named, unchanged metrics folded', () => {
    const text = renderBaselineSummary(b, { color: false });
    assert.match(text, /^ {2}p99\(connect\) +11\.8 ms +23\.6 ms +\+11\.8 ms +\+100\.0% +10% +REGRESSED$/m);
    assert.match(text, /^ {2}p50\(connect\) +0\.870 ms +0\.870 ms +±0\.000 ms +±0\.0% +10% +ok$/m);
    assert.match(text, /more metrics unchanged/);
    assert.match(text, /1 regression: p99\(connect\)/);
    assert.equal(text.includes('\u001b['), false);
    assert.ok(renderBaselineSummary(b, { color: true }).includes('\u001b[31m'));
  });

  test('HTML: self-contained, regressed row marked, values escaped', () => {
    const html = renderBaselineHtml({ ...b, new: { ...b.new, scenario: '<x>' } });
    assert.match(html, /Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'"/);
    assert.match(html, /<tr class="regressed"><th>p99\(connect\)/);
    assert.match(html, /1 metric regressed: p99\(connect\)/);
    assert.match(html, /&lt;x&gt;/);
    assert.doesNotMatch(html, /<script|https?:\/\//);
  });
});
