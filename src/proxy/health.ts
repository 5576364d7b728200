/**
 * Active health checks, one timer per backend, with HAProxy's rise/fall hysteresis: a backend goes down after
 * `fall` consecutive failed checks and comes back after `rise` consecutive passes. Passive observation (HAProxy
 * `observe layer4`): a failed upstream connect from relayed traffic counts as one failed check.
 */
import http from 'node:http';
import net from 'node:net';
import { WsherdError } from '../errors.js';
import type { BackendPool, BackendState } from './pool.js';
import { OWN_LIMIT_CODES } from './accept.js';

export type HealthCheckKind = 'none' | 'tcp' | 'http' | 'ws';
export const HEALTH_CHECK_KINDS: readonly HealthCheckKind[] = ['none', 'tcp', 'http', 'ws'];

export interface HealthOptions {
  /**
   * `tcp`: the connect alone (HAProxy `check`). `http`: GET `path`, 2xx/3xx passes (`option httpchk`). `ws`:
   * WebSocket upgrade on `path`, then a ping that must be answered by a pong. `none`: no active checks (failed
   * connects then only start the connect cooldown). Default tcp.
   */
  kind?: HealthCheckKind;
  /** Time between the end of one check and the start of the next, ms. Default 2000 (HAProxy `inter 2s`). */
  intervalMs?: number;
  /** A check that has not passed within this many ms fails with ETIMEDOUT. Default min(intervalMs, 2000). */
  timeoutMs?: number;
  /** Consecutive passes that bring a down backend up. Default 2 (HAProxy `rise 2`). */
  rise?: number;
  /** Consecutive failures that take an up backend down. Default 3 (HAProxy `fall 3`). */
  fall?: number;
  /** Request path for http and ws checks. Default `/`. */
  path?: string;
}

export type ResolvedHealth = Required<HealthOptions>;

export function resolveHealth(o: HealthOptions = {}): ResolvedHealth {
  const intervalMs = o.intervalMs ?? 2000;
  const r: ResolvedHealth = {
    kind: o.kind ?? 'tcp',
    intervalMs,
    timeoutMs: o.timeoutMs ?? Math.min(intervalMs, 2000),
    rise: o.rise ?? 2,
    fall: o.fall ?? 3,
    path: o.path ?? '/',
  };
  const problems: string[] = [];
  if (!HEALTH_CHECK_KINDS.includes(r.kind)) problems.push(`kind must be one of ${HEALTH_CHECK_KINDS.join(', ')}, got "${String(r.kind)}"`);
  for (const [key, min, max] of [['intervalMs', 10, 3_600_000], ['timeoutMs', 1, 3_600_000], ['rise', 1, 1000], ['fall', 1, 1000]] as const) {
    const v = r[key];
    if (!Number.isInteger(v) || v < min || v > max) problems.push(`${key} must be an integer from ${min} to ${max}, got ${v}`);
  }
  if (!r.path.startsWith('/')) problems.push(`path must start with "/", got "${r.path}"`);
  if (problems.length > 0) {
    throw new WsherdError('WSH_ERR_INVALID_INPUT', `Invalid proxy health options: ${problems.join('; ')}.`, {
      hint: 'e.g. health: { kind: tcp, intervalMs: 2000, rise: 2, fall: 3 }',
    });
  }
  return r;
}

/** Records one check result on `b`; true when its up/down verdict flipped. */
export function applyResult(b: BackendState, error: string | null, rise: number, fall: number): boolean {
  if (error === null) {
    b.checksPassed++;
    b.streakOk++;
    b.streakFail = 0;
    if (!b.checkUp && b.streakOk >= rise) {
      b.checkUp = true;
      return true;
    }
  } else {
    b.checksFailed++;
    b.lastError = error;
    b.streakFail++;
    b.streakOk = 0;
    if (b.checkUp && b.streakFail >= fall) {
      b.checkUp = false;
      return true;
    }
  }
  return false;
}

type Done = (error: string | null) => void;
/** Starts one check; returns a function that aborts it (no callback after that). */
type Probe = (b: BackendState, h: ResolvedHealth, done: Done) => () => void;

