/**
 * One proxy's figures for `npm run bench -- proxy` (issue 17, goal 6), each with a fresh client child:
 *   idle RSS      1 s after the proxy is ready, before its first connection;
 *   bytes/held    (RSS with `held` idle upgraded connections − idle RSS) / connections open, 1 s after the last
 *                 opened and after `settleS` more (the lowest sample: the verdict's; see heldBytes);
 *   closed loop   `connections` each sending its next message when the echo came back: echoes/s counted by the
 *                 client over the hold only (after a warm-up, never the ramp), with the proxy's CPU share over
 *                 the same window from /proc (≥ 90% of its core: saturated);
 *   fixed rate    `rate` msg/s in all over `rateConnections`, round trips of the hold only: p50/p99.
 */
import type { Target } from './proxy-client.js';
import { BenchClient, reading, sleep, startProxy, type ProxyKind } from './proxy-procs.js';

export interface BenchOptions {
  /** Closed-loop connections: enough that the proxy's core, not the client, is the bottleneck. */
  connections: number;
  payload: number;
  /** Hold of each timed window, s (the warm-up before it is not counted). */
  seconds: number;
  warmupMs: number;
  /** Fixed-rate load, messages/s in all, below saturation. */
  rate: number;
  rateConnections: number;
  held: number;
  /** Seconds the held connections stay open after the first reading, for the settled one. */
  settleS: number;
}

export interface Latency { p50: number; p99: number; count: number; errors: number; sent: number; echoes: number }
export interface ClosedLoop { echoesPerSec: number; cpuShare: number; echoesPerCpuSec: number; connections: number; errors: number }
export interface ProxyFigures { kind: ProxyKind; idleRss: number; heldOpen: number; heldFailed: number; bytesPerHeld: number; bytesPerHeldEarly: number; closed: ClosedLoop; latency: Latency }

/** Round trips at a fixed rate through `targets` (a proxy, or the backends for the direct path). */
export async function fixedRate(targets: Target[], o: BenchOptions): Promise<Latency> {
  const client = await BenchClient.start();
  try {
    const opened = await client.open(targets, o.rateConnections, o.payload);
    if (opened.open === 0) throw new Error(`no connection opened to ${JSON.stringify(targets[0])}`);
    await client.rate(o.rate);
    await sleep(o.warmupMs);
    await client.mark();
    await sleep(o.seconds * 1000);
    const m = await client.mark();
    return { p50: m.rtt.p50, p99: m.rtt.p99, count: m.rtt.count, errors: m.errors + opened.failed, sent: m.sent, echoes: m.echoes };
  } finally {
    await client.exit();
  }
}

/** Closed loop through `targets`; `pid`: the proxy whose CPU share is read (none for the direct path). */
export async function closedLoop(targets: Target[], pid: number | undefined, o: BenchOptions): Promise<ClosedLoop> {
  const client = await BenchClient.start();
  try {
    const opened = await client.open(targets, o.connections, o.payload);
    await client.closedLoop();
    await sleep(o.warmupMs);
    const m0 = await client.mark();
    const r0 = pid === undefined ? undefined : reading(pid);
    await sleep(o.seconds * 1000);
    const m1 = await client.mark();
    const r1 = pid === undefined ? undefined : reading(pid);
    const echoes = m1.echoes - m0.echoes;
    const cpu = r0 === undefined || r1 === undefined ? NaN : r1.cpu - r0.cpu;
    return {
      echoesPerSec: echoes / ((m1.at - m0.at) / 1000),
      cpuShare: r0 === undefined || r1 === undefined ? NaN : cpu / ((r1.at - r0.at) / 1000),
      echoesPerCpuSec: cpu > 0 ? echoes / cpu : NaN,
      connections: opened.open,
      errors: m1.errors + opened.failed,
    };
  } finally {
    await client.exit();
  }
}

async function heldBytes(target: Target, pid: number, o: BenchOptions): Promise<{ idleRss: number; open: number; failed: number; perConn: number; perConnEarly: number }> {
  const idleRss = reading(pid).rss;
  const client = await BenchClient.start();
  try {
    const opened = await client.open([target], o.held, o.payload);
    // Let the last upgrades finish relaying before the first reading.
    await sleep(1000);
    const early = reading(pid).rss;
    // A garbage-collected proxy still holds the handshakes' garbage at first: V8's memory reducer collects it some
    // 8-12 s after allocation stops (measured: Node's L4 proxy 6.2 kB per connection at 1 s, 3.9 kB at 15 s). The
    // verdict takes the reading after `settleS`, the lowest of the samples (HAProxy's is flat); both are printed.
    let settled = early;
    for (let t = 0; t < o.settleS; t++) {
      await sleep(1000);
      settled = Math.min(settled, reading(pid).rss);
    }
    const per = (rss: number): number => (opened.open > 0 ? (rss - idleRss) / opened.open : NaN);
    return { idleRss, open: opened.open, failed: opened.failed, perConn: per(settled), perConnEarly: per(early) };
  } finally {
    await client.exit();
  }
}

/** A fresh proxy of `kind` in front of `backends`: idle, held, closed loop, fixed rate, in that order. */
export async function measureProxy(kind: ProxyKind, backends: Target[], o: BenchOptions): Promise<ProxyFigures> {
  const p = await startProxy(kind, backends);
  try {
    await sleep(1000);
    const held = await heldBytes(p.target, p.pid, o);
    // The held connections' closes reach the backends before the next load.
    await sleep(500);
    const closed = await closedLoop([p.target], p.pid, o);
    const latency = await fixedRate([p.target], o);
    return { kind, idleRss: held.idleRss, heldOpen: held.open, heldFailed: held.failed, bytesPerHeld: held.perConn, bytesPerHeldEarly: held.perConnEarly, closed, latency };
  } finally {
    await p.stop();
  }
}
