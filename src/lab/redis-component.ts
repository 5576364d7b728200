/**
 * The lab's message bus (`lab.backends.bus: redis`): one real redis-server on loopback, on a free port, with no
 * persistence and its own temporary directory, shared by every backend (socket.io's redis adapter, the ws app's
 * topics). It is a plain process, not a forked Node component, so it cannot watch its parent the way lab children
 * do (src/process/parent-watch.ts): it is started through `setpriv --pdeathsig KILL`, which makes the kernel kill it
 * when the lab process dies, even by SIGKILL; the lab's cleanup (src/lab/cleanup.ts) covers exit and signals.
 */
import { freePort } from './free-port.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { WsherdError } from '../errors.js';
import { RespConnection } from '../proxy/store/resp.js';
import type { ComponentProcess, ExitInfo } from './component-process.js';
import { describeExit } from './component-process.js';

export const REDIS_BINARY = 'redis-server';
export const REDIS_PACKAGE = 'redis-server';
/** How much of redis-server's log (stdout) and stderr is kept for error messages. */
const TAIL_CHARS = 4000;
/** A free port can be taken between our probe and redis-server's bind: try a new one this many times. */
const PORT_ATTEMPTS = 3;

export interface RedisStartOptions {
  readyTimeoutMs: number;
  signal?: AbortSignal;
  /** Called right after spawn, so the lab's cleanup can kill it if the parent exits during start-up. */
  onSpawn?: (child: ChildProcess) => void;
  /** Where binaries are looked up. Default process.env.PATH. */
  pathEnv?: string;
}

/** An executable named `name` in one of the PATH directories, or undefined. */
export function findOnPath(name: string, pathEnv = process.env.PATH ?? ''): string | undefined {
  for (const dir of pathEnv.split(path.delimiter)) {
    if (dir === '') continue;
    const candidate = path.join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Starts redis-server and resolves once it answers PING; its url is `redis://127.0.0.1:<port>`. */
export async function startRedis(opts: RedisStartOptions): Promise<ComponentProcess> {
  const bin = findOnPath(REDIS_BINARY, opts.pathEnv);
  if (bin === undefined) {
    throw new WsherdError('WSH_ERR_LAB_START', `lab.backends.bus: redis needs ${REDIS_BINARY}, which is not on PATH: apt-get install ${REDIS_PACKAGE}`, {
      hint: `install it (apt-get install ${REDIS_PACKAGE}), or remove lab.backends.bus`,
    });
  }
  const setpriv = findOnPath('setpriv', opts.pathEnv);
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    try {
      return await startOn(bin, setpriv, port, opts);
    } catch (err) {
      if (!(err instanceof PortTaken) || attempt >= PORT_ATTEMPTS) throw err instanceof PortTaken ? err.error : err;
    }
  }
}

class PortTaken extends Error {
  constructor(readonly error: WsherdError) {
    super(error.message);
  }
}

async function startOn(bin: string, setpriv: string | undefined, port: number, opts: RedisStartOptions): Promise<ComponentProcess> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'wsherd-redis-'));
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'yes', '--dir', dir];
  // setpriv execs redis-server in place (same pid) with the parent-death signal set.
  const child = setpriv === undefined
    ? spawn(bin, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] })
    : spawn(setpriv, ['--pdeathsig', 'KILL', '--', bin, ...args], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  opts.onSpawn?.(child);
  child.on('error', () => {}); // a spawn failure shows as an exit (code -2), reported below
  let tail = '';
  const keep = (chunk: string): void => {
    tail = (tail + chunk).slice(-TAIL_CHARS);
  };
  for (const s of [child.stdout, child.stderr]) {
    s?.setEncoding('utf8');
    s?.on('data', keep);
  }
  const exited = new Promise<ExitInfo>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const closed = new Promise<ExitInfo>((resolve) => child.once('close', (code, signal) => resolve({ code, signal })));
  // The temporary directory goes with the process, whoever stopped it.
  void closed.then(() => rmSync(dir, { recursive: true, force: true }));
  const stderrTail = (): string => tail.trim();

  let stopping: Promise<void> | undefined;
  const stop = (graceMs: number): Promise<void> => {
    stopping ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        let timer: NodeJS.Timeout | undefined;
        const graceOver = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), graceMs)));
        if ((await Promise.race([exited, graceOver])) === 'late') child.kill('SIGKILL');
        clearTimeout(timer);
      }
      await closed;
    })();
    return stopping;
  };

  try {
    await waitPing(port, child, closed, stderrTail, opts);
  } catch (err) {
    child.kill('SIGKILL');
    await closed;
    throw err;
  }
  return { id: 'redis', pid: child.pid ?? -1, port, adminPort: port, child, exited, closed, stderrTail, stop };
}

async function waitPing(port: number, child: ChildProcess, closed: Promise<ExitInfo>, tail: () => string, opts: RedisStartOptions): Promise<void> {
  const deadline = Date.now() + opts.readyTimeoutMs;
  const fail = (message: string): WsherdError => {
    const t = tail();
    return new WsherdError('WSH_ERR_LAB_START', t ? `${message}\n--- redis stderr (tail) ---\n${t}` : message, { hint: 'Run with --debug for details; check that 127.0.0.1 has free ports.' });
  };
  for (;;) {
    if (opts.signal?.aborted) throw new WsherdError('WSH_ERR_ABORTED', 'Lab start aborted while redis was starting.');
    if (child.exitCode !== null || child.signalCode !== null) {
      const info = await closed;
      const err = fail(`Lab component redis exited before it answered PING (${describeExit(info)}).`);
      throw /address already in use/i.test(tail()) ? new PortTaken(err) : err;
    }
    if (Date.now() > deadline) throw fail(`Lab component redis did not answer PING on 127.0.0.1:${port} within ${opts.readyTimeoutMs.toLocaleString('en-US')} ms.`);
    if (await pings(port)) return;
    await new Promise((r) => setTimeout(r, 30));
  }
}

async function pings(port: number): Promise<boolean> {
  try {
    const c = await RespConnection.open('127.0.0.1', port, 500);
    try {
      return (await c.send(['PING'], 500)) === 'PONG';
    } finally {
      c.close();
    }
  } catch {
    return false; // not listening yet
  }
}
