import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { renderHtml, type ReportData } from '../../src/report/html.js';
import type { Results, SeriesPoint } from '../../src/results/types.js';
import { sampleResults } from '../results/fixture.js';

const DATA_RE = /<script type="application\/json" id="wsherd-data">([\s\S]*?)<\/script>/;

function embedded(html: string): ReportData {
  const m = DATA_RE.exec(html);
  assert.ok(m, 'the data block is present');
  return JSON.parse(m[1] as string) as ReportData;
}

describe('renderHtml', () => {
  const results = sampleResults();
  const html = renderHtml(results);

  test('self-contained: nothing to fetch, and a CSP that forbids fetching', () => {
    // The embedded data may mention URLs (e.g. the lab's admin endpoints); it is data, never fetched.
    const markup = html.replace(DATA_RE, '');
    assert.doesNotMatch(markup, /https?:\/\//i);
    assert.doesNotMatch(markup, /\ssrc\s*=/i);
    assert.doesNotMatch(markup, /<link\b/i);
    assert.doesNotMatch(markup, /@import/i);
    assert.doesNotMatch(markup, /url\(\s*['"]?(?!data:)[a-z]+:/i);
    for (const m of markup.matchAll(/\shref\s*=\s*"([^"]*)"/gi)) assert.ok(m[1]?.startsWith('#'), `local anchor only: ${m[1]}`);
    const csp = /<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src ('sha256-[A-Za-z0-9+/=]+' 'sha256-[A-Za-z0-9+/=]+'); style-src 'unsafe-inline'; img-src data:">/.exec(html);
    assert.ok(csp, 'a CSP that allows only the page\'s own scripts, by hash');
    // The hashes are those of the two executable scripts as they stand in the page (the JSON block never runs).
    const scripts = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => `'sha256-${createHash('sha256').update(m[1] as string, 'utf8').digest('base64')}'`);
    assert.equal(scripts.length, 2);
    assert.equal(csp[1], scripts.join(' '));
  });

  test('inlines uPlot (code, css, licence notice) and the client script', () => {
    assert.match(html, /\/\*! uPlot v1\.\d+\.\d+ \| Copyright \(c\) \d{4} Leon Sorokin \| MIT License \*\/\nvar uPlot=function/);
    assert.match(html, /\.uplot, \.uplot \*/);
    assert.match(html, /getElementById\('wsherd-data'\)/);
    assert.match(html, /sync: \{ key: SYNC \}/);
  });

  test('embeds the results (minus raw series and histograms) and the chart columns', () => {
    const data = embedded(html);
    assert.deepEqual(data.results.summary, results.summary);
    assert.deepEqual(data.results.thresholds, results.thresholds);
    assert.equal('series' in data.results, false);
    assert.equal(data.chart.step, 1);
    assert.deepEqual(data.chart.t, results.series.map((p) => p.t));
    assert.deepEqual(data.chart.open, results.series.map((p) => p.open));
    assert.deepEqual(data.chart.backendIds, ['b1', 'b2', 'b3']);
  });

  test('sections in order, verdict with thresholds and measured values', () => {
    const order = ['class="verdict verdict-thresholds-failed"', 'id="connections"', 'id="latency"', 'id="backends"', 'id="errors"',
      'id="generator"', 'id="scenario"', 'id="environment"'].map((s) => html.indexOf(s));
    assert.ok(order.every((i) => i > 0), String(order));
    assert.deepEqual([...order].sort((a, b) => a - b), order);
    assert.match(html, /<div class="badge">THRESHOLDS FAILED<\/div>/);
    assert.match(html, /<tr class="fail"><td class="mark">✗<\/td><td><code>errors.rate &lt; 0.1%<\/code><\/td><td class="num">0.990%<\/td><td class="num">&lt; 0.100%<\/td>/);
    assert.match(html, /<tr class="pass"><td class="mark">✓<\/td><td><code>p99\(connect\) &lt; 50ms<\/code><\/td><td class="num">11.8 ms<\/td>/);
    assert.match(html, /2,020 attempted, 2,005 established \(99.26%\), 15 failed, 5 dropped; error rate 0.99%; peak 2,000 open/);
    for (const id of ['connections', 'latency', 'backends', 'generator']) assert.match(html, new RegExp(`id="chart-${id}"`));
  });

  test('well under 3 MB, also for a day-long run (the series is thinned)', () => {
    assert.ok(Buffer.byteLength(html) < 3 * 1024 * 1024);
    const long = sampleResults();
    const base = long.series[20] as SeriesPoint;
    // Ten codes, every second: the errors chart at its widest (six codes and other).
    const codes = ['ECONNRESET', 'ECONNREFUSED', 'EMFILE', 'EADDRNOTAVAIL', 'connect_timeout', 'handshake_timeout', 'http_502', 'http_503', 'close_1006', 'close_1011'];
    long.series = Array.from({ length: 86_400 }, (_, t) => ({ ...base, t, errors: Object.fromEntries(codes.map((c, k) => [c, (t + k) % 7])) }));
    const big = renderHtml(long);
    assert.ok(Buffer.byteLength(big) < 3 * 1024 * 1024, `${Buffer.byteLength(big)} bytes`);
    const data = embedded(big);
    assert.equal(data.chart.step, 44);
    assert.ok(data.chart.t.length <= 2000);
    assert.equal(data.chart.errorCodes.length, 7);
    assert.ok(data.chart.errorsByCode.every((col) => col.length === data.chart.t.length));
    assert.match(big, /each point covers 44 s/);
  });

  test('omits the errors section when there are no errors', () => {
    const r = sampleResults();
    r.summary.errors = { total: 0, rate: 0, byCode: {} };
    const out = renderHtml(r);
    assert.doesNotMatch(out, /id="errors"/);
    assert.doesNotMatch(out, /href="#errors"/);
    assert.match(html, /<td><code>ECONNREFUSED<\/code><\/td><td class="num">12<\/td><td class="num">60.0%<\/td>/);
  });

  test('omits sections with no data instead of showing them empty', () => {
    const r: Results = sampleResults();
    r.series = [];
    r.backends = { perBackend: [], unattributed: 0, skew: null };
    r.generator.workers = [];
    const out = renderHtml(r);
    assert.deepEqual([...out.matchAll(/id="chart-([\w-]+)"/g)].map((m) => m[1]), ['percentiles'], 'only the charts of the histograms are left');
    assert.doesNotMatch(out, /id="backends"/);
    assert.doesNotMatch(out, /id="generator"/);
    assert.match(out, /id="latency"/, 'the latency table stands without the time chart');
    r.histograms = {};
    const bare = renderHtml(r);
    assert.doesNotMatch(bare, /id="chart-/);
    assert.equal(embedded(bare).percentiles, undefined);
  });

  test('new panels only with their data: messages, percentiles, errors per second', () => {
    const r = sampleResults();
    for (const p of r.series) { p.messagesSent = 0; p.messagesReceived = 0; p.errors = {}; }
    r.histograms = {};
    const out = renderHtml(r);
    for (const id of ['messages', 'percentiles', 'errors']) assert.doesNotMatch(out, new RegExp(`id="chart-${id}"`), id);
    assert.match(out, /<section id="errors">/, 'the table of summary errors stays');
    for (const id of ['messages', 'percentiles', 'errors']) assert.match(html, new RegExp(`id="chart-${id}"`), id);
    assert.ok(html.indexOf('id="chart-messages"') < html.indexOf('id="latency"'), 'messages in the connections section');
    assert.ok(html.indexOf('id="chart-errors"') > html.indexOf('<section id="errors"'), 'errors chart in the errors section');
  });

  test('sections of analyses the run did not do stay out, with their nav links', () => {
    const r = sampleResults();
    r.analysis = {};
    r.faults = [];
    delete r.probes;
    delete r.summary.sessions;
    const out = renderHtml(r);
    for (const id of ['faults', 'sessions', 'limits']) {
      assert.doesNotMatch(out, new RegExp(`<section id="${id}"`), id);
      assert.doesNotMatch(out, new RegExp(`href="#${id}"`), id);
    }
    assert.deepEqual([...out.matchAll(/class="diagnosis"/g)].length, 1, 'only the header\'s diagnosis: no cliff, no population');
    assert.doesNotMatch(out, /<h3>Population<\/h3>/);
    // Every section shown has its nav link and every link its section, in the page's order.
    const navMatches = (page: string): void => {
      const sections = [...page.matchAll(/<section id="(\w+)"/g)].map((m) => m[1]);
      const links = [...page.matchAll(/<nav class="toc">(.*?)<\/nav>/g)].flatMap((m) => [...(m[1] ?? '').matchAll(/href="#(\w+)"/g)].map((x) => x[1]));
      assert.deepEqual(links, sections);
    };
    navMatches(out);
    r.faults = [{ atSecond: 6, appliedAt: 6.1, action: 'kill', backend: 'b2', ok: true, detail: 'killed' }];
    const withFault = renderHtml(r);
    assert.match(withFault, /<section id="faults"/);
    navMatches(withFault);
  });

  test('the embedded percentile curves and errors per second match the run', () => {
    const data = embedded(html);
    assert.deepEqual(data.percentiles?.names, ['connect', 'handshake', 'rtt']);
    assert.equal(data.percentiles?.x[0], 1);
    for (const line of data.percentiles?.ms ?? []) {
      const v = line.filter((x): x is number => x !== null);
      assert.ok(v.every((x, k) => k === 0 || x >= (v[k - 1] ?? Infinity)), 'monotone');
    }
    assert.equal(data.percentiles?.ms[2]?.find((x) => x !== null), results.summary.latency.rtt.min, 'rtt starts at its minimum');
    assert.deepEqual(data.chart.errorCodes, ['ECONNREFUSED', 'ECONNRESET', 'connect_timeout']);
    data.chart.t.forEach((_, k) => {
      const sum = data.chart.errorsByCode.reduce((a, col) => a + (col[k] ?? 0), 0);
      assert.equal(sum, (data.chart.failed[k] ?? 0) + (data.chart.dropped[k] ?? 0), `second ${k}`);
    });
    assert.deepEqual(data.chart.messagesReceived, results.series.map((p) => p.messagesReceived));
  });

  test('aborted and failed runs carry a partial-results banner with the reason', () => {
    const r = sampleResults();
    r.status = 'aborted';
    r.statusReason = 'SIGINT after 12 s';
    const out = renderHtml(r);
    assert.match(out, /<div class="badge">ABORTED<\/div>/);
    assert.match(out, /<strong>Partial results.<\/strong> The run was aborted before finishing its plan: SIGINT after 12 s./);
    r.status = 'failed';
    r.statusReason = 'worker 1 crashed';
    assert.match(renderHtml(r), /The run failed before finishing its plan: worker 1 crashed/);
    assert.doesNotMatch(html, /Partial results/);
  });

  test('text from the results cannot inject markup or close the data block', () => {
    const r = sampleResults();
    r.scenario.name = '</script><script>alert(1)</script>';
    const out = renderHtml(r);
    assert.equal(out.match(/<script\b/g)?.length, 3);
    assert.equal(out.match(/<\/script>/g)?.length, 3);
    assert.match(out, /<h1>&lt;\/script&gt;&lt;script&gt;alert\(1\)&lt;\/script&gt;<\/h1>/);
    assert.match(out, /"name":"<\\\/script>\\u003cscript>alert\(1\)<\\\/script>"/, 'escaped inside the JSON');
    assert.equal(embedded(out).results.scenario.name, r.scenario.name);
  });
});

describe('the sessions panel', () => {
  test('shown for session-engine runs with the verdict and misroutes per kind; left out otherwise', async () => {
    const { summarizeSessions } = await import('../../src/analysis/sessions.js');
    const { renderSummary } = await import('../../src/report/summary.js');
    const r = sampleResults();
    assert.doesNotMatch(renderHtml(r), /<section id="sessions"/);
    r.summary.sessions = summarizeSessions({ attempted: 10, established: 10, broken: 4, req_poll: 30, misroute_poll: 6, req_upgrade: 10, misroute_upgrade: 2, upgrade_attempted: 10, upgraded: 6 });
    const html = renderHtml(r);
    assert.match(html, /<section id="sessions"><h2>Sessions<\/h2>\n<p class="fail">Sessions broke: 6 of 30 polls, 2 of 10 upgrades reached a backend/);
    assert.match(html, /<th>poll requests<\/th><td class="num">30<\/td><td>6 misrouted \(20\.00%\)<\/td>/);
    assert.match(html, /<a href="#sessions">Sessions<\/a>/);
    const text = renderSummary(r, { color: false });
    assert.match(text, /^Sessions\nSessions broke: 6 of 30 polls/m);
    assert.match(text, /upgrade requests +10 +2 misrouted \(20\.00%\)/);
  });
});
