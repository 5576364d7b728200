import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { renderCompareJunit, renderJunit, xmlAttr } from '../../src/report/junit.js';
import type { CompareResults } from '../../src/compare/types.js';
import { sampleResults } from '../results/fixture.js';
import { assertWellFormedXml } from '../helpers/xml.js';

/** The <testcase …> element (with its body) whose name attribute is `name` (already escaped). */
function testcase(xml: string, name: string): string {
  const start = xml.indexOf(`name="${name}"`);
  assert.ok(start > 0, `no testcase ${name}`);
  const open = xml.lastIndexOf('<testcase', start);
  const next = [xml.indexOf('<testcase', start), xml.indexOf('</testsuite>', start)].filter((n) => n !== -1);
  const end = Math.min(...next);
  return xml.slice(open, end);
}

describe('renderJunit', () => {
  test('the sample: one testsuite, "run completed" plus one testcase per threshold, the failing one with measured vs limit', () => {
    const xml = renderJunit(sampleResults());
    assertWellFormedXml(xml);
    assert.match(xml, /^<\?xml version="1\.0" encoding="UTF-8"\?>\n<testsuites name="wsherd lb-smoke" tests="5" failures="1" errors="0" skipped="0" time="21\.412">/);
    assert.match(xml, /<testsuite name="lb-smoke" tests="5" failures="1" errors="0" skipped="0" time="21\.412" timestamp="2025-06-14T09:30:00">/);
    assert.match(xml, /<testcase classname="wsherd\.lb-smoke" name="run completed" time="21\.412"\/>/);
    assert.match(xml, /<testcase classname="wsherd\.lb-smoke\.thresholds" name="p99\(connect\) &lt; 50ms" time="0\.000"\/>/);
    assert.match(testcase(xml, 'errors.rate &lt; 0.1%'), /<failure message="measured 0\.990% vs limit &lt; 0\.100%" type="threshold">/);
    assert.equal((xml.match(/<testsuite /g) ?? []).length, 1);
  });

  test('environment facts as properties', () => {
    const xml = renderJunit(sampleResults());
    for (const [k, v] of [['wsherd.version', '0.1.0'], ['node', 'v20.20.2'], ['kernel', 'linux 6.8.0-60-generic x64'], ['workers', '2'], ['target.url', 'ws://127.0.0.1:40100/']]) {
      assert.ok(xml.includes(`<property name="${k}" value="${v}"/>`), `${k}=${v}`);
    }
  });

  test('a threshold without data fails with "no data" (or the note) and the limit', () => {
    const r = sampleResults();
    Object.assign(r.thresholds[2]!, { measured: null, pass: false });
    const xml = renderJunit(r);
    assertWellFormedXml(xml);
    assert.match(testcase(xml, 'backends.peak_to_average &lt;= 1.1'), /<failure message="no data \(limit &lt;= 1\.100\)" type="threshold">/);
    assert.match(xml, /<testsuite [^>]*failures="2" errors="0"/);
    Object.assign(r.thresholds[2]!, { note: 'no backend was attributed' });
    assert.match(renderJunit(r), /<failure message="no backend was attributed \(limit &lt;= 1\.100\)"/);
  });

  test('a saturated generator: "generator not saturated" fails as inconclusive, or is skipped with --accept-saturated', () => {
    const r = sampleResults();
    r.generator.workers = r.generator.workers.map((w, i) => ({ ...w, stalls: i === 0 ? [{ atMs: 3000, ms: 1000 }] : [] }));
    const xml = renderJunit(r);
    assertWellFormedXml(xml);
    assert.match(testcase(xml, 'generator not saturated'), /<failure message="inconclusive: generator saturated: its event loop stopped 1 time for 100 ms or more \(longest 1,000 ms/);
    assert.match(testcase(renderJunit(r, { acceptSaturated: true }), 'generator not saturated'), /<skipped message="inconclusive: generator saturated: .*\(accepted with --accept-saturated\)"\/>/);
  });

  test('a run that established nothing: "run completed" is a failure, thresholds or not', () => {
    const r = sampleResults();
    r.thresholds = [];
    r.summary.counters = { ...r.summary.counters, established: 0, failed: r.summary.counters.attempted };
    r.summary.errors.byCode = { ECONNREFUSED: r.summary.counters.attempted };
    const xml = renderJunit(r);
    assert.match(testcase(xml, 'run completed'), /<failure message="failed: no connection was established \([\d,]+ attempted\)" type="nothing-established">/);
  });

  test('an aborted run: "run completed" is an <error> with the status reason; thresholds still listed and marked partial', () => {
    const r = sampleResults();
    r.status = 'aborted';
    r.statusReason = 'SIGINT';
    const xml = renderJunit(r);
    assertWellFormedXml(xml);
    assert.match(testcase(xml, 'run completed'), /<error message="aborted: SIGINT" type="aborted">The run was aborted; partial results/);
    assert.match(xml, /<testsuites [^>]*tests="5" failures="1" errors="1"/);
    assert.match(testcase(xml, 'errors.rate &lt; 0.1%'), /partial results: the run did not finish its plan<\/failure>/);
    r.status = 'failed';
    r.statusReason = 'lab died: b1 exited with code 1';
    assert.match(renderJunit(r), /<error message="failed: lab died: b1 exited with code 1" type="failed">/);
  });

  test('escaping: <&"\' in a threshold source, control characters and ANSI codes stripped', () => {
    const r = sampleResults();
    r.thresholds[0]!.source = 'p99(connect) <&"\' 50ms\u0001\u001b[31m\u0007';
    r.thresholds[0]!.pass = false;
    r.statusReason = 'x\u0000y';
    r.status = 'failed';
    const xml = renderJunit(r);
    assertWellFormedXml(xml);
    assert.ok(xml.includes('name="p99(connect) &lt;&amp;&quot;&apos; 50ms"'), xml);
    assert.ok(xml.includes('message="failed: xy"'));
    // eslint-disable-next-line no-control-regex -- looking for them is the point
    assert.doesNotMatch(xml, /[\u0000-\u0008\u000B\u000C\u000E-\u001F]/);
    assert.equal(xmlAttr('a\nb\tc'), 'a&#10;b&#9;c');
    assert.equal(xmlAttr('\uD800 lone surrogate'), ' lone surrogate');
  });
});

describe('renderCompareJunit', () => {
  test('one testsuite per approach; a skipped approach is a skipped testcase', () => {
    const a = sampleResults();
    const b = sampleResults();
    b.thresholds.forEach((t) => (t.pass = true));
    const row = { proxy: { strategy: 'round-robin', mode: 'l4' as const }, status: 'complete' as const, thresholdsPassed: 2, thresholdsFailed: 1, sentence: 's' };
    const c: CompareResults = {
      format: 'wsherd-compare', version: 1, scenario: 'cmp', startedAt: a.startedAt, endedAt: a.endedAt, status: 'aborted', best: {},
      approaches: [
        { ...row, name: 'rr' },
        { ...row, name: 'hash<&>', proxy: { strategy: 'source-hash', mode: 'l4' }, thresholdsFailed: 0, thresholdsPassed: 3 },
        { ...row, name: 'cookie', status: 'skipped', sentence: 'Not run: the comparison was aborted.' },
      ],
    };
    const xml = renderCompareJunit(c, [a, b]);
    assertWellFormedXml(xml);
    assert.equal((xml.match(/<testsuite /g) ?? []).length, 3);
    assert.match(xml, /<testsuites name="wsherd compare cmp" tests="11" failures="1" errors="0" skipped="1"/);
    assert.match(xml, /<testsuite name="cmp\/rr" tests="5" failures="1"/);
    assert.match(xml, /<testsuite name="cmp\/hash&lt;&amp;&gt;" tests="5" failures="0"/);
    assert.ok(xml.includes('<property name="strategy" value="source-hash"/>'));
    assert.match(xml, /<testsuite name="cmp\/cookie" tests="1" failures="0" errors="0" skipped="1"/);
    assert.ok(xml.includes('<skipped message="Not run: the comparison was aborted."/>'));
  });

  test('an approach whose results are not at hand is reported from compare.json\'s counts', () => {
    const c: CompareResults = {
      format: 'wsherd-compare', version: 1, scenario: 'cmp', startedAt: '', endedAt: '', status: 'complete', best: {},
      approaches: [{ name: 'rr', proxy: { strategy: 'round-robin', mode: 'l4' }, status: 'complete', thresholdsPassed: 1, thresholdsFailed: 2, sentence: 's' }],
    };
    const xml = renderCompareJunit(c, []);
    assertWellFormedXml(xml);
    assert.match(xml, /<failure message="2 of 3 thresholds failed" type="threshold"\/>/);
  });
});
