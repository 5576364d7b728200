/**
 * The parent side of one lab child process: fork the compiled entry with its config, wait for `ready` over
 * IPC (or fail naming the component and the tail of its stderr), and stop it (SIGTERM, then SIGKILL).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { WsherdError } from '../errors.js';
import { isChildMessage, type ConfigMessage } from './child-protocol.js';
import { busyHostClause, startHint } from '../process/start-deadline.js';

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ComponentProcess {
  readonly id: string;
  readonly pid: number;
  readonly port: number;
  readonly adminPort: number;
  readonly child: ChildProcess;
  /** Resolves when the process has exited (its pid is reaped). */
  readonly exited: Promise<ExitInfo>;
  /** Resolves after exit once its stderr is fully read, so the tail is complete. */
  readonly closed: Promise<ExitInfo>;
  stderrTail(): string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. Idempotent. */
  stop(graceMs: number): Promise<void>;
}

export interface ForkOptions {
  /** Fail if `ready` has not arrived after this long, ms. */
  readyTimeoutMs: number;
  signal?: AbortSignal;
  /** Called right after fork, before readiness, so a caller can kill it if the parent exits meanwhile. */
  onSpawn?: (child: ChildProcess) => void;
  /** Node/V8 flags for the child (the parent's own are never passed on). */
  execArgv?: string[];
  /**
   * Open-file limit (soft = hard) for the child, applied from its first instruction: the child is started through
   * `prlimit --nofile=N:N`, which sets the limit and execs Node (same pid, same IPC channel).
   */
  fdLimit?: number;
}

/** util-linux prlimit (installed by .ci/run); found on PATH. */
const PRLIMIT = 'prlimit';

/** How much of a child's stderr is kept for error messages. */
const TAIL_CHARS = 4000;

export async function forkComponent(id: string, entry: URL, config: unknown, opts: ForkOptions): Promise<ComponentProcess> {
  // execArgv [] keeps the parent's flags (--inspect, test-runner flags) out of the child; stdout is unused.
  const execArgv = opts.execArgv ?? [];
  const limited = opts.fdLimit === undefined ? {} : { execPath: PRLIMIT, execArgv: [`--nofile=${opts.fdLimit}:${opts.fdLimit}`, process.execPath, ...execArgv] };
  const child = fork(fileURLToPath(entry), [], {
    serialization: 'json',
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    execArgv,
    ...limited,
  });
  opts.onSpawn?.(child);
  // The config goes over IPC when the child asks for it, not argv: anyone on the host can read a command line.
  const giveConfig = (msg: unknown): void => {
    if (!isChildMessage(msg) || msg.type !== 'awaiting-config') return;
    child.off('message', giveConfig);
    child.send({ type: 'config', config } satisfies ConfigMessage, (err) => {
      if (err) child.kill('SIGKILL'); // it cannot start without it; the exit is reported as not ready
    });
  };
  child.on('message', giveConfig);
  // A failed kill() or IPC send after readiness emits 'error'; the exit is what matters, and is watched below.
  child.on('error', () => {});
  let tail = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    tail = (tail + chunk).slice(-TAIL_CHARS);
  });
  const exited = new Promise<ExitInfo>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const closed = new Promise<ExitInfo>((resolve) => child.once('close', (code, signal) => resolve({ code, signal })));
  const stderrTail = (): string => tail.trim();

  let stopping: Promise<void> | undefined;
  const stop = (graceMs: number): Promise<void> => {
    stopping ??= (async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const graceOver = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), graceMs)));
      if ((await Promise.race([exited, graceOver])) === 'late') child.kill('SIGKILL');
      clearTimeout(timer);
      await exited;
    })();
    return stopping;
  };

  try {
    const ready = await waitReady(id, child, closed, stderrTail, opts);
    return { id, pid: child.pid ?? -1, port: ready.port, adminPort: ready.adminPort, child, exited, closed, stderrTail, stop };
  } catch (err) {
    child.kill('SIGKILL');
    await exited;
    throw err;
  }
}

function waitReady(
  id: string,
  child: ChildProcess,
  closed: Promise<ExitInfo>,
  tail: () => string,
  opts: ForkOptions,
): Promise<{ port: number; adminPort: number }> {
  return new Promise((resolve, reject) => {
    const fail = (message: string, hint = 'Run with --debug for details; check that the lab host is a local address and ports are free.'): void => {
      cleanup();
      const t = tail();
      reject(new WsherdError('WSH_ERR_LAB_START', t ? `${message}\n--- ${id} stderr (tail) ---\n${t}` : message, { hint }));
    };
    const onMessage = (msg: unknown): void => {
      if (!isChildMessage(msg)) return;
      if (msg.type === 'awaiting-config') return;
      if (msg.type === 'ready') {
        cleanup();
        resolve({ port: msg.port, adminPort: msg.adminPort });
      } else fail(`Lab component ${id} failed to start: ${msg.message}`);
    };
    const onExit = (): void => {
      // Wait for 'close' so the stderr tail in the message is complete.
      void closed.then((info) => fail(`Lab component ${id} exited before it was ready (${describeExit(info)}).`));
    };
    const onError = (err: Error): void => fail(`Lab component ${id} could not be started: ${err.message}`);
    const onAbort = (): void => {
      cleanup();
      reject(new WsherdError('WSH_ERR_ABORTED', `Lab start aborted while ${id} was starting.`));
    };
    const timer = setTimeout(
      () => {
        const busy = busyHostClause();
        fail(`Lab component ${id} was not ready after ${opts.readyTimeoutMs.toLocaleString('en-US')} ms${busy} ${startHint(busy)}.`);
      },
      opts.readyTimeoutMs,
    );
    function cleanup(): void {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
      child.off('error', onError);
      opts.signal?.removeEventListener('abort', onAbort);
    }
    child.on('message', onMessage);
    child.once('exit', onExit);
    child.once('error', onError);
    if (opts.signal?.aborted) onAbort();
    else opts.signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export function describeExit(info: ExitInfo): string {
  return info.signal ? `killed by ${info.signal}` : `exit code ${info.code ?? 'unknown'}`;
}
