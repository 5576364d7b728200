/**
 * The reference proxy against HAProxy (Debian's 2.6), side by side in one run, on the same backends and the
 * same load, reporting ratios rather than absolute figures (the machine is shared: only ratios measured in
 * the same run mean anything).
 *
 *   npm run bench -- proxy            (options: --clients 200 --rate 50 --seconds 10 --held 5000)
 *
 * 1. Throughput and added latency: the same echo load directly to a backend, through wsherd's proxy and
 *    through HAProxy; messages/s received, rtt p50/p99 over the direct path, and each proxy's CPU time per
 *    message (whose inverse ratio is the ratio of throughputs at saturation).
 * 2. Memory per held connection: `--held` idle connections through each proxy; (RSS held − RSS idle) / held.
 * Both proxies get one core: HAProxy runs with nbthread 1 and each is pinned with taskset to the same CPU.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startLab } from '../src/lab/start.js';
import { runLoad } from '../src/load/coordinator.js';
import { rssBytes } from '../src/probes/proc.js';
import type { Scenario } from '../src/scenario/types.js';
import type { Lab } from '../src/lab/types.js';
import { freePort, waitListening } from '../test/helpers/free-port.js';

interface Options { clients: number; rate: number; seconds: number; held: number }

const BEHAVIOR = { payloadBytes: 64, close: 'client', connectTimeoutMs: 5000, handshakeTimeoutMs: 5000, messageTimeoutMs: 5000 } as const;

function scenario(url: string, clients: number, rate: number, holdMs: number): Scenario {
  return {
    name: 'bench', target: { url }, clients, thresholds: [], workers: 2,
    phases: [{ kind: 'ramp_up', durationMs: 2000, to: clients }, { kind: 'hold', durationMs: holdMs, to: clients }, { kind: 'ramp_down', durationMs: 500, to: 0 }],
    behavior: { ...BEHAVIOR, messagesPerSecond: rate },
  };
}


async function startHaproxy(lab: Lab, dir: string): Promise<{ url: string; pid: number; child: ChildProcess }> {
  const port = await freePort();
  const servers = lab.components.filter((c) => c.kind === 'backend').map((c) => `  server ${c.id} ${c.host}:${c.port}`);
  const cfg = ['global', '  maxconn 9000' /* 2 fds each: stays under the 20,000 fd limit */, '  nbthread 1', 'defaults', '  mode tcp', '  timeout connect 5s',
    '  timeout client 1h', '  timeout server 1h', 'frontend f', `  bind 127.0.0.1:${port}`, '  default_backend b',
    'backend b', '  balance roundrobin', ...servers, ''].join('\n');
  const file = path.join(dir, 'haproxy.cfg');
  writeFileSync(file, cfg);
  const child = spawn('taskset', ['-c', '1', 'haproxy', '-db', '-f', file], { stdio: ['ignore', 'ignore', 'inherit'] });
  await waitListening(port);
  return { url: `ws://127.0.0.1:${port}/`, pid: child.pid ?? -1, child };
}

/** CPU time (user + system) a process has used, ms; -1 when it cannot be read. */
function cpuMs(pid: number | undefined): number {
  if (pid === undefined) return -1;
  try {
    // Fields after the `(comm)`: utime and stime are the 12th and 13th, in clock ticks (100 per second on Linux).
    const after = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return (Number(after[11]) + Number(after[12])) * 10;
  } catch {
    return -1;
  }
}

/**
 * Runs the echo load through `url`. `pid`: the proxy whose CPU time is charged to it — on a 2-core host the
 * generator cannot outrun a proxy, so CPU per message (not messages per second) is what says which proxy would
 * carry more at saturation.
 */
async function measure(url: string, o: Options, pid?: number) {
  const cpu0 = cpuMs(pid);
  const out = await runLoad({ urls: [url], scenario: scenario(url, o.clients, o.rate, o.seconds * 1000), insecure: false });
  const cpu = pid === undefined ? -1 : cpuMs(pid) - cpu0;
  const t = out.aggregator.totals();
  const rtt = out.aggregator.latency().rtt;
  const errors = t.failed + t.dropped;
  const relayed = t.messagesSent + t.messagesReceived;
  return { msgsPerSec: t.messagesReceived / (o.seconds + 2.5), p50: rtt.p50, p99: rtt.p99, errors, lost: t.messagesLost, cpuPer10k: cpu < 0 || relayed === 0 ? NaN : (cpu / relayed) * 10_000 };
}

