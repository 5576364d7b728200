/**
 * The child side of a lab component: take the config from the parent's first IPC message (never argv, which any
 * user on the host can read in /proc/PID/cmdline), start, report ready over IPC, and shut
 * down when told (SIGTERM) or when the parent goes away (the IPC channel disconnects, which also happens when
 * the parent is SIGKILLed). Shutdown never calls process.exit: close() drops every socket and the event loop
 * drains; a last-resort timer covers a leaked handle so an orphan can never linger.
 */
import { isWsherdError } from '../errors.js';
import { isConfigMessage, type ChildMessage } from './child-protocol.js';
import { watchParent } from '../process/parent-watch.js';

export interface ChildComponent {
  port: number;
  adminPort: number;
  close(): Promise<void>;
}

/** After shutdown starts, a handle that still keeps the loop alive gets this long before the child kills itself. */
const SHUTDOWN_DEADLINE_MS = 3000;

export function runChild<C>(what: string, start: (config: C) => Promise<ChildComponent>): void {
  let component: ChildComponent | undefined;
  let stopping = false;
  const shutdown = (): void => {
    if (stopping) return;
    stopping = true;
    setTimeout(() => process.kill(process.pid, 'SIGKILL'), SHUTDOWN_DEADLINE_MS).unref();
    process.off('SIGTERM', shutdown);
    unwatch();
    process.off('message', onConfig);
    if (process.connected) process.disconnect();
    void component?.close();
  };
  // Ctrl-C in a terminal signals the whole process group; the parent decides when the lab stops.
  process.on('SIGINT', () => {});
  process.on('SIGTERM', shutdown);
  // The parent gone (its channel closed, or its pid no longer our parent, even after kill -9): shut down.
  const unwatch = watchParent(shutdown);
  if (!process.send) {
    process.stderr.write(`${what}: expected to be started by wsherd (its config comes over the IPC channel)\n`);
    process.exitCode = 2;
    return;
  }

  function onConfig(msg: unknown): void {
    if (!isConfigMessage(msg) || stopping) return;
    process.off('message', onConfig);
    begin(msg.config as C);
  }
  process.on('message', onConfig);
  send({ type: 'awaiting-config' });

  function begin(config: C): void {
    start(config).then(
      (c) => {
        component = c;
        if (stopping) void c.close();
        else send({ type: 'ready', port: c.port, adminPort: c.adminPort });
      },
      (err: unknown) => {
        const message = err instanceof Error ? err.message : String(err);
        process.stderr.write(`${what}: ${message}\n`);
        process.exitCode = 1;
        // Shut down once the message is flushed, so the parent gets the reason rather than a bare exit.
        send({ type: 'error', message, ...(isWsherdError(err) ? { code: err.code } : {}) }, shutdown);
      },
    );
  }
}

function send(msg: ChildMessage, then?: () => void): void {
  if (process.send && process.connected) process.send(msg, undefined, undefined, () => then?.());
  else then?.();
}
