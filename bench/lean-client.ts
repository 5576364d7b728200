/**
 * `npm run bench -- lean [--n 10000] [--conns 1000] [--rate 40] [--seconds 10] [--tick 10] [--kinds lean,library,floor] [--semi MB] [--json F]`
 *
 * The ws engine's lean client against the `ws` library's client (behavior.ws_client: library) and the floor (a plain
 * `ws` client of a few lines), each in a fresh generator process (bench/lean-child.ts) against one plain `ws` echo
 * server in its own child process, one kind after the other in the same run:
 *  - hold: open --n connections (at most 256 handshakes in flight, for every kind alike) and hold them. Bytes per held
 *    connection = (RSS of the generator process with N open − its RSS before the first) / N, from /proc, after a GC;
 *    open rate = N / the time to open them all; generator CPU-s to open them (/proc utime + stime);
 *  - rate: --conns connections each sending --rate msg/s (64 B) for --seconds; round-trip p50/p99 and CPU-s per 1k.
 * Ratios are against the floor measured in the same run (the issue's method); absolute figures move with the box.
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));
const CHILD = path.join(here, 'lean-child.js');
const PAGE = 4096;
const TICKS = 100; // USER_HZ

const SERVER = `
import { WebSocketServer } from 'ws';
const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false, backlog: 4096 });
wss.on('connection', (ws) => ws.on('message', (d, b) => ws.send(d, { binary: b })));
wss.on('listening', () => process.stdout.write(String(wss.address().port) + '\\n'));
`;

function rssBytes(pid: number): number {
  const statm = readFileSync(`/proc/${pid}/statm`, 'utf8').split(' ');
  return Number(statm[1]) * PAGE;
}

function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / TICKS;
}

function opt(argv: string[], name: string, fallback: string): string {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] !== undefined ? (argv[i + 1] as string) : fallback;
}

async function startServer(): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ['--input-type=module', '-e', SERVER], { cwd: path.resolve(here, '..', '..'), stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<string>((resolve, reject) => {
    child.stdout?.once('data', (d: Buffer) => resolve(d.toString().trim()));
    child.once('exit', (code) => reject(new Error(`the echo server exited (${code})`)));
  });
  return { url: `ws://127.0.0.1:${port}/`, child };
}

interface Msg { phase: string; [k: string]: unknown }

function next(child: ChildProcess): Promise<Msg> {
  return new Promise((resolve, reject) => {
    const onExit = (code: number | null): void => reject(new Error(`generator exited (${code})`));
    child.once('exit', onExit);
    child.once('message', (m: Msg) => {
      child.off('exit', onExit);
      resolve(m);
    });
  });
}

export interface HoldFigures { kind: string; n: number; bytesPerConn: number; heapPerConn: number; openPerS: number; cpuOpenS: number; failed: number }
export interface RateFigures { kind: string; conns: number; rate: number; count: number; p50: number; p90: number; p99: number; max: number; cpuPer1k: number }

async function hold(kind: string, url: string, n: number, v8: string[]): Promise<HoldFigures> {
  const child = fork(CHILD, [kind, url, String(n), 'hold'], { execArgv: ['--expose-gc', ...v8] });
  try {
    const base = await next(child);
    const pid = child.pid as number;
    const rss0 = rssBytes(pid);
    const cpu0 = cpuSeconds(pid);
    child.send('go');
    const open = await next(child);
    const rss1 = rssBytes(pid);
    const cpu1 = cpuSeconds(pid);
    return {
      kind, n,
      bytesPerConn: Math.round((rss1 - rss0) / n),
      heapPerConn: Math.round(((open['heapUsed'] as number) - (base['heapUsed'] as number)) / n),
      openPerS: Math.round(n / ((open['openMs'] as number) / 1000)),
      cpuOpenS: Number((cpu1 - cpu0).toFixed(2)),
      failed: open['failed'] as number,
    };
  } finally {
    child.kill();
  }
}

async function rateRun(kind: string, url: string, conns: number, rate: number, seconds: number, tickMs: number): Promise<RateFigures> {
  const child = fork(CHILD, [kind, url, String(conns), 'rate', String(rate), String(seconds), String(tickMs)], { execArgv: ['--expose-gc'] });
  try {
    await next(child);
    child.send('go');
    await next(child);
    const r = await next(child);
    const count = r['count'] as number;
    return {
      kind, conns, rate, count,
      p50: Number((r['p50'] as number).toFixed(2)), p90: Number((r['p90'] as number).toFixed(2)), p99: Number((r['p99'] as number).toFixed(2)),
      max: Number((r['max'] as number).toFixed(1)),
      cpuPer1k: Number((((r['cpuS'] as number) / count) * 1000).toFixed(4)),
    };
  } finally {
    child.kill();
  }
}

export async function benchLean(argv: string[]): Promise<string> {
  const n = Number(opt(argv, 'n', '10000'));
  const conns = Number(opt(argv, 'conns', '1000'));
  const rate = Number(opt(argv, 'rate', '40'));
  const seconds = Number(opt(argv, 'seconds', '10'));
  const kinds = opt(argv, 'kinds', 'lean,library,floor').split(',');
  const json = opt(argv, 'json', '');
  const tickMs = Number(opt(argv, 'tick', '10'));
  // --semi N: V8's young generation capped at N MB (--max-semi-space-size), to see the connections without its growth.
  const semi = opt(argv, 'semi', '');
  const v8 = semi === '' ? [] : [`--max-semi-space-size=${semi}`];
  const holds: HoldFigures[] = [];
  const rates: RateFigures[] = [];
  for (const kind of kinds) {
    // A fresh server per kind: what one kind left behind (TIME_WAIT, a grown heap) does not weigh on the next.
    const s = await startServer();
    try {
      if (n > 0) holds.push(await hold(kind, s.url, n, v8));
      if (conns > 0) rates.push(await rateRun(kind, s.url, conns, rate, seconds, tickMs));
    } finally {
      s.child.kill();
    }
  }
  const floorHold = holds.find((h) => h.kind === 'floor');
  const floorRate = rates.find((r) => r.kind === 'floor');
  const ratio = (a: number, b: number | undefined): string => (b === undefined || b === 0 ? '' : ` (${(a / b).toFixed(2)}× floor)`);
  const lines = [`hold: ${n} connections per kind, generator process RSS from /proc after a GC${semi === '' ? '' : `, --max-semi-space-size=${semi}`}`];
  for (const h of holds) {
    lines.push(`  ${h.kind.padEnd(8)} ${String(h.bytesPerConn).padStart(6)} B/conn${ratio(h.bytesPerConn, floorHold?.bytesPerConn)}  of it JS heap ${h.heapPerConn}  open ${h.openPerS}/s${ratio(h.openPerS, floorHold?.openPerS)}  CPU ${h.cpuOpenS} s${ratio(h.cpuOpenS, floorHold?.cpuOpenS)}  failed ${h.failed}`);
  }
  lines.push(`rate: ${conns} connections × ${rate} msg/s for ${seconds} s (the first second not measured), wheel tick ${tickMs} ms`);
  for (const r of rates) {
    lines.push(`  ${r.kind.padEnd(8)} rtt p50 ${r.p50} p90 ${r.p90} p99 ${r.p99} max ${r.max} ms${ratio(r.p99, floorRate?.p99)} (p99)  ${r.count} answers  CPU ${r.cpuPer1k} s per 1k${ratio(r.cpuPer1k, floorRate?.cpuPer1k)}`);
  }
  if (json !== '') writeFileSync(json, `${JSON.stringify({ n, conns, rate, seconds, holds, rates }, null, 2)}\n`);
  return lines.join('\n');
}
