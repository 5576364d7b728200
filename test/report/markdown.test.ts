import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mdCode, mdText, renderCompareMarkdown, renderMarkdown } from '../../src/report/markdown.js';
import { verdictOf } from '../../src/report/verdict.js';
import type { CompareResults } from '../../src/compare/types.js';
import type { Cliff } from '../../src/results/derived.js';
import { sampleResults } from '../results/fixture.js';

describe('renderMarkdown', () => {
  test('the sample: verdict line from verdict.ts, thresholds table, key figures, backends; no empty sections', () => {
    const r = sampleResults();
    const md = renderMarkdown(r);
    assert.equal(verdictOf(r).label, 'THRESHOLDS FAILED');
    assert.match(md, /^### wsherd · lb-smoke\n\n\*\*❌ THRESHOLDS FAILED\*\* — 1 of 3 thresholds failed\n/);
    assert.ok(md.includes('| ✅ | `p99(connect) < 50ms` | 11.8 ms | &lt; 50.0 ms |'), md);
    assert.ok(md.includes('| ❌ | `errors.rate < 0.1%` | 0.990% | &lt; 0.100% |'));
    assert.ok(md.includes('| 2,020 | 2,005 (99.26%) | 20 (0.99%) | 0.870 / 11.8 ms | 0.520 / 3.37 ms |'), md);
    assert.ok(md.includes('Errors by code: `ECONNREFUSED` 12 · `ECONNRESET` 5 · `connect_timeout` 3'));
    assert.ok(md.includes('| `b1` | 673 | 33.6% |'));
    assert.ok(md.includes('Skew: peak/avg 1.007 · cv 0.005 · jain 1.000'));
    for (const absent of ['#### Limits', '#### Failures by side', '#### Faults', 'Population:', 'Partial results']) assert.ok(!md.includes(absent), absent);
    assert.doesNotMatch(md, /\n\n\n/);
  });

  test('a passing run says so; a null measured shows the note or "no data"', () => {
    const r = sampleResults();
    r.thresholds.forEach((t) => (t.pass = true));
    assert.match(renderMarkdown(r), /\*\*✅ PASS\*\* — all 3 thresholds passed/);
    Object.assign(r.thresholds[2]!, { measured: null, pass: false });
    assert.ok(renderMarkdown(r).includes('| ❌ | `backends.peak_to_average <= 1.1` | no data | &lt;= 1.100 |'));
    r.thresholds[2]!.note = 'no backend was attributed';
    assert.ok(renderMarkdown(r).includes('| no backend was attributed |'));
  });

  test('an aborted run is marked partial, with its reason', () => {
    const r = sampleResults();
    r.status = 'aborted';
    r.statusReason = 'SIGINT';
    const md = renderMarkdown(r);
    assert.match(md, /\*\*⚠️ ABORTED\*\* \(SIGINT\)\n\n20 failures \(1\.0% of attempts\), most often ECONNREFUSED \(12\)\.\n\n> Partial results: the run did not finish its plan\./);
  });

  test('diagnoses: limits, failures by side, faults, population, each when present', () => {
    const r = sampleResults();
    const cliff: Cliff = { measured: 500, atSecond: 3, firstErrors: {}, deviation: 0, diagnosis: 'Failures began at 500 open, as the proxy fd limit predicts.' };
    r.analysis = {
      cliff,
      forensics: [{ side: 'proxy', cause: 'out of fds', count: 12, codes: ['ECONNRESET'], evidence: 'accept_EMFILE 12' }],
      faults: [{ sentence: 'After killing b1 at 5 s, every client was back in 2 s.' } as never],
    };
    r.backends.population = { groups: [], diagnosis: 'Group nat drove b1.' };
    const md = renderMarkdown(r);
    assert.ok(md.includes('#### Limits\n\nFailures began at 500 open, as the proxy fd limit predicts.'));
    assert.ok(md.includes('#### Failures by side\n\n- 12 on the proxy: out of fds (ECONNRESET) — accept_EMFILE 12'));
    assert.ok(md.includes('#### Faults\n\n- After killing b1 at 5 s, every client was back in 2 s.'));
    assert.ok(md.includes('Population: Group nat drove b1.'));
  });

  test('escaping: <&" and | in a threshold source stay literal and do not break the table', () => {
    const r = sampleResults();
    r.thresholds[0]!.source = 'p99(connect) <&" `x` | 50ms\u0001';
    r.statusReason = '<script>alert(1)</script> & |';
    r.status = 'failed';
    const md = renderMarkdown(r);
    assert.ok(md.includes('| ✅ | ``p99(connect) <&" `x` \\| 50ms`` |'), md);
    assert.ok(md.includes('(&lt;script&gt;alert(1)&lt;/script&gt; &amp; \\|)'));
    // eslint-disable-next-line no-control-regex -- looking for them is the point
    assert.doesNotMatch(md, /[\u0000-\u0008]/);
    assert.equal(mdText('a\nb'), 'a b');
    assert.equal(mdCode('`'), '`` ` ``');
  });
});

describe('renderCompareMarkdown', () => {
  test('the approaches table with ★ on best values and one sentence per approach', () => {
    const metrics = { established: 8, errorsRate: 0, connectP99: 3.2, peakToAverage: 1, jain: 1, lookupP99: null, misrouteRate: 0.5, brokenRate: 0.25, upgradeRate: 1, affinityRate: null };
    const c: CompareResults = {
      format: 'wsherd-compare', version: 1, scenario: 'tiny', startedAt: '', endedAt: '', status: 'complete',
      best: { brokenRate: ['sid'], misrouteRate: ['sid'] },
      approaches: [
        { name: 'rr', proxy: { strategy: 'round-robin', mode: 'l7' }, status: 'complete', thresholdsPassed: 0, thresholdsFailed: 1, metrics, sentence: 'Sessions broke: 2 of 8.' },
        { name: 'sid', proxy: { strategy: 'engineio-sid', mode: 'l7' }, status: 'complete', thresholdsPassed: 1, thresholdsFailed: 0, metrics: { ...metrics, misrouteRate: 0, brokenRate: 0 }, sentence: 'Sessions stayed together.' },
      ],
    };
    const md = renderCompareMarkdown(c);
    assert.match(md, /^### wsherd compare · tiny — 2 approaches\n\n\| approach \| established \| errors \| misroutes \| broken \| upgraded \| peak\/avg \| jain \| p99 connect \| thresholds \|/);
    assert.ok(md.includes('| `rr` | 8 | 0.00% | 50.00% | 25.00% | 100.00% | 1.000 | 1.000 | 3.20 ms | ❌ 1 failed |'), md);
    assert.ok(md.includes('| `sid` | 8 | 0.00% | **0.00%** ★ | **0.00%** ★ | 100.00% | 1.000 | 1.000 | 3.20 ms | ✅ 1 passed |'), md);
    assert.ok(md.includes('- **rr**: Sessions broke: 2 of 8.\n- **sid**: Sessions stayed together.\n'));
    assert.ok(!md.includes('p99 lookup'));
  });
});
