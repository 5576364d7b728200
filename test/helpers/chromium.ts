/**
 * A headless Chromium for the report tests, driven by playwright-core on Debian's own Chromium (executablePath; no
 * browser download): open a page from file://, record everything it fetched or complained about — console errors
 * and warnings, uncaught exceptions, DevTools log entries and issues (a CSP violation is an issue) — evaluate in
 * it, and save a full-page screenshot as a test artifact (test-artifacts/, kept by CI for a look at what was drawn).
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser as PwBrowser, type Page } from 'playwright-core';
import { needBinary } from './system.js';

/** WSHERD_CHROMIUM only exists to exercise the skip/fail branches by hand. */
export const CHROMIUM = process.env.WSHERD_CHROMIUM ?? '/usr/bin/chromium';
/** false, or why the browser tests skip; under CI a missing Chromium fails instead (test/helpers/system.ts). */
export const SKIP = needBinary(CHROMIUM, 'chromium');
/** Every wait on the browser gives up after this; the tests' node:test timeouts are the outer bound. */
const STEP_MS = 15_000;
/** Screenshots go here (the repository's test-artifacts/, ignored by git): dist/test/helpers → ../../../. */
export const ARTIFACTS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../test-artifacts');

/** What one page did while it loaded: requests other than the page itself, and every complaint. */
export interface PageLog {
  sessionId: string;
  requests: string[];
  problems: string[];
}

export class Browser {
  private readonly pages = new Map<string, Page>();
  private next = 1;

  private constructor(private readonly pw: PwBrowser) {}

  /** `root`: a temporary folder the browser may write its profile to (removed by the caller). */
  static async launch(root: string): Promise<Browser> {
    const home = path.join(root, 'home');
    const pw = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      timeout: STEP_MS,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update'],
      env: { ...process.env, HOME: home, XDG_CONFIG_HOME: path.join(home, '.config'), XDG_CACHE_HOME: path.join(home, '.cache') },
    });
    return new Browser(pw);
  }

  /**
   * Opens `url` in a fresh page, watching it from before the navigation, and waits for its load event.
   * `screenshot`: a name; the loaded page is saved as test-artifacts/<name>.png.
   */
  async open(url: string, screenshot?: string): Promise<PageLog> {
    const page = await this.pw.newPage({ viewport: { width: 1280, height: 1600 } });
    page.setDefaultTimeout(STEP_MS);
    const sessionId = `page-${this.next++}`;
    this.pages.set(sessionId, page);
    const log: PageLog = { sessionId, requests: [], problems: [] };
    page.on('request', (r) => { if (r.url() !== url) log.requests.push(r.url()); });
    page.on('websocket', (ws) => log.requests.push(ws.url()));
    page.on('console', (m) => {
      const type = m.type();
      if (type === 'error' || type === 'warning' || type === 'assert') log.problems.push(`console.${type}: ${m.text()}`);
    });
    page.on('pageerror', (err) => log.problems.push(`exception: ${err.message}`));
    // DevTools' own log and issues: what a console listener does not see (CSP violations are reported as issues).
    const cdp = await page.context().newCDPSession(page);
    cdp.on('Log.entryAdded', (p: { entry: { level: string; source: string; text: string } }) => {
      const e = p.entry;
      if (e.level === 'error' || e.level === 'warning') log.problems.push(`log ${e.level} (${e.source}): ${e.text}`);
    });
    cdp.on('Audits.issueAdded', (p: { issue: { code: string; details: unknown } }) => log.problems.push(`issue ${p.issue.code}: ${JSON.stringify(p.issue.details)}`));
    await cdp.send('Log.enable');
    await cdp.send('Audits.enable');
    const response = await page.goto(url, { waitUntil: 'load' });
    assert.ok(response === null || response.ok() || url.startsWith('file:'), `navigation to ${url} failed`);
    if (screenshot !== undefined) {
      mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: path.join(ARTIFACTS, `${screenshot}.png`), fullPage: true });
    }
    return log;
  }

  async evaluate<T>(sessionId: string, expression: string): Promise<T> {
    const page = this.pages.get(sessionId);
    assert.ok(page, `no page ${sessionId}`);
    // A string is evaluated as an expression in the page (awaited when it is a promise).
    return (await page.evaluate(expression)) as T;
  }

  /** Closes the browser and everything it started. */
  async kill(): Promise<void> {
    await this.pw.close().catch(() => undefined);
  }
}
