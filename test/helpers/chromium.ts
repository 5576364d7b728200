/**
 * A headless Chromium for the report tests, driven over the DevTools protocol on --remote-debugging-pipe (no port,
 * no extra dependency): open a page from file://, record everything it fetched or complained about, evaluate in it.
 * Used by test/report/browser.test.ts (the run report and compare.html).
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';

/** WSHERD_CHROMIUM only exists to exercise the skip/fail branches by hand. */
export const CHROMIUM = process.env.WSHERD_CHROMIUM ?? '/usr/bin/chromium';
const IN_CI = (process.env.CI ?? '') !== '';
export const SKIP = !existsSync(CHROMIUM) && !IN_CI
  ? `${CHROMIUM} not found: install Debian's chromium package to run this test (CI installs it and never skips)`
  : false;
/** Every wait on the browser gives up after this; the tests' node:test timeouts are the outer bound. */
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
export interface PageLog {
  sessionId: string;
  requests: string[];
  problems: string[];
}

export class Browser {
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

