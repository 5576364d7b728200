/**
 * The HTML report in a real browser: headless Chromium opens index.html from file://, offline, and the test
 * reads the DOM after the inlined scripts ran, plus everything the page tried to fetch or complained about
 * (DevTools protocol over --remote-debugging-pipe, so no port and no extra dependency).
 *
 * Skipped only on a developer machine without Chromium; under CI (which installs it, see .ci/run) a missing
 * browser is a failure, so the check can never silently stop running.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, mkdir, rm, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { writeHtmlReport } from '../../src/report/html.js';
import { renderCompareHtml } from '../../src/compare/html.js';
import { metricsOf } from '../../src/compare/run.js';
import type { CompareResults } from '../../src/compare/types.js';
import { sampleResults } from '../results/fixture.js';
import { Browser, CHROMIUM, SKIP, type PageLog } from '../helpers/chromium.js';
import { compareToBaseline } from '../../src/report/baseline.js';
import { renderBaselineHtml } from '../../src/report/baseline-html.js';

/**
 * Read in the page: the marker report-client.js sets, each chart's canvas size and, per series in uPlot's
 * legend, how many canvas pixels have that series' colour (so a canvas with only axes drawn does not pass),
 * and the server-rendered texts.
 */
const INSPECT = `(() => {
  const text = (sel) => [...document.querySelectorAll(sel)].map((n) => n.textContent.trim());
  const rgb = (css) => (/rgba?\\((\\d+), (\\d+), (\\d+)/.exec(css) || []).slice(1).map(Number);
  const charts = {};
  for (const el of document.querySelectorAll('.chart[data-chart]')) {
    const canvas = el.querySelector('canvas');
    const series = [...el.querySelectorAll('.u-legend .u-series')].slice(1).map((row) => ({
      label: row.querySelector('.u-label').textContent.trim(),
      colour: rgb(getComputedStyle(row.querySelector('.u-marker')).borderTopColor),
      pixels: 0,
    }));
    if (canvas && canvas.width > 0 && canvas.height > 0) {
      const d = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
      for (let i = 0; i < d.length; i += 4) {
        if (d[i + 3] !== 255) continue;
        for (const s of series) {
          if (s.colour.length === 3 && s.colour.every((c, k) => Math.abs(d[i + k] - c) < 12)) s.pixels++;
        }
      }
    }
    charts[el.dataset.chart] = { canvas: canvas ? [canvas.width, canvas.height] : null, series };
  }
  return {
    rendered: document.body.getAttribute('data-rendered'),
    charts,
    badge: text('header.verdict .badge'),
    failedThresholds: text('header.verdict table.thresholds tr.fail code'),
    latencyHead: text('#latency table.data thead th'),
    latencyRows: text('#latency table.data tbody th'),
    backendBars: text('#backends .bar-label'),
  };
})()`;

interface ChartFacts { canvas: [number, number] | null; series: { label: string; colour: number[]; pixels: number }[] }
interface PageFacts {
  rendered: string | null;
  charts: Record<string, ChartFacts>;
  badge: string[];
  failedThresholds: string[];
  latencyHead: string[];
  latencyRows: string[];
  backendBars: string[];
}