interface Watch {
  timer: NodeJS.Timeout | undefined;
  cancel: (() => void) | undefined;
}

export class HealthChecker {
  private readonly watches = new Map<BackendState, Watch>();
  private closed = false;

  constructor(
    private readonly pool: BackendPool,
    readonly options: ResolvedHealth,
  ) {}

  get enabled(): boolean {
    return this.options.kind !== 'none';
  }

  watch(b: BackendState): void {
    if (!this.enabled || this.closed || this.watches.has(b)) return;
    const w: Watch = { timer: undefined, cancel: undefined };
    this.watches.set(b, w);
    this.schedule(b, w);
  }

  unwatch(b: BackendState): void {
    const w = this.watches.get(b);
    if (!w) return;
    clearTimeout(w.timer);
    w.cancel?.();
    this.watches.delete(b);
  }

  /** Passive observation: a failed connect from relayed traffic counts as a failed check. */
  observeFailure(b: BackendState, code: string): void {
    if (!this.enabled || !this.watches.has(b)) return;
    this.record(b, code);
  }

  close(): void {
    this.closed = true;
    for (const b of [...this.watches.keys()]) this.unwatch(b);
  }

  private record(b: BackendState, error: string | null): void {
    // A check that could not even start for lack of a local port or fd says nothing about the backend: taking it
    // down would turn the proxy's own exhaustion into "no backend" for every client. It is counted, not applied.
    if (error !== null && OWN_LIMIT_CODES.has(error)) {
      b.checksInconclusive++;
      return;
    }
    applyResult(b, error, this.options.rise, this.options.fall);
    this.pool.refresh(b);
  }

  private schedule(b: BackendState, w: Watch): void {
    w.timer = setTimeout(() => {
      w.timer = undefined;
      const probe = PROBES[this.options.kind];
      if (!probe) return;
      let finished = false;
      const finish = (error: string | null): void => {
        if (finished) return;
        finished = true;
        clearTimeout(deadline);
        stop();
        w.cancel = undefined;
        if (this.watches.get(b) !== w) return;
        this.record(b, error);
        this.schedule(b, w);
      };
      const deadline = setTimeout(() => finish('ETIMEDOUT'), this.options.timeoutMs);
      const stop = probe(b, this.options, finish);
      w.cancel = () => {
        finished = true;
        clearTimeout(deadline);
        stop();
      };
    }, this.options.intervalMs);
    // Checks never keep a process alive on their own; the listeners do.
    w.timer.unref();
  }
}

const codeOf = (err: unknown): string => (err as NodeJS.ErrnoException).code ?? 'ERROR';

const tcpProbe: Probe = (b, _h, done) => {
  const s = net.connect({ host: b.host, port: b.port });
  s.once('connect', () => done(null));
  s.once('error', (err) => done(codeOf(err)));
  return () => s.destroy();
};

const httpProbe: Probe = (b, h, done) => {
  const req = http.get({ host: b.host, port: b.port, path: h.path, agent: false, headers: { connection: 'close', 'user-agent': 'wsherd-health' } }, (res) => {
    const status = res.statusCode ?? 0;
    res.resume();
    done(status >= 200 && status < 400 ? null : `HTTP_${status}`);
  });
  req.once('error', (err) => done(codeOf(err)));
  return () => req.destroy();
};

/**
 * The `ws` check's code lives in health-ws.ts, imported at the first ws check: the `ws` library costs a proxy
 * ~14 MB of RSS at start (measured: 43 MB → 57 MB), and the default tcp checks never need it.
 */
let wsModule: Promise<typeof import('./health-ws.js')> | undefined;

const wsProbe: Probe = (b, h, done) => {
  let aborted = false;
  let stop: (() => void) | undefined;
  (wsModule ??= import('./health-ws.js')).then(
    (m) => {
      if (!aborted) stop = m.wsProbe(b, h, done);
    },
    (err: unknown) => done(codeOf(err)),
  );
  return () => {
    aborted = true;
    stop?.();
  };
};

const PROBES: Partial<Record<HealthCheckKind, Probe>> = { tcp: tcpProbe, http: httpProbe, ws: wsProbe };
