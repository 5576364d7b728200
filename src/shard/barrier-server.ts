/**
 * The HTTP barrier (`wsherd barrier`): shards POST …/join and are held (long-poll, at most MAX_WAIT_MS per request)
 * until every shard of their run has joined; then each gets the same start instant, in this server's clock, `lead`
 * ahead. GET …/time serves the clock the shards measure their offset against. Routes match on the path's last
 * segment, so a prefix (an ingress path) needs no configuration. Wire format: docs/sharding.md.
 */
import http from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { WsherdError } from '../errors.js';
import { formatDuration } from '../scenario/duration.js';
import { httpUrl } from '../lab/urls.js';
import { STALE_AFTER_MS, shardList, validRunId, type JoinReply, type JoinRequest } from './barrier-common.js';

/** Longest the server holds one join request: below the idle timeouts of common proxies and load balancers (60 s). */
export const MAX_WAIT_MS = 25_000;
/** A released run's shards that never came back for their start stop being waited for this long after it. */
const COLLECT_GRACE_MS = 1_000;
const MAX_BODY = 4096;

export interface BarrierServerOptions {
  /** Listen address; 0.0.0.0 to be reachable from other hosts (Kubernetes pods). */
  host: string;
  /** 0 picks a free port (see `url`). */
  port: number;
  /** When given, joins that declare another shard count are refused (409). */
  shards?: number;
  /** From "everyone arrived" to the start, ms; a shard may ask for more (the largest wins). */
  leadMs: number;
  /** The server's clock, epoch ms (tests inject a skewed one). Default Date.now. */
  now?: () => number;
  /** When given, `released` rejects (WSH_ERR_BARRIER_TIMEOUT, naming who arrived) if no run released in time, ms. */
  timeoutMs?: number;
  /** Arrivals, releases and refusals, for the command to print (the server prints nothing). */
  onEvent?: (e: BarrierEvent) => void;
}

export type BarrierEvent =
  | { type: 'arrival'; runId: string; shard: number; shards: number; arrived: number }
  | { type: 'release'; runId: string; shards: number; startAt: number; now: number }
  | { type: 'refused'; status: number; message: string };

/** A run whose shards all joined and (all, or all but the ones that never came back) got their start. */
export interface BarrierRelease {
  runId: string;
  shards: number;
  /** Server clock, epoch ms. */
  startAt: number;
  /** Shards that received the start (200 written). */
  collected: number[];
}

export interface BarrierServer {
  url: string;
  port: number;
  /** The first run released to every shard. Rejects only on timeoutMs. */
  released: Promise<BarrierRelease>;
  close(): Promise<void>;
}

interface Waiter {
  res: http.ServerResponse;
  shard: number;
  timer: NodeJS.Timeout;
}

interface Run {
  runId: string;
  shards: number;
  /** The shard whose join fixed the count, for the mismatch message. */
  firstShard: number;
  joined: Set<number>;
  leadMs: number;
  startAt?: number;
  waiters: Set<Waiter>;
  collected: Set<number>;
  collectTimer?: NodeJS.Timeout;
}

class RefusedError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** The barrier's state: runs by id, their joins, waiters and release; answers requests, never prints. */
class Barrier {
  private readonly runs = new Map<string, Run>();
  private settle: { resolve: (r: BarrierRelease) => void; reject: (e: Error) => void } | undefined;
  private timeoutTimer: NodeJS.Timeout | undefined;
  readonly released: Promise<BarrierRelease>;
  readonly now: () => number;

  constructor(private readonly opts: BarrierServerOptions) {
    this.now = opts.now ?? Date.now;
    this.released = new Promise<BarrierRelease>((resolve, reject) => (this.settle = { resolve, reject }));
    // The caller may never await it (tests, a library user serving forever): no unhandled rejection then.
    this.released.catch(() => {});
  }

  startTimeout(url: string): void {
    const ms = this.opts.timeoutMs;
    if (ms === undefined) return;
    this.timeoutTimer = setTimeout(() => {
      this.settle?.reject(serverTimeout(url, ms, [...this.runs.values()]));
      this.settle = undefined;
    }, ms);
  }

  handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const path = new URL(req.url ?? '/', 'http://barrier').pathname.replace(/\/+$/, '');
    const route = path.slice(path.lastIndexOf('/') + 1);
    if (req.method === 'GET' && route === 'time') return reply(res, 200, { now: this.now() });
    if (req.method === 'GET' && route === 'status') {
      return reply(res, 200, { now: this.now(), runs: [...this.runs.values()].map((r) => ({ ...this.state(r), collected: sorted(r.collected) })) });
    }
    if (req.method !== 'POST' || route !== 'join') {
      return reply(res, 404, { error: `no ${req.method ?? ''} ${path}: this is a wsherd barrier (POST …/join, GET …/time, GET …/status).` });
    }
    readBody(req).then(
      (text) => {
        try {
          this.join(parseJoin(text), res);
        } catch (err) {
          const status = err instanceof RefusedError ? err.status : 400;
          this.opts.onEvent?.({ type: 'refused', status, message: (err as Error).message });
          reply(res, status, { error: (err as Error).message });
        }
      },
      (err: Error) => reply(res, 400, { error: err.message }),
    );
  }

  private join(body: JoinRequest, res: http.ServerResponse): void {
    const run = this.runOf(body);
    run.leadMs = Math.max(run.leadMs, body.leadMs ?? 0);
    if (!run.joined.has(body.shard)) {
      run.joined.add(body.shard);
      this.opts.onEvent?.({ type: 'arrival', runId: run.runId, shard: body.shard, shards: run.shards, arrived: run.joined.size });
    }
    if (run.startAt === undefined && run.joined.size === run.shards) this.release(run);
    if (run.startAt !== undefined) return this.answerStart(run, res, body.shard);
    const waitMs = Math.min(MAX_WAIT_MS, Math.max(0, body.waitMs ?? MAX_WAIT_MS));
    const w: Waiter = {
      res,
      shard: body.shard,
      timer: setTimeout(() => {
        run.waiters.delete(w);
        reply(res, 202, this.state(run));
      }, waitMs),
    };
    run.waiters.add(w);
    // A shard that gave up (aborted, timed out) is not answered later; its next join is a new request.
    res.once('close', () => {
      clearTimeout(w.timer);
      run.waiters.delete(w);
    });
  }

  /** The join's run, created by its first shard; refuses a count that disagrees and a run whose start is long past. */
  private runOf({ runId, shard, shards }: JoinRequest): Run {
    const fixed = this.opts.shards;
    if (fixed !== undefined && shards !== fixed) {
      throw new RefusedError(409, `this barrier was started with --shards ${fixed}, but shard ${shard} of run ${runId} says ${shards}: every shard must run with --shard i/${fixed}.`);
    }
    let run = this.runs.get(runId);
    if (run === undefined) {
      run = { runId, shards, firstShard: shard, joined: new Set(), leadMs: 0, waiters: new Set(), collected: new Set() };
      this.runs.set(runId, run);
    } else if (run.shards !== shards) {
      throw new RefusedError(409, `run ${runId} has ${run.shards} shards (shard ${run.firstShard} said so first), but shard ${shard} says ${shards}: every shard of a run must run with the same --shard i/N.`);
    }
    if (run.startAt !== undefined && this.now() > run.startAt + STALE_AFTER_MS) {
      throw new RefusedError(410, `run ${runId} already started at ${new Date(run.startAt).toISOString()} (barrier clock): a run id is used once; give each run a new --run-id.`);
    }
    return run;
  }

  private release(run: Run): void {
    const t = this.now();
    const startAt = t + Math.max(this.opts.leadMs, run.leadMs);
    run.startAt = startAt;
    this.opts.onEvent?.({ type: 'release', runId: run.runId, shards: run.shards, startAt, now: t });
    for (const w of run.waiters) {
      clearTimeout(w.timer);
      this.answerStart(run, w.res, w.shard);
    }
    run.waiters.clear();
    // A shard that crashed after joining never collects; the barrier's job ends when the start passes anyway.
    run.collectTimer = setTimeout(() => this.finish(run), Math.max(0, startAt - t) + COLLECT_GRACE_MS);
  }

  private answerStart(run: Run, res: http.ServerResponse, shard: number): void {
    res.once('finish', () => {
      run.collected.add(shard);
      if (run.collected.size === run.shards) this.finish(run);
    });
    reply(res, 200, this.state(run));
  }

  private finish(run: Run): void {
    this.stopTimers(run);
    this.settle?.resolve({ runId: run.runId, shards: run.shards, startAt: run.startAt ?? 0, collected: sorted(run.collected) });
    this.settle = undefined;
  }

  private state(run: Run): JoinReply {
    const r: JoinReply = { released: run.startAt !== undefined, runId: run.runId, shards: run.shards, arrived: run.joined.size, joined: sorted(run.joined), now: this.now() };
    if (run.startAt !== undefined) r.startAt = run.startAt;
    return r;
  }

  stopTimers(run?: Run): void {
    if (this.timeoutTimer !== undefined) clearTimeout(this.timeoutTimer);
    for (const r of run === undefined ? this.runs.values() : [run]) {
      if (r.collectTimer !== undefined) clearTimeout(r.collectTimer);
      if (run === undefined) for (const w of r.waiters) clearTimeout(w.timer);
    }
  }
}

