/**
 * What one idle WebSocket connection costs each balancer wsherd plans for: wsherd's reference proxy (L4), HAProxy
 * (Debian 2.6, mode http as a WebSocket deployment runs it: upgrade, then tunnel) and nginx (Debian 1.22, one
 * worker), each in front of the same reference ws backends. The figures behind `wsherd plan --balancer-kind`
 * (src/plan/reference-costs.ts).
 *
 *   npm run bench -- costs            (options: --sizes 2000,5000 (each ≥ 1000) --rate 1000 --hold 3 --message-clients 1000; 0 skips messages)
 *
 * For each balancer and each size N, a fresh balancer process; then N idle connections opened by wsherd's load
 * engine (its worker processes, never the measured process) at --rate per second and held. Read from /proc for
 * the balancer's whole process tree (nginx: master + worker; RSS summed, so pages they share count twice in the
 * idle figure, not in the per-connection growth):
 *   idle RSS and fds    before the first connection;
 *   bytes/conn          (RSS at hold − idle) / connections the backends report open;
 *   fds/conn            (fds at hold − idle) / the same count;
 *   CPU per 100 new     utime+stime from before the ramp to the hold, per 100 connections opened (idle holds
 *                       cost ~nothing, so this is the ramp's cost: accept, upstream connect, upgrade relay);
 *   CPU per 1,000 msg/s then, each balancer fresh again: --message-clients (1,000) × 2 messages/s of 256 B and
 *                       their echoes, utime+stime over 4 s of the hold / (messages/s both ways / 1,000).
 * Loopback only; about 90 s on a 2-core VM.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import os from 'node:os';
import path from 'node:path';
import { startLab } from '../src/lab/start.js';
import { getJson } from '../src/lab/http-json.js';
import type { Lab } from '../src/lab/types.js';
import { runLoad } from '../src/load/coordinator.js';
import { cpuSeconds, openFds, rssBytes } from '../src/probes/proc.js';
import type { Scenario } from '../src/scenario/types.js';
import { freePort, waitListening } from '../test/helpers/free-port.js';
import type { BackendStats } from '../src/results/lab-types.js';

export const KINDS = ['wsherd', 'haproxy', 'nginx'] as const;
const MIN_SIZE = 1000;
type Kind = (typeof KINDS)[number];

interface Running { pid: number; url: string; stop(): Promise<void> }

interface Sample { idleRss: number; idleFds: number; holdRss: number; holdFds: number; cpu: number; open: number; errors: number }


/** The process and its descendants (nginx's worker), through /proc/<pid>/task/<tid>/children. */
function tree(pid: number): number[] {
  const out = [pid];
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const text = readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim();
      if (text !== '') for (const c of text.split(/\s+/)) out.push(...tree(Number(c)));
    }
  } catch { /* exited */ }
  return out;
}

const sumTree = (pid: number, f: (p: number) => number): number => tree(pid).reduce((a, p) => a + Math.max(0, f(p)), 0);

// HAProxy as test/interop/haproxy-roundrobin.cfg runs it, with room for 5,000+ tunnels (2 fds each).
const HAPROXY_CFG = (listen: string, servers: string[]): string => [
  'global', '  maxconn 9000', '  nbthread 1',
  'defaults', '  mode http', '  option http-server-close', '  timeout connect 5s', '  timeout client 60s', '  timeout server 60s', '  timeout tunnel 1h',
  'frontend ws', `  bind ${listen}`, '  default_backend ws_servers',
  'backend ws_servers', '  balance roundrobin', ...servers.map((s, i) => `  server b${i + 1} ${s}`), ''].join('\n');

// nginx as test/interop/nginx-roundrobin.conf runs it, but with its master process and one worker.
const NGINX_CONF = (prefix: string, listen: string, servers: string[]): string => `daemon off;
master_process on;
worker_processes 1;
worker_rlimit_nofile 19000;
pid ${prefix}/nginx.pid;
error_log stderr warn;
events { worker_connections 18000; }
http {
  access_log off;
  client_body_temp_path ${prefix}/body;
  proxy_temp_path ${prefix}/proxy;
  fastcgi_temp_path ${prefix}/fastcgi;
  uwsgi_temp_path ${prefix}/uwsgi;
  scgi_temp_path ${prefix}/scgi;
  map $http_upgrade $connection_upgrade { default upgrade; '' close; }
  upstream ws_servers {
${servers.map((s) => `    server ${s};`).join('\n')}
  }
  server {
    listen ${listen};
    location / {
      proxy_pass http://ws_servers;
      proxy_http_version 1.1;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection $connection_upgrade;
      proxy_set_header Host $host;
      proxy_read_timeout 1h;
    }
  }
}
`;

