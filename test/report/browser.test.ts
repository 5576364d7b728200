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
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, mkdir, rm, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Readable, Writable } from 'node:stream';
import { writeHtmlReport } from '../../src/report/html.js';
import { sampleResults } from '../results/fixture.js';

/** WSHERD_CHROMIUM only exists to exercise the skip/fail branches by hand. */
const CHROMIUM = process.env.WSHERD_CHROMIUM ?? '/usr/bin/chromium';
const IN_CI = (process.env.CI ?? '') !== '';
const SKIP = !existsSync(CHROMIUM) && !IN_CI
  ? `${CHROMIUM} not found: install Debian's chromium package to run this test (CI installs it and never skips)`
  : false;
/** Every wait on the browser gives up after this; the node:test timeouts below are the outer bound. */
const STEP_MS = 15_000;

interface CdpMessage {
  id?: number;
  method?: string;
  params?: Record<string, unknown>;
  result?: Record<string, unknown>;
  error?: { message: string };
  sessionId?: string;
}

/** A minimal DevTools-protocol client on Chromium's pipe transport: NUL-terminated JSON messages, fd 3 in, fd 4 out. */
class Cdp {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (r: Record<string, unknown>) => void; reject: (e: Error) => void }>();
  private readonly listeners = new Set<(m: CdpMessage) => void>();
  private buf = '';
  private closed: Error | undefined;

  constructor(private readonly out: Writable, input: Readable) {
    input.setEncoding('utf8');
    input.on('data', (chunk: string) => {
      this.buf += chunk;
      for (let i = this.buf.indexOf('\0'); i >= 0; i = this.buf.indexOf('\0')) {
        const msg = JSON.parse(this.buf.slice(0, i)) as CdpMessage;
        this.buf = this.buf.slice(i + 1);
        this.dispatch(msg);
      }
    });
    out.on('error', () => undefined); // a write after Chromium died: the exit handler already failed the waits
  }

  private dispatch(msg: CdpMessage): void {
    if (msg.id !== undefined) {
      const p = this.pending.get(msg.id);
      this.pending.delete(msg.id);
      if (msg.error) p?.reject(new Error(`CDP: ${msg.error.message}`));
      else p?.resolve(msg.result ?? {});
      return;
    }
    for (const l of this.listeners) l(msg);
  }

  /** Fails every pending and later call: Chromium is gone. */
  fail(err: Error): void {
    this.closed = err;
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }

  send(method: string, params: Record<string, unknown> = {}, sessionId?: string): Promise<Record<string, unknown>> {
    if (this.closed) return Promise.reject(this.closed);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`CDP ${method}: no answer in ${STEP_MS} ms`));
      }, STEP_MS);
      const done = <T>(f: (v: T) => void) => (v: T): void => { clearTimeout(timer); f(v); };
      this.pending.set(id, { resolve: done(resolve), reject: done(reject) });
      this.out.write(`${JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) })}\0`);
    });
  }

  on(listener: (m: CdpMessage) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

/** What one page did while it loaded: requests other than the page itself, and every complaint. */
interface PageLog {
  sessionId: string;
  requests: string[];
  problems: string[];
}

class Browser {
  readonly cdp: Cdp;
  private stderr = '';
  private readonly exited: Promise<void>;

  private constructor(private readonly child: ChildProcess, private readonly root: string) {
    this.cdp = new Cdp(child.stdio[3] as Writable, child.stdio[4] as Readable);
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (d: string) => { this.stderr = (this.stderr + d).slice(-8000); });
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => {
      this.cdp.fail(new Error(`chromium exited (${signal ?? code}); stderr tail:\n${this.stderr}`));
      resolve();
    }));
  }

  /** Everything Chromium writes goes under `root`: the profile, and (through HOME/XDG) its crash database. */
  static launch(root: string): Browser {
    const home = path.join(root, 'home');
    const child = spawn(CHROMIUM, [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-default-apps', '--mute-audio', '--window-size=1280,1600',
      `--user-data-dir=${path.join(root, 'profile')}`, '--remote-debugging-pipe', 'about:blank',
    ], {
      env: { ...process.env, HOME: home, XDG_CONFIG_HOME: path.join(home, '.config'), XDG_CACHE_HOME: path.join(home, '.cache') },
      stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'],
      detached: true, // its own process group: one kill ends the renderers and helpers too
    });
    const b = new Browser(child, root);
    child.once('error', (err) => b.cdp.fail(err));
    return b;
  }

  /** Opens `url` in a fresh tab, watching it from before the navigation, and waits for its load event. */
  async open(url: string): Promise<PageLog> {
    const { targetId } = await this.cdp.send('Target.createTarget', { url: 'about:blank' });
    const { sessionId } = await this.cdp.send('Target.attachToTarget', { targetId, flatten: true }) as { sessionId: string };
    const log: PageLog = { sessionId, requests: [], problems: [] };
    const loaders = new Set<string>();
    let onLoad: (loaderId: string) => void = () => undefined;
    this.cdp.on((m) => {
      if (m.sessionId !== sessionId || !m.method) return;
      const p = m.params ?? {};
      switch (m.method) {
        case 'Network.requestWillBeSent': {
          const u = (p.request as { url: string }).url;
          if (u !== url) log.requests.push(u);
          break;
        }
        case 'Network.webSocketCreated': log.requests.push(String(p.url)); break;
        case 'Runtime.consoleAPICalled':
          if (['error', 'warning', 'assert'].includes(String(p.type))) {
            log.problems.push(`console.${String(p.type)}: ${JSON.stringify(p.args)}`);
          }
          break;
        case 'Runtime.exceptionThrown': log.problems.push(`exception: ${JSON.stringify(p.exceptionDetails)}`); break;
        case 'Log.entryAdded': {
          const e = p.entry as { level: string; source: string; text: string; url?: string };
          if (e.level === 'error' || e.level === 'warning') log.problems.push(`log ${e.level} (${e.source}): ${e.text}`);
          break;
        }
        case 'Audits.issueAdded': {
          const issue = p.issue as { code: string; details: unknown };
          log.problems.push(`issue ${issue.code}: ${JSON.stringify(issue.details)}`);
          break;
        }
        case 'Page.lifecycleEvent':
          if (p.name === 'load') { loaders.add(String(p.loaderId)); onLoad(String(p.loaderId)); }
          break;
      }
    });
    for (const domain of ['Runtime', 'Log', 'Network', 'Page', 'Audits']) await this.cdp.send(`${domain}.enable`, {}, sessionId);
    await this.cdp.send('Page.setLifecycleEventsEnabled', { enabled: true }, sessionId);
    const nav = await this.cdp.send('Page.navigate', { url }, sessionId) as { loaderId: string; errorText?: string };
    assert.equal(nav.errorText, undefined, `navigation to ${url} failed`);
    // The about:blank tab may report its own load first: wait for the load of this navigation's loader.
    await new Promise<void>((resolve, reject) => {
      if (loaders.has(nav.loaderId)) return resolve();
      const timer = setTimeout(() => reject(new Error(`no load event for ${url} in ${STEP_MS} ms`)), STEP_MS);
      onLoad = (loaderId) => { if (loaderId === nav.loaderId) { clearTimeout(timer); resolve(); } };
    });
    return log;
  }

  async evaluate<T>(sessionId: string, expression: string): Promise<T> {
    const r = await this.cdp.send('Runtime.evaluate', { expression, returnByValue: true, awaitPromise: true }, sessionId) as
      { result: { value: T }; exceptionDetails?: unknown };
    assert.equal(r.exceptionDetails, undefined, `evaluation failed: ${JSON.stringify(r.exceptionDetails)}`);
    return r.result.value;
  }

  /**
   * Kills the whole process group (even if the browser process died first: a pid is not reused while it names
   * a live group), then the crash handlers, which leave the group (they name our temp root in their command
   * line), and waits, bounded, until none is left, so the temp dir can be removed.
   */
  async kill(): Promise<void> {
    if (this.child.pid !== undefined) {
      try { process.kill(-this.child.pid, 'SIGKILL'); } catch { /* the group is gone already */ }
    }
    const deadline = Date.now() + 5000;
    await Promise.race([this.exited, new Promise((r) => setTimeout(r, 5000).unref())]);
    for (let left = this.strays(); left.length > 0 && Date.now() < deadline; left = this.strays()) {
      for (const pid of left) try { process.kill(pid, 'SIGKILL'); } catch { /* ended meanwhile */ }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Live processes whose command line names this browser's temp root (a zombie's command line is empty). */
  private strays(): number[] {
    const out: number[] = [];
    for (const name of readdirSync('/proc')) {
      if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
      try {
        if (readFileSync(`/proc/${name}/cmdline`, 'utf8').includes(this.root)) out.push(Number(name));
      } catch { /* ended while we looked */ }
    }
    return out;
  }
}

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
    browser = Browser.launch(root);
  }, { timeout: 10_000 });

  after(async () => {
    await browser?.kill();
    if (root) await rm(root, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
  }, { timeout: 10_000 });

  /** The report page, loaded once and shared by the tests that read it (a failure too: they fail fast). */
  function loadReport(): Promise<{ log: PageLog; facts: PageFacts }> {
    report ??= (async () => {
      const b = browser as Browser;
      const log = await b.open(reportUrl);
      return { log, facts: await b.evaluate<PageFacts>(log.sessionId, INSPECT) };
    })();
    return report;
  }

  test('the client script drew every chart, with the data it was given', { timeout: 25_000 }, async () => {
    const { facts } = await loadReport();
    assert.equal(facts.rendered, 'connections latency backends skew generator', 'data-rendered marker set by report-client.js');
    assert.deepEqual(Object.keys(facts.charts), ['connections', 'latency', 'backends', 'skew', 'generator']);
    for (const [id, chart] of Object.entries(facts.charts)) {
      assert.ok(chart.canvas && chart.canvas[0] >= 300 && chart.canvas[1] >= 200, `${id}: uPlot canvas ${JSON.stringify(chart.canvas)}`);
      const first = chart.series[0];
      assert.ok(first && first.pixels > 50, `${id}: its first series is drawn: ${JSON.stringify(chart.series)}`);
    }
    const labels = (id: string): string[] => facts.charts[id]?.series.map((s) => s.label) ?? [];
    assert.deepEqual(labels('connections'), ['open', 'new/s', 'failures/s']);
    assert.equal(labels('latency')[0], 'rtt p50');
    assert.deepEqual(labels('backends'), ['b1', 'b2', 'b3'], 'one line per backend');
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
    const log = await b.open(pathToFileURL(file).href);
    const facts = await b.evaluate<PageFacts>(log.sessionId, INSPECT);
    assert.equal(facts.rendered, 'connections latency backends skew generator fds ports pairs');
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
    await writeFile(planted, html.replace('</main>', `<img src="${probe}" alt=""><script>console.error('wsherd-planted')</script></main>`));
    const log = await (browser as Browser).open(pathToFileURL(planted).href);
    assert.ok(log.problems.some((p) => p.startsWith('console.error') && p.includes('wsherd-planted')), JSON.stringify(log.problems));
    assert.ok(log.problems.some((p) => /Content Security Policy|ContentSecurityPolicy/i.test(p) && p.includes('127.0.0.1:9')),
      `CSP violation reported: ${JSON.stringify(log.problems)}`);
    assert.ok(log.requests.includes(probe), `the attempt is recorded: ${JSON.stringify(log.requests)}`);
  });
});
