/**
 * One measurement of one client against a fresh bench server (generator-server.ts): the server is the oracle for
 * when the first connection arrived, when N were open and how many frames it echoed; /proc (generator-proc.ts) is
 * the oracle for the client tree's RSS and CPU.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { launch, type ClientEnv, type ClientKind, type ClientResult, type TestSpec } from './generator-clients.js';
import { nowMs, TreeSampler } from './generator-proc.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));

interface ServerStats { open: number; opened: number; echoes: number; t: number }

class BenchServer {
  port = 0;
  first: Promise<number>;
  reached: Promise<number>;
  private statsWaiters: ((s: ServerStats) => void)[] = [];

  constructor(readonly child: ChildProcess) {
    let onFirst: (t: number) => void = () => {};
    let onReached: (t: number) => void = () => {};
    this.first = new Promise((r) => (onFirst = r));
    this.reached = new Promise((r) => (onReached = r));
    child.on('message', (m: { ev: string; t: number } & ServerStats) => {
      if (m.ev === 'first') onFirst(m.t);
      else if (m.ev === 'reached') onReached(m.t);
      else if (m.ev === 'stats') this.statsWaiters.shift()?.(m);
    });
  }

  static async start(engine: 'ws' | 'socketio', target: number): Promise<BenchServer> {
    const child = fork(path.join(HERE, 'generator-server.js'), [], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'], env: { ...process.env, GEN_MODE: engine, GEN_TARGET: String(target) } });
    const s = new BenchServer(child);
    const [m] = (await once(child, 'message')) as [{ port: number }];
    s.port = m.port;
    return s;
  }

  stats(): Promise<ServerStats> {
    return new Promise((r) => {
      this.statsWaiters.push(r);
      this.child.send({ cmd: 'stats' });
    });
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const gone = once(this.child, 'exit');
    this.child.disconnect();
    await gone;
  }
}

/** Resolves with the promise's value, or undefined after `ms` or once `or` settles (the client exited early). */
async function within<T>(p: Promise<T>, ms: number, or?: Promise<unknown>): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const r = await Promise.race([p, new Promise<undefined>((res) => (timer = setTimeout(() => res(undefined), ms))), ...(or ? [or.then(() => undefined)] : [])]);
  clearTimeout(timer);
  return r;
}

export interface HoldFigures {
  conns: number;
  /** Open at the server when the held sample was taken. */
  open: number;
  bytesPerHeld: number;
  totalRssPerConn: number;
  baseRssBytes: number;
  heldRssBytes: number;
  processes: number;
  /** N / (server: first TCP accept → N open), null when N never were. */
  openPerSec: number | null;
  cpuSeconds: number;
  note?: string;
}

export interface Timing { settleMs: number; openTimeoutMs: number; warmMs: number }

/** Open `t.conns` and hold them: bytes per held connection, open rate, CPU to open and hold. */
export async function measureHold(kind: ClientKind, t: Omit<TestSpec, 'port' | 'mode'>, env: ClientEnv, name: string, tm: Timing): Promise<HoldFigures> {
  const server = await BenchServer.start(t.engine, t.conns);
  const client = launch(kind, { ...t, port: server.port, mode: 'hold' }, env, name);
  const sampler = new TreeSampler(client.pid, 100);
  try {
    const first = await within(server.first, tm.openTimeoutMs, client.exited);
    if (first === undefined) throw new Error(`${kind} made no connection within ${tm.openTimeoutMs} ms: ${client.output().trim().slice(-400)}`);
    const start = await allOpenOrSettled(server, client.exited, tm);
    const reached = start.all ? start.t : undefined;
    await sleep(tm.settleMs);
    const held = sampler.now();
    const base = sampler.before(first);
    const { open } = await server.stats();
    return {
      // Per connection the server counts open (N, unless some never opened: the note says so).
      conns: t.conns, open, bytesPerHeld: (held.rssBytes - base.rssBytes) / Math.max(1, open), totalRssPerConn: held.rssBytes / Math.max(1, open),
      baseRssBytes: base.rssBytes, heldRssBytes: held.rssBytes, processes: held.pids,
      openPerSec: reached === undefined ? null : t.conns / ((reached - first) / 1000), cpuSeconds: (held.cpuMs - base.cpuMs) / 1000,
      ...(reached === undefined ? { note: `only ${open} of ${t.conns} open (${start.opened} opened; the count had stopped rising or ${tm.openTimeoutMs} ms passed): no open rate` } : {}),
    };
  } finally {
    sampler.stop();
    await client.kill();
    await server.stop();
  }
}