async function startExternal(kind: 'haproxy' | 'nginx', servers: string[]): Promise<Running> {
  const port = await freePort();
  const dir = mkdtempSync(path.join(tmpdir(), `wsherd-costs-${kind}-`));
  const listen = `127.0.0.1:${port}`;
  const file = path.join(dir, `${kind}.conf`);
  writeFileSync(file, kind === 'haproxy' ? HAPROXY_CFG(listen, servers) : NGINX_CONF(dir, listen, servers));
  const args = kind === 'haproxy' ? ['-db', '-f', file] : ['-p', dir, '-c', file, '-e', 'stderr'];
  const child = spawn(`/usr/sbin/${kind}`, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr?.on('data', (c: Buffer) => (err = (err + c.toString()).slice(-2000)));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitListening(port, child, () => err);
  } catch (e) {
    await stop();
    throw e;
  }
  // nginx's worker is forked after the master listens: let it start before the idle reading.
  await new Promise((r) => setTimeout(r, 500));
  return { pid: child.pid ?? -1, url: `ws://${listen}/`, stop };
}

function loadScenario(url: string, n: number, rate: number, holdS: number, mps = 0): Scenario {
  return {
    name: 'balancer-costs', target: { url }, clients: n, thresholds: [], workers: 2,
    phases: [{ kind: 'ramp_up', durationMs: Math.ceil((n / rate) * 1000), to: n }, { kind: 'hold', durationMs: holdS * 1000, to: n }, { kind: 'ramp_down', durationMs: 500, to: 0 }],
    behavior: { payloadBytes: mps > 0 ? 256 : 64, close: 'client', connectTimeoutMs: 5000, handshakeTimeoutMs: 5000, messageTimeoutMs: 5000, messagesPerSecond: mps },
  };
}

/**
 * CPU per 1,000 messages/s (both directions counted, as the plan counts them): `clients` each sending `mps`
 * messages of 256 B a second and reading the echo, CPU read over `windowS` seconds of the hold.
 */
async function messageCpu(b: Running, lab: Lab, clients: number, mps: number, windowS: number): Promise<{ cpuPer1000: number; lost: number; errors: number }> {
  let start: { cpu: number; at: number } | undefined;
  let result: number | undefined;
  let reached = 0;
  let polling = false;
  const timer = setInterval(() => {
    if (polling || result !== undefined) return;
    if (start !== undefined) {
      if (Date.now() - start.at >= windowS * 1000) {
        const dt = (Date.now() - start.at) / 1000;
        result = (cpuSeconds(b.pid) - start.cpu) / dt / ((clients * mps * 2) / 1000);
      }
      return;
    }
    polling = true;
    openAtBackends(lab).then((open) => {
      reached = open >= 0.99 * clients ? reached + 1 : 0;
      if (reached >= 4) start = { cpu: cpuSeconds(b.pid), at: Date.now() };
    }).catch(() => undefined).finally(() => { polling = false; });
  }, 250);
  const out = await runLoad({ urls: [b.url], scenario: loadScenario(b.url, clients, 1000, windowS + 3, mps), insecure: false }).finally(() => clearInterval(timer));
  const t = out.aggregator.totals();
  if (result === undefined) throw new Error(`no CPU window (failed ${t.failed}, dropped ${t.dropped})`);
  return { cpuPer1000: result, lost: t.messagesLost, errors: t.failed + t.dropped };
}

async function openAtBackends(lab: Lab): Promise<number> {
  const stats = await Promise.all(lab.components.filter((c) => c.kind === 'backend').map((c) => getJson<BackendStats>(c.adminUrl)));
  return stats.reduce((a, s) => a + s.sessionsOpen, 0);
}

