/**
 * The orchestrator's own active checks: a TCP connect to each registered backend's host:port, with HAProxy's
 * rise/fall hysteresis. Heartbeats say the agent is alive; a check says the port clients will dial accepts
 * connections, which an agent cannot vouch for (a wedged listener, a firewall between clients and backend).
 * Each orchestrator instance checks for itself and keeps the result locally (not in the shared registry): what
 * matters is whether the backend is reachable from where the checks run.
 */
import net from 'node:net';
import type { RegisteredBackend } from './registry.js';

export interface OrchestratorHealthOptions {
  /** Time between rounds of checks, ms. Default 2000. */
  intervalMs?: number;
  /** A connect not established within this many ms fails. Default min(intervalMs, 2000). */
  timeoutMs?: number;
  /** Consecutive passes that bring a down backend back. Default 2. */
  rise?: number;
  /** Consecutive failures that take a backend out. Default 3. */
  fall?: number;
}

interface CheckState {
  url: string;
  up: boolean;
  passes: number;
  fails: number;
  lastError: string | undefined;
}

export class HealthChecks {
  private readonly intervalMs: number;
  private readonly timeoutMs: number;
  private readonly rise: number;
  private readonly fall: number;
  private readonly states = new Map<string, CheckState>();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly sockets = new Set<net.Socket>();

  constructor(
    opts: OrchestratorHealthOptions,
    private readonly list: () => Promise<RegisteredBackend[]>,
  ) {
    this.intervalMs = Math.max(10, opts.intervalMs ?? 2000);
    this.timeoutMs = Math.max(1, opts.timeoutMs ?? Math.min(this.intervalMs, 2000));
    this.rise = Math.max(1, opts.rise ?? 2);
    this.fall = Math.max(1, opts.fall ?? 3);
  }

  start(): void {
    this.schedule(0);
  }

  /**
   * True unless checks took the backend out. A backend not checked yet counts as up (HAProxy starts servers up),
   * so a freshly registered backend is handed out at once; a changed URL starts over.
   */
  isUp(id: string, url: string): boolean {
    const s = this.states.get(id);
    return s === undefined || s.url !== url || s.up;
  }

  /** 'up' | 'down' | 'unchecked', and the last error, for the backend list. */
  describe(id: string): { check: 'up' | 'down' | 'unchecked'; lastError?: string } {
    const s = this.states.get(id);
    if (s === undefined) return { check: 'unchecked' };
    return { check: s.up ? 'up' : 'down', ...(s.lastError === undefined ? {} : { lastError: s.lastError }) };
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
  }

  private schedule(delay: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.round(), delay);
    this.timer.unref();
  }

  private async round(): Promise<void> {
    this.timer = undefined;
    let backends: RegisteredBackend[] = [];
    try {
      backends = await this.list();
    } catch {
      // The registry is unreachable: nothing to check this round.
    }
    const ids = new Set(backends.map((b) => b.id));
    for (const id of this.states.keys()) if (!ids.has(id)) this.states.delete(id);
    await Promise.all(backends.map(async (b) => this.apply(b, await this.check(b.url))));
    this.schedule(this.intervalMs);
  }

  private apply(b: RegisteredBackend, error: string | null): void {
    if (this.stopped) return;
    let s = this.states.get(b.id);
    if (s === undefined || s.url !== b.url) {
      s = { url: b.url, up: true, passes: 0, fails: 0, lastError: undefined };
      this.states.set(b.id, s);
    }
    if (error === null) {
      s.fails = 0;
      s.passes++;
      if (!s.up && s.passes >= this.rise) s.up = true;
    } else {
      s.passes = 0;
      s.fails++;
      s.lastError = error;
      if (s.up && s.fails >= this.fall) s.up = false;
    }
  }

  /** null when a TCP connect to the URL's host:port succeeds within timeoutMs, else the error code. */
  private check(url: string): Promise<string | null> {
    let host: string;
    let port: number;
    try {
      const u = new URL(url);
      host = u.hostname.replace(/^\[(.*)\]$/, '$1');
      port = u.port === '' ? (u.protocol === 'wss:' ? 443 : 80) : Number(u.port);
    } catch {
      return Promise.resolve('EINVAL');
    }
    return new Promise((resolve) => {
      const socket = net.connect({ host, port });
      this.sockets.add(socket);
      const done = (error: string | null): void => {
        clearTimeout(timer);
        this.sockets.delete(socket);
        socket.destroy();
        resolve(error);
      };
      const timer = setTimeout(() => done('ETIMEDOUT'), this.timeoutMs);
      socket.once('connect', () => done(null));
      socket.once('error', (err: NodeJS.ErrnoException) => done(err.code ?? 'ERROR'));
      socket.once('close', () => done('ECONNRESET'));
    });
  }
}
