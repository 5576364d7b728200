/**
 * The processes of `npm run bench -- proxy`: wsherd's proxy (L4 or L7) and HAProxy (mode tcp or http) in front of
 * the same lab backends, each pinned to the proxy core; the bench's closed-loop client (proxy-client.ts) pinned to
 * the other core; and their readings from /proc.
 */
import { fork, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { forkComponent } from '../src/lab/component-process.js';
import { LAB_PROXY_HEALTH } from '../src/lab/start.js';
import { cpuSeconds, rssBytes } from '../src/probes/proc.js';
import { PROXY_NODE_FLAGS, type ProxyOptions } from '../src/proxy/server.js';
import { freePort, waitListening } from '../test/helpers/free-port.js';
import type { FromClient, Target, ToClient } from './proxy-client.js';

export const PROXY_CPU = '1';
export const CLIENT_CPU = '0';

export type ProxyKind = 'wsherd-l4' | 'haproxy-tcp' | 'wsherd-l7' | 'haproxy-http';
export const PROXY_KINDS: readonly ProxyKind[] = ['wsherd-l4', 'haproxy-tcp', 'wsherd-l7', 'haproxy-http'];

export interface RunningProxy { kind: ProxyKind; pid: number; target: Target; stop(): Promise<void> }

/** Pins every thread of `pid` (Node's V8 and libuv threads too: `-a`) to `cpu`. */
export function pin(pid: number, cpu: string): void {
  spawnSync('taskset', ['-a', '-pc', cpu, String(pid)], { stdio: 'ignore' });
}

export async function startProxy(kind: ProxyKind, backends: Target[]): Promise<RunningProxy> {
  return kind.startsWith('wsherd') ? startWsherd(kind, backends) : startHaproxy(kind, backends);
}

const PROXY_ENTRY = new URL('../src/proxy/main.js', import.meta.url);

/** As the lab starts it (same flags, same tcp health checks), fresh for each measurement. */
async function startWsherd(kind: ProxyKind, backends: Target[]): Promise<RunningProxy> {
  const config: ProxyOptions = {
    host: '127.0.0.1', port: 0, adminHost: '127.0.0.1', adminPort: 0, strategy: 'round-robin', mode: kind === 'wsherd-l7' ? 'l7' : 'l4',
    backends: backends.map((b, i) => ({ id: `b${i + 1}`, host: b.host, port: b.port })), health: { ...LAB_PROXY_HEALTH },
  };
  const proc = await forkComponent(kind, PROXY_ENTRY, config, { readyTimeoutMs: 15_000, execArgv: [...PROXY_NODE_FLAGS] });
  pin(proc.pid, PROXY_CPU);
  return { kind, pid: proc.pid, target: { host: '127.0.0.1', port: proc.port }, stop: () => proc.stop(3000) };
}

/** HAProxy 2.6 with one thread; its servers checked as often as the lab's proxy checks its own (tcp, 1 s). */
function haproxyConfig(kind: ProxyKind, port: number, backends: Target[]): string {
  const http = kind === 'haproxy-http';
  return ['global', '  maxconn 9000' /* 2 fds each: under the 20,000 fd limit */, '  nbthread 1',
    'defaults', `  mode ${http ? 'http' : 'tcp'}`, ...(http ? ['  option http-server-close'] : []),
    '  timeout connect 5s', '  timeout client 1h', '  timeout server 1h', '  timeout tunnel 1h',
    'frontend f', `  bind 127.0.0.1:${port}`, '  default_backend b',
    'backend b', '  balance roundrobin', ...backends.map((b, i) => `  server b${i + 1} ${b.host}:${b.port} check inter 1s`), ''].join('\n');
}

async function startHaproxy(kind: ProxyKind, backends: Target[]): Promise<RunningProxy> {
  const port = await freePort();
  const dir = mkdtempSync(path.join(tmpdir(), 'wsherd-bench-haproxy-'));
  const file = path.join(dir, 'haproxy.cfg');
  writeFileSync(file, haproxyConfig(kind, port, backends));
  // Started pinned: all its threads inherit the CPU set.
  const child = spawn('taskset', ['-c', PROXY_CPU, 'haproxy', '-db', '-f', file], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr?.on('data', (c: Buffer) => (err = (err + c.toString()).slice(-2000)));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = once(child, 'exit');
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
  // taskset execs haproxy: same pid.
  return { kind, pid: child.pid ?? -1, target: { host: '127.0.0.1', port }, stop };
}

/** The bench client as a child process pinned to the client core, driven by request/answer over IPC. */
export class BenchClient {
  private constructor(private readonly child: ChildProcess) {}

  static async start(): Promise<BenchClient> {
    const child = fork(fileURLToPath(new URL('./proxy-client.js', import.meta.url)), [], { execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    await once(child, 'spawn');
    pin(child.pid ?? -1, CLIENT_CPU);
    return new BenchClient(child);
  }

  private ask<E extends FromClient['ev']>(m: ToClient, ev: E): Promise<Extract<FromClient, { ev: E }>> {
    return new Promise((resolve, reject) => {
      const onMessage = (r: FromClient): void => {
        if (r.ev !== ev) return;
        this.child.off('message', onMessage);
        this.child.off('exit', onExit);
        resolve(r as Extract<FromClient, { ev: E }>);
      };
      const onExit = (): void => reject(new Error('the bench client exited'));
      this.child.on('message', onMessage);
      this.child.once('exit', onExit);
      this.child.send(m);
    });
  }

  open(targets: Target[], connections: number, payload: number): Promise<Extract<FromClient, { ev: 'opened' }>> {
    return this.ask({ cmd: 'open', targets, connections, payload, inFlight: 100 }, 'opened');
  }

  closedLoop(): Promise<unknown> {
    return this.ask({ cmd: 'closed-loop' }, 'started');
  }

  rate(perSecond: number): Promise<unknown> {
    return this.ask({ cmd: 'rate', perSecond }, 'started');
  }

  mark(): Promise<Extract<FromClient, { ev: 'mark' }>> {
    return this.ask({ cmd: 'mark' }, 'mark');
  }

  async exit(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = once(this.child, 'exit');
    this.child.send({ cmd: 'exit' } satisfies ToClient);
    await exited;
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** RSS and CPU seconds of one process (both proxies serve from one process here). */
export function reading(pid: number): { rss: number; cpu: number; at: number } {
  return { rss: rssBytes(pid), cpu: cpuSeconds(pid), at: performance.now() };
}