/** One size through one balancer: idle, then the ramp, then readings once the backends hold all N. */
async function measure(b: Running, lab: Lab, n: number, rate: number, holdS: number): Promise<Sample> {
  const idleRss = sumTree(b.pid, rssBytes);
  const idleFds = sumTree(b.pid, openFds);
  const cpu0 = cpuSeconds(b.pid);
  let hold: Omit<Sample, 'idleRss' | 'idleFds' | 'errors'> | undefined;
  let polling = false;
  let reached = 0;
  // Read a second into the hold: once the backends report ≥ 99% of N open on four polls 250 ms apart (the last
  // openings and their upgrades done), not on a guess of when the ramp ends.
  const timer = setInterval(() => {
    if (polling || hold !== undefined) return;
    polling = true;
    openAtBackends(lab).then((open) => {
      reached = open >= 0.99 * n ? reached + 1 : 0;
      if (reached >= 4) hold = { holdRss: sumTree(b.pid, rssBytes), holdFds: sumTree(b.pid, openFds), cpu: cpuSeconds(b.pid) - cpu0, open };
    }).catch(() => undefined).finally(() => { polling = false; });
  }, 250);
  const out = await runLoad({ urls: [b.url], scenario: loadScenario(b.url, n, rate, holdS), insecure: false }).finally(() => clearInterval(timer));
  const t = out.aggregator.totals();
  if (hold === undefined) throw new Error(`the backends never held ${n} connections (failed ${t.failed}, dropped ${t.dropped})`);
  return { idleRss, idleFds, ...hold, errors: t.failed + t.dropped };
}

async function startBalancer(kind: Kind, lab: Lab): Promise<Running> {
  const servers = lab.components.filter((c) => c.kind === 'backend').map((c) => `${c.host}:${c.port}`);
  if (kind !== 'wsherd') return startExternal(kind, servers);
  const proxy = lab.components.find((c) => c.kind === 'proxy');
  if (!proxy) throw new Error('lab without proxy');
  return { pid: proxy.pid, url: lab.entryUrl, stop: async () => undefined };
}

function version(kind: Kind): string {
  if (kind === 'wsherd') return `wsherd proxy (L4) on Node ${process.version}`;
  const r = spawnSync(`/usr/sbin/${kind}`, ['-v'], { encoding: 'utf8' });
  const text = `${r.stdout}${r.stderr}`;
  return (kind === 'haproxy' ? /HAProxy version \S+/ : /nginx\/\S+/).exec(text)?.[0] ?? `${kind} (version unknown)`;
}

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
const sd = (xs: number[]): number => (xs.length < 2 ? 0 : Math.sqrt(xs.reduce((a, b) => a + (b - mean(xs)) ** 2, 0) / (xs.length - 1)));


/**
 * Runs `fn` against each balancer in turn, fresh, in front of `lab`; a balancer that fails is a line in the output,
 * not the end of the bench. Waits for the backends to see every close before the next one counts their sessions.
 */
async function eachBalancer(lab: Lab, lines: string[], what: string, fn: (kind: Kind, b: Running) => Promise<void>): Promise<void> {
  for (const kind of KINDS) {
    let b: Running | undefined;
    try {
      b = await startBalancer(kind, lab);
      await fn(kind, b);
    } catch (err) {
      lines.push(`${kind} ${what}: FAILED — ${(err as Error).message}`);
    } finally {
      await b?.stop();
    }
    for (let i = 0; i < 40 && (await openAtBackends(lab)) > 0; i++) await new Promise((r) => setTimeout(r, 250));
  }
}