async function heldRss(url: string, pid: number, held: number): Promise<{ perConn: number; errors: number }> {
  const before = rssBytes(pid);
  let peak = before;
  const timer = setInterval(() => { peak = Math.max(peak, rssBytes(pid)); }, 200);
  const sc: Scenario = { ...scenario(url, held, 0, 4000), phases: [{ kind: 'ramp_up', durationMs: 5000, to: held }, { kind: 'hold', durationMs: 4000, to: held }, { kind: 'ramp_down', durationMs: 1000, to: 0 }] };
  const out = await runLoad({ urls: [url], scenario: sc, insecure: false });
  clearInterval(timer);
  const t = out.aggregator.totals();
  return { perConn: (peak - before) / held, errors: t.failed + t.dropped };
}

export async function benchProxy(argv: string[]): Promise<string> {
  const arg = (name: string, def: number): number => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? Number(argv[i + 1]) : def;
  };
  const o: Options = { clients: arg('clients', 200), rate: arg('rate', 50), seconds: arg('seconds', 10), held: arg('held', 5000) };
  const dir = mkdtempSync(path.join(tmpdir(), 'wsherd-bench-'));
  const lab = await startLab({ backends: { count: 4, kind: 'ws', host: '127.0.0.1' }, proxy: { strategy: 'round-robin', mode: 'l4', host: '127.0.0.1' } });
  const proxy = lab.components.find((c) => c.kind === 'proxy');
  const backend = lab.components.find((c) => c.kind === 'backend');
  let haproxy: Awaited<ReturnType<typeof startHaproxy>> | undefined;
  try {
    if (!proxy || !backend) throw new Error('lab without proxy or backend');
    spawn('taskset', ['-pc', '1', String(proxy.pid)], { stdio: 'ignore' });
    haproxy = await startHaproxy(lab, dir);
    const lines: string[] = [`load: ${o.clients} clients × ${o.rate} msg/s for ${o.seconds} s; held: ${o.held} idle connections`];
    const direct = await measure(backend.url, o);
    const ours = await measure(lab.entryUrl, o, proxy.pid);
    const theirs = await measure(haproxy.url, o, haproxy.pid);
    const row = (name: string, r: typeof direct): string =>
      `${name.padEnd(10)} ${r.msgsPerSec.toFixed(0).padStart(8)} msg/s  p50 ${r.p50.toFixed(2)} ms  p99 ${r.p99.toFixed(2)} ms  errors ${r.errors}  lost ${r.lost}` +
      (Number.isNaN(r.cpuPer10k) ? '' : `  proxy CPU ${r.cpuPer10k.toFixed(1)} ms per 10k messages relayed`);
    lines.push(row('direct', direct), row('wsherd', ours), row('haproxy', theirs));
    // At saturation a one-core proxy relays about 1 s of CPU / (CPU per message): the ratio of CPU per message is
    // the ratio of saturated throughputs, measurable even when this host's generator cannot saturate either.
    lines.push(`saturated throughput wsherd/haproxy (inverse CPU per message): ${(theirs.cpuPer10k / ours.cpuPer10k).toFixed(2)} (goal ≥ 0.5)`);
    const added = (r: typeof direct, p: 'p50' | 'p99'): number => Math.max(0.001, r[p] - direct[p]);
    lines.push(`measured throughput wsherd/haproxy: ${(ours.msgsPerSec / theirs.msgsPerSec).toFixed(2)} (equal when the offered load does not saturate either)`);
    lines.push(`added p50 wsherd/haproxy: ${(added(ours, 'p50') / added(theirs, 'p50')).toFixed(2)}; added p99: ${(added(ours, 'p99') / added(theirs, 'p99')).toFixed(2)} (goal ≤ 2)`);
    const memOurs = await heldRss(lab.entryUrl, proxy.pid, o.held);
    const memTheirs = await heldRss(haproxy.url, haproxy.pid, o.held);
    lines.push(`RSS per held connection: wsherd ${(memOurs.perConn / 1024).toFixed(1)} KiB (errors ${memOurs.errors}), haproxy ${(memTheirs.perConn / 1024).toFixed(1)} KiB (errors ${memTheirs.errors}); ratio ${(memOurs.perConn / memTheirs.perConn).toFixed(2)} (goal ≤ 2)`);
    return lines.join('\n');
  } finally {
    haproxy?.child.kill('SIGTERM');
    await lab.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