export interface LoadFigures {
  conns: number;
  /** Server echoes per second over the window (all open, after warm-up). */
  echoesPerSec: number;
  /** Client tree CPU-s per 1,000 server echoes over the same window. */
  cpuSecondsPer1k: number;
  client: ClientResult;
  windowSeconds: number;
  note?: string;
}

/**
 * When the load starts: the server's "all N open", or — when a client gave some attempts up (a saturated wsherd
 * cancels what it could not start in time, and never retries) — once the count of connections opened has not moved
 * for STILL_MS: long, because a generator on a busy 2-core host can stall for seconds mid-ramp and then go on.
 */
const STILL_MS = 10_000;

async function allOpenOrSettled(server: BenchServer, exited: Promise<unknown>, tm: Timing): Promise<{ t: number; open: number; opened: number; all: boolean }> {
  let done: { t: number; all: boolean } | undefined;
  void server.reached.then((t) => (done ??= { t, all: true }));
  void exited.then(() => (done ??= { t: nowMs(), all: false }));
  const deadline = nowMs() + tm.openTimeoutMs;
  let last = -1;
  let since = nowMs();
  while (nowMs() < deadline) {
    await sleep(250);
    const s = await server.stats();
    if (done !== undefined) return { t: done.t, open: s.open, opened: s.opened, all: done.all };
    if (s.opened !== last) {
      last = s.opened;
      since = nowMs();
    } else if (s.open > 0 && nowMs() - since >= STILL_MS) return { t: nowMs(), open: s.open, opened: s.opened, all: false };
  }
  const s = await server.stats();
  return { t: nowMs(), open: s.open, opened: s.opened, all: false };
}

/** `rate` (fixed rate, latency) or `echo` (closed loop): CPU per 1k messages and the server's echo rate. */
export async function measureLoad(kind: ClientKind, mode: 'rate' | 'echo', t: Omit<TestSpec, 'port' | 'mode'>, env: ClientEnv, name: string, tm: Timing): Promise<LoadFigures> {
  const server = await BenchServer.start(t.engine, t.conns);
  const client = launch(kind, { ...t, port: server.port, mode }, env, name);
  const sampler = new TreeSampler(client.pid, 250);
  try {
    const start = await allOpenOrSettled(server, client.exited, tm);
    if (start.open === 0 || client.child.exitCode !== null) {
      throw new Error(`${kind}: never ${t.conns} open at once (${start.opened} opened, ${start.open} open when it ${client.child.exitCode === null ? `had not after ${tm.openTimeoutMs} ms` : `exited, code ${client.child.exitCode}`}): ${client.output().trim().slice(-300)}`);
    }
    const reached = start.t;
    await sleep(tm.warmMs);
    // The window ends half a second before the client's own load should (its timer starts at its own "all open").
    const windowMs = Math.max(500, t.seconds * 1000 - tm.warmMs - 500);
    const c0 = sampler.now();
    const s0 = await server.stats();
    await sleep(windowMs);
    const c1 = sampler.now();
    const s1 = await server.stats();
    const echoes = s1.echoes - s0.echoes;
    const windowSeconds = (s1.t - s0.t) / 1000;
    // The floor and the anchor stop by themselves --seconds after all were open; wsherd is interrupted then.
    await sleep(Math.max(0, reached + t.seconds * 1000 - nowMs()));
    if (kind === 'wsherd') client.interrupt();
    const result = await within(client.result(), 30_000);
    return {
      conns: t.conns, echoesPerSec: echoes / windowSeconds, cpuSecondsPer1k: echoes === 0 ? NaN : (c1.cpuMs - c0.cpuMs) / 1000 / (echoes / 1000), windowSeconds,
      client: result ?? { p50: null, p99: null, sent: null, received: null, code: null, note: 'did not end in time' },
      ...(!start.all ? { note: `only ${start.open} of ${t.conns} open at once (the count had stopped rising): measured with those` } : {}),
    };
  } finally {
    sampler.stop();
    await client.kill();
    await server.stop();
  }
}