describe('HTML report in headless Chromium (file://, offline)', { skip: SKIP, timeout: 30_000 }, () => {
  let root = '';
  let browser: Browser | undefined;
  let reportUrl = '';
  let reportFile = '';
  let report: Promise<{ log: PageLog; facts: PageFacts }> | undefined;

  before(async () => {
    assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing, and CI must have it: .ci/run installs the chromium package`);
    root = await mkdtemp(path.join(os.tmpdir(), 'wsherd-browser-'));
    await mkdir(path.join(root, 'report'));
    await mkdir(path.join(root, 'probes'));
    reportFile = await writeHtmlReport(path.join(root, 'report'), sampleResults());
    reportUrl = pathToFileURL(reportFile).href;
    browser = await Browser.launch(root);
  }, { timeout: 10_000 });

  after(async () => {
    await browser?.kill();
    if (root) await rm(root, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
  }, { timeout: 10_000 });

  /** The report page, loaded once and shared by the tests that read it (a failure too: they fail fast). */
  function loadReport(): Promise<{ log: PageLog; facts: PageFacts }> {
    report ??= (async () => {
      const b = browser as Browser;
      const log = await b.open(reportUrl, 'report-run');
      return { log, facts: await b.evaluate<PageFacts>(log.sessionId, INSPECT) };
    })();
    return report;
  }

  test('the client script drew every chart, with the data it was given', { timeout: 25_000 }, async () => {
    const { facts } = await loadReport();
    assert.equal(facts.rendered, 'connections messages latency percentiles backends skew errors generator', 'data-rendered marker set by report-client.js');
    assert.deepEqual(Object.keys(facts.charts), ['connections', 'messages', 'latency', 'percentiles', 'backends', 'skew', 'errors', 'generator']);
    for (const [id, chart] of Object.entries(facts.charts)) {
      assert.ok(chart.canvas && chart.canvas[0] >= 300 && chart.canvas[1] >= 200, `${id}: uPlot canvas ${JSON.stringify(chart.canvas)}`);
      const first = chart.series[0];
      assert.ok(first && first.pixels > 50, `${id}: its first series is drawn: ${JSON.stringify(chart.series)}`);
    }
    const labels = (id: string): string[] => facts.charts[id]?.series.map((s) => s.label) ?? [];
    assert.deepEqual(labels('connections'), ['open', 'new/s', 'failures/s']);
    assert.equal(labels('latency')[0], 'rtt p50');
    assert.deepEqual(labels('backends'), ['b1', 'b2', 'b3'], 'one line per backend');
    assert.deepEqual(labels('messages'), ['sent/s', 'received/s']);
    assert.deepEqual(labels('percentiles'), ['connect', 'handshake', 'rtt'], 'one curve per histogram');
    assert.deepEqual(labels('errors'), ['ECONNREFUSED', 'ECONNRESET', 'connect_timeout'], 'most frequent code first');
    // Every line of the new charts is drawn, not only the first (sent lies under received where nothing was lost).
    for (const id of ['messages', 'percentiles', 'errors']) {
      for (const s of facts.charts[id]?.series ?? []) assert.ok(s.pixels > 20, `${id}: ${s.label} drawn: ${JSON.stringify(facts.charts[id])}`);
    }
  });

  test('the percentile axis reads in nines, the time charts in clock time', { timeout: 25_000 }, async () => {
    const { log } = await loadReport();
    // uPlot draws axes on the canvas: the x values are read in the legend, with the cursor put on given points.
    const xAt = await (browser as Browser).evaluate<{ percentiles: string[]; latency: string[] }>(log.sessionId, `(() => {
      const at = (id, idxs) => idxs.map((idx) => {
        const el = document.getElementById('chart-' + id);
        el.uplot.setLegend({ idx });
        return el.querySelector('.u-legend .u-series .u-value').textContent;
      });
      return { percentiles: at('percentiles', [0, 8, 16, 24]), latency: at('latency', [0, 5, 20]) };
    })()`);
    assert.deepEqual(xAt.percentiles, ['0%', '90%', '99%', '99.9%']);
    assert.deepEqual(xAt.latency, ['0:00', '0:05', '0:20']);
  });

  test('the verdict, latency percentiles and backends read in the page', { timeout: 25_000 }, async () => {
    const { facts } = await loadReport();
    assert.deepEqual(facts.badge, ['THRESHOLDS FAILED']);
    assert.deepEqual(facts.failedThresholds, ['errors.rate < 0.1%']);
    assert.deepEqual(facts.latencyHead.slice(2, 7), ['p50', 'p90', 'p95', 'p99', 'p99.9']);
    assert.ok(facts.latencyRows.includes('connect') && facts.latencyRows.includes('rtt'), JSON.stringify(facts.latencyRows));
    assert.deepEqual(facts.backendBars, ['b1', 'b2', 'b3']);
  });

  test('no network request, console error or CSP violation', { timeout: 25_000 }, async () => {
    const { log } = await loadReport();
    assert.deepEqual(log.requests, [], 'the page fetched nothing but itself');
    assert.deepEqual(log.problems, [], 'the page logged no error, warning or issue');
  });

  test('a lab run with probes: the limits charts (fds per component, sockets by state, ports per pair) are drawn, with no console error', { timeout: 25_000 }, async () => {
    const withProbes = sampleResults();
    const t = withProbes.series.map((p) => p.t);
    withProbes.probes = {
      intervalMs: 1000,
      portRange: [40000, 40999],
      series: t.map((s, i) => ({
        t: s,
        components: { proxy: { fds: 20 + i * 30, fdLimit: 1024, rssBytes: 50e6 }, b1: { fds: 15 + i * 15, fdLimit: 20000, rssBytes: 40e6 } },
        pairs: [
          { local: '127.0.0.1', remote: '127.0.0.1:9001', established: i * 15, timeWait: i * 3, other: 0 },
          // The accepting side's view of the same connections: not a pair that holds ports, so not charted per pair.
          { local: '127.0.0.1:9001', remote: '127.0.0.1', established: i * 15, timeWait: 0, other: 0 },
        ],
      })),
    };
    const cliff = withProbes.analysis?.cliff;
    if (cliff !== undefined) cliff.ports = { local: '127.0.0.1', remote: '127.0.0.1:9001', range: 1000, pairs: 1, proxyHoldsTimeWait: true, predictedPeak: 1000, predictedSecond: 3, sustainable: 0, formula: 'f', heldAtFailure: 990, peakHeld: 990, deviation: -0.01 };
    const file = await writeHtmlReport(path.join(root, 'probes'), withProbes);
    const b = browser as Browser;
    const log = await b.open(pathToFileURL(file).href, 'report-lab-probes');
    const facts = await b.evaluate<PageFacts>(log.sessionId, INSPECT);
    assert.equal(facts.rendered, 'connections messages latency percentiles backends skew errors generator fds ports pairs');
    assert.deepEqual(facts.charts['pairs']?.series.map((x) => x.label), ['127.0.0.1 → 127.0.0.1:9001', 'TIME_WAIT 127.0.0.1 → 127.0.0.1:9001']);
    assert.deepEqual(facts.charts['fds']?.series.map((x) => x.label), ['proxy fds', 'b1 fds']);
    assert.ok((facts.charts['ports']?.series[0]?.pixels ?? 0) > 50, JSON.stringify(facts.charts['ports']));
    assert.deepEqual(log.problems, []);
  });

  // Without this, a watcher that heard nothing (wrong event name, wrong session) would pass the test above.
  test('the watchers do catch a fetch, a CSP violation and a console error (planted in a copy)', { timeout: 25_000 }, async () => {
    const planted = path.join(root, 'report', 'planted.html');
    const probe = 'http://127.0.0.1:9/wsherd-probe.png'; // loopback discard port: nothing could answer even if sent
    const html = await readFile(reportFile, 'utf8');
    // The planted script is not one the CSP hashes: it must not run (and its refusal is itself a violation).
    await writeFile(planted, html.replace('</main>', `<img src="${probe}" alt=""><script>document.title = 'wsherd-planted-ran'</script></main>`));
    const b = browser as Browser;
    const log = await b.open(pathToFileURL(planted).href);
    assert.notEqual(await b.evaluate<string>(log.sessionId, 'document.title'), 'wsherd-planted-ran', 'an injected inline script does not run');
    assert.ok(log.problems.some((p) => /Content Security Policy|ContentSecurityPolicy/i.test(p) && p.includes('127.0.0.1:9')),
      `CSP violation reported: ${JSON.stringify(log.problems)}`);
    assert.ok(log.problems.some((p) => /script-src|inline script|InlineViolation/i.test(p)), `the blocked script is reported: ${JSON.stringify(log.problems)}`);
    assert.ok(log.requests.includes(probe), `the attempt is recorded: ${JSON.stringify(log.requests)}`);
    // The console watcher, through the page's own console (DevTools evaluation is not subject to the page's CSP).
    await b.evaluate(log.sessionId, "console.error('wsherd-planted')");
    // Up to 5 s: the console event travels Chromium → DevTools socket → here, slow on a busy machine.
    for (let i = 0; i < 250 && !log.problems.some((p) => p.includes('wsherd-planted')); i++) await new Promise((r) => setTimeout(r, 20));
    assert.ok(log.problems.some((p) => p.startsWith('console.error') && p.includes('wsherd-planted')), JSON.stringify(log.problems));
  });

  test('compare.html with the runs: one small chart per approach on shared scales, share bars, no console error', { timeout: 25_000 }, async () => {
    const a = sampleResults();
    const b = sampleResults();
    // The second approach: half the connections, all rtt doubled, and one backend taking most of them.
    b.series = b.series.map((p) => ({ ...p, open: Math.round(p.open / 2), rttP99: p.rttP99 === null ? null : p.rttP99 * 2 }));
    b.backends.perBackend = [{ id: 'b1', connections: 800, share: 0.8 }, { id: 'b2', connections: 100, share: 0.1 }, { id: 'b3', connections: 100, share: 0.1 }];
    const row = (name: string, r: typeof a): CompareResults['approaches'][number] => ({
      name, proxy: { strategy: 'round-robin', mode: 'l4' }, approach: 'proxy', status: 'complete', results: `${name}/results.json`,
      thresholdsPassed: 1, thresholdsFailed: 0, metrics: metricsOf(r), sentence: `${name} ran.`,
    });
    const compare: CompareResults = {
      format: 'wsherd-compare', version: 1, scenario: 'cmp', startedAt: a.startedAt, endedAt: a.endedAt, status: 'complete',
      approaches: [row('even', a), row('skewed', b)], best: {},
    };
    const file = path.join(root, 'compare.html');
    await writeFile(file, renderCompareHtml(compare, [a, b]));
    const br = browser as Browser;
    const log = await br.open(pathToFileURL(file).href, 'report-compare');
    const facts = await br.evaluate<PageFacts>(log.sessionId, INSPECT);
    assert.equal(facts.rendered, 'open-1 open-2 rtt-1 rtt-2');
    for (const [id, chart] of Object.entries(facts.charts)) {
      assert.ok(chart.canvas && chart.canvas[0] >= 260 && chart.canvas[1] >= 150, `${id}: canvas ${JSON.stringify(chart.canvas)}`);
      assert.ok((chart.series[0]?.pixels ?? 0) > 50, `${id}: drawn: ${JSON.stringify(chart.series)}`);
    }
    // Same scales whatever each approach's own peak: the larger run's, on every small chart of a kind.
    const scales = await br.evaluate<Record<string, number[]>>(log.sessionId, `Object.fromEntries([...document.querySelectorAll('.chart[data-chart]')]
      .map((el) => { const s = el.uplot.scales; const y = s.open || s.ms; return [el.dataset.chart, [s.x.min, s.x.max, y.min, y.max]]; }))`);
    const peak = Math.max(...a.series.map((p) => p.open));
    const rttPeak = Math.max(...b.series.map((p) => p.rttP99 ?? 0));
    assert.deepEqual(scales['open-1'], [0, 20, 0, peak]);
    assert.deepEqual(scales['open-2'], scales['open-1']);
    assert.deepEqual(scales['rtt-1'], [0, 20, 0, rttPeak]);
    assert.deepEqual(scales['rtt-2'], scales['rtt-1']);
    const bars = await br.evaluate<number[]>(log.sessionId, `[...document.querySelectorAll('svg.shares')].map((s) => s.querySelectorAll('rect').length)`);
    assert.deepEqual(bars, [3, 3]);
    assert.deepEqual(log.requests, []);
    assert.deepEqual(log.problems, []);
  });

  test('baseline.html: the deltas table with the regression marked, no request, no console error', { timeout: 25_000 }, async () => {
    const old = sampleResults();
    const next = sampleResults();
    next.summary.latency.connect = { ...next.summary.latency.connect, p99: next.summary.latency.connect.p99 * 3 };
    const file = path.join(root, 'baseline.html');
    await writeFile(file, renderBaselineHtml(compareToBaseline(old, next, { oldFile: 'old/results.json', newFile: 'new/results.json' })));
    const br = browser as Browser;
    const log = await br.open(pathToFileURL(file).href, 'report-baseline');
    const regressed = await br.evaluate<string[]>(log.sessionId, `[...document.querySelectorAll('tr.regressed th')].map((th) => th.textContent.trim())`);
    assert.ok(regressed.some((m) => m.startsWith('p99(connect)')), JSON.stringify(regressed));
    assert.deepEqual(log.requests, []);
    assert.deepEqual(log.problems, []);
  });
});