export async function benchBalancerCosts(argv: string[]): Promise<string> {
  const arg = (name: string, def: string): string => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? String(argv[i + 1]) : def;
  };
  const sizes = arg('sizes', '2000,5000').split(',').map(Number);
  // Below ~1,000 connections a garbage-collected heap (the reference proxy's) moves more than the connections
  // cost, and RSS can even shrink: such a figure would not be one.
  if (sizes.some((n) => !Number.isInteger(n) || n < MIN_SIZE)) throw new Error(`--sizes: each size must be a whole number ≥ ${MIN_SIZE}, got ${arg('sizes', '')}`);
  const rate = Number(arg('rate', '1000'));
  const holdS = Number(arg('hold', '3'));
  const msgClients = Number(arg('message-clients', '1000'));
  const machine = `${os.cpus().length}-core ${os.cpus()[0]?.model.trim() ?? 'CPU'}, Linux ${os.release()}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB`;
  const lines = [`balancer costs, ${new Date().toISOString().slice(0, 10)}, ${machine}; idle WebSocket connections via wsherd's load engine at ${rate}/s, hold ${holdS} s, sizes ${sizes.join(', ')}`];
  const results: Record<Kind, Array<Sample & { n: number }>> = { wsherd: [], haproxy: [], nginx: [] };
  for (const n of sizes) {
    // A fresh lab per size: the reference proxy's heap does not shrink back after a run, so idle must be idle.
    const lab = await startLab({ backends: { count: 4, kind: 'ws', host: '127.0.0.1' }, proxy: { strategy: 'round-robin', mode: 'l4', host: '127.0.0.1' } });
    try {
      await eachBalancer(lab, lines, `at ${n}`, async (kind, b) => {
        results[kind].push({ n, ...(await measure(b, lab, n, rate, holdS)) });
      });
    } finally {
      await lab.stop();
    }
  }
  // CPU per message: one more lab, each balancer fresh, 1,000 clients × 2 messages/s of 256 B (the wsherd reference's load).
  const perMessage: Partial<Record<Kind, Awaited<ReturnType<typeof messageCpu>>>> = {};
  if (msgClients > 0) {
    const lab = await startLab({ backends: { count: 4, kind: 'ws', host: '127.0.0.1' }, proxy: { strategy: 'round-robin', mode: 'l4', host: '127.0.0.1' } });
    try {
      await eachBalancer(lab, lines, 'messages', async (kind, b) => {
        perMessage[kind] = await messageCpu(b, lab, msgClients, 2, 4);
      });
    } finally {
      await lab.stop();
    }
  }
  const kib = (b: number): string => `${(b / 1024).toFixed(1)} KiB`;
  for (const kind of KINDS) {
    const rs = results[kind];
    if (rs.length === 0) continue;
    lines.push('', `${kind}: ${version(kind)}`);
    for (const r of rs) {
      lines.push(`  N=${r.n}: open ${r.open}, errors ${r.errors}; idle RSS ${kib(r.idleRss)}, idle fds ${r.idleFds}; hold RSS ${kib(r.holdRss)}, hold fds ${r.holdFds}; ` +
        `${((r.holdRss - r.idleRss) / r.open).toFixed(0)} B/conn, ${((r.holdFds - r.idleFds) / r.open).toFixed(3)} fds/conn, CPU ${r.cpu.toFixed(2)} s = ${((r.cpu / r.open) * 100).toFixed(4)} core-s per 100 new`);
    }
    const per = rs.map((r) => (r.holdRss - r.idleRss) / r.open);
    const fds = rs.map((r) => (r.holdFds - r.idleFds) / r.open);
    const cpu = rs.map((r) => (r.cpu / r.open) * 100);
    const m = perMessage[kind];
    if (m !== undefined) lines.push(`  messages: ${msgClients} clients × 2 msg/s of 256 B + echoes (${msgClients * 4} msg/s both directions): CPU ${m.cpuPer1000.toFixed(4)} core-s/s per 1,000 msg/s (lost ${m.lost}, errors ${m.errors})`);
    lines.push(`  mean: ${mean(per).toFixed(0)} B/conn (sd ${sd(per).toFixed(0)}), ${mean(fds).toFixed(3)} fds/conn (sd ${sd(fds).toFixed(4)}), ` +
      `idle ${kib(mean(rs.map((r) => r.idleRss)))} / ${mean(rs.map((r) => r.idleFds)).toFixed(0)} fds, CPU ${mean(cpu).toFixed(4)} core-s per 100 new (sd ${sd(cpu).toFixed(4)})`);
  }
  const perOf = (k: Kind): number => mean(results[k].map((r) => (r.holdRss - r.idleRss) / r.open));
  if (results.wsherd.length > 0) {
    lines.push('', `memory per connection relative to wsherd's proxy: ${KINDS.filter((k) => results[k].length > 0).map((k) => `${k} ${(perOf(k) / perOf('wsherd')).toFixed(2)}`).join(', ')}`);
  }
  return lines.join('\n');
}