export async function startBarrierServer(opts: BarrierServerOptions): Promise<BarrierServer> {
  const barrier = new Barrier(opts);
  const server = http.createServer((req, res) => barrier.handle(req, res));
  server.listen(opts.port, opts.host);
  try {
    await once(server, 'listening');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new WsherdError('WSH_ERR_INVALID_INPUT', `The barrier cannot listen on ${opts.host}:${opts.port}: ${e.code ?? e.message}.`, {
      hint: e.code === 'EADDRINUSE' ? 'Another process holds that port: pick another --port (0 picks a free one).' : 'Check --host (an address of this host) and --port.',
    });
  }
  const port = (server.address() as AddressInfo).port;
  const url = httpUrl(opts.host, port, '');
  barrier.startTimeout(url);
  return {
    url,
    port,
    released: barrier.released,
    close: async () => {
      barrier.stopTimers();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}

function reply(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
  res.end(text);
}

const sorted = (set: ReadonlySet<number>): number[] => [...set].sort((a, b) => a - b);

function parseJoin(text: string): JoinRequest {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new RefusedError(400, 'the join body is not JSON: send {"runId": "…", "shard": 0, "shards": 4}.');
  }
  const b = (typeof v === 'object' && v !== null ? v : {}) as Record<string, unknown>;
  const { runId, shard, shards, leadMs, waitMs } = b;
  if (!validRunId(runId)) throw new RefusedError(400, 'runId must be 1-200 letters, digits or . _ : @ + = / -.');
  if (!Number.isInteger(shards) || (shards as number) < 1) throw new RefusedError(400, `shards must be a whole number ≥ 1 (run ${runId}).`);
  const n = shards as number;
  if (!Number.isInteger(shard) || (shard as number) < 0 || (shard as number) >= n) {
    throw new RefusedError(400, `shard must be a whole number from 0 to ${n - 1} (run ${runId}, got ${JSON.stringify(shard)}).`);
  }
  const out: JoinRequest = { runId, shard: shard as number, shards: n };
  if (typeof leadMs === 'number' && Number.isFinite(leadMs) && leadMs >= 0) out.leadMs = leadMs;
  if (typeof waitMs === 'number' && Number.isFinite(waitMs) && waitMs >= 0) out.waitMs = waitMs;
  return out;
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      text += chunk;
      if (text.length > MAX_BODY) {
        reject(new Error(`the join body is larger than ${MAX_BODY} bytes.`));
        req.destroy();
      }
    });
    req.on('end', () => resolve(text));
    req.on('error', reject);
  });
}

function serverTimeout(url: string, timeoutMs: number, runs: Run[]): WsherdError {
  const within = formatDuration(Math.round(timeoutMs));
  const hint = 'Check that every shard runs with --barrier pointing here (from a pod: this host\'s address or Service, and --host 0.0.0.0) and the same --run-id.';
  if (runs.length === 0) return new WsherdError('WSH_ERR_BARRIER_TIMEOUT', `barrier ${url}: no shard joined within ${within}.`, { hint });
  const each = runs.map((r) => `run ${r.runId}: ${r.joined.size} of ${r.shards} shards arrived (${shardList(sorted(r.joined))})`);
  return new WsherdError('WSH_ERR_BARRIER_TIMEOUT', `barrier ${url}: not every shard joined within ${within}; ${each.join('; ')}.`, { hint });
}
