import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { renderSummary } from '../../src/report/terminal.js';
import { stripAnsi } from '../../src/report/table.js';
import { sampleResults } from '../results/fixture.js';

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[/;

describe('renderSummary', () => {
  const plain = renderSummary(sampleResults(), { color: false });
  const lines = plain.split('\n');

  test('no ANSI codes without colour; colour codes when asked, with the same text', () => {
    assert.doesNotMatch(plain, ANSI);
    const colored = renderSummary(sampleResults(), { color: true });
    assert.match(colored, ANSI);
    assert.equal(stripAnsi(colored), plain);
  });

  test('thresholds with ✓/✗, measured value and limit, aligned', () => {
    const t = lines.filter((l) => /^ {2}[✓✗] /.test(l));
    assert.deepEqual(t, [
      '  ✓  p99(connect) < 50ms              measured 11.8 ms  limit < 50.0 ms',
      '  ✗  errors.rate < 0.1%               measured 0.990%   limit < 0.100%',
      '  ✓  backends.peak_to_average <= 1.1  measured 1.007    limit <= 1.100',
    ]);
  });

  test('latency table: right-aligned columns end at the same place', () => {
    const start = lines.indexOf('Latency (ms)');
    const rows = lines.slice(start + 1, start + 5);
    assert.equal(rows[0], '              count    p50   p90   p95   p99  p99.9   max   mean');
    assert.equal(rows[1], '  connect     2,005  0.870  4.12  6.35  11.8   19.6  27.3   1.96');
    assert.equal(rows[3], '  rtt        54,991  0.520  1.21  1.63  3.37   6.94  14.2  0.710');
    const widths = new Set(rows.map((r) => r.length));
    assert.equal(widths.size, 1, 'every row has the same width');
  });

  test('connections, errors by code, backends with shares and skew, status', () => {
    assert.ok(lines.includes('  attempted      2,020'));
    assert.ok(lines.includes('  established    2,005  99.26%'));
    assert.ok(lines.includes('  ECONNREFUSED        12      60.0%'));
    assert.ok(lines.includes('  connect_timeout      3      15.0%'));
    assert.match(plain, /\n {2}b1 {15}673 {2}33\.6% {2}█{20} {14}673\n/);
    assert.match(plain, /skew {2}peak\/avg 1\.007 {2}cv 0\.005 {2}jain 1\.000 {2}min share 33\.2% {2}max share 33\.6%/);
    assert.equal(lines.at(-3), 'Status  THRESHOLDS FAILED  1 of 3 thresholds failed');
    assert.equal(lines.at(-2), 'Diagnosis  20 failures (1.0% of attempts), most often ECONNREFUSED (12).');
  });

  test('a passing run, an aborted run, and a run without errors', () => {
    const ok = sampleResults();
    ok.thresholds = ok.thresholds.map((t) => ({ ...t, pass: true }));
    ok.summary.errors = { total: 0, rate: 0, byCode: {} };
    const out = renderSummary(ok, { color: false });
    assert.match(out, /Status {2}PASS {2}all 3 thresholds passed\nDiagnosis {2}No limit hit: .*\n$/);
    assert.doesNotMatch(out, /Errors by code/);
    const ab = sampleResults();
    ab.status = 'aborted';
    ab.statusReason = 'SIGINT';
    assert.match(renderSummary(ab, { color: false }), /Status {2}ABORTED {2}\(SIGINT\)\n {2}partial results: the run did not finish its plan\nDiagnosis {2}.*\n$/);
  });
});
