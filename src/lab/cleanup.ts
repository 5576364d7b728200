/**
 * No lab child may outlive its parent. Children exit by themselves when their IPC channel disconnects (which
 * covers a SIGKILLed parent); on top of that, while at least one lab is running, this module kills the
 * children when the parent exits or is stopped by SIGINT/SIGTERM. Listeners are installed only while a lab
 * runs, and removed when the last one stops.
 */

/** Sends `signal` to every child of one lab, synchronously (it runs inside process 'exit'). */
export type KillAll = (signal: NodeJS.Signals) => void;

const running = new Set<KillAll>();
const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];

function onExit(): void {
  for (const kill of running) kill('SIGKILL');
}

function onSignal(signal: NodeJS.Signals): void {
  // When the application handles the signal itself (e.g. `wsherd run` writes partial results, then stops the
  // lab), leave the teardown to it: killing children here would look like the lab dying under the run.
  if (process.listenerCount(signal) > 1) return;
  // Otherwise we replaced Node's default "terminate": stop the children, then terminate by the same signal.
  for (const kill of running) kill('SIGTERM');
  running.clear();
  uninstall();
  process.kill(process.pid, signal);
}

function install(): void {
  process.on('exit', onExit);
  for (const s of SIGNALS) process.on(s, onSignal);
}

function uninstall(): void {
  process.off('exit', onExit);
  for (const s of SIGNALS) process.off(s, onSignal);
}

/** Registers one set of children (a lab, the load workers); returns the function that unregisters it. */
export function registerChildren(kill: KillAll): () => void {
  if (running.size === 0) install();
  running.add(kill);
  return () => {
    if (!running.delete(kill)) return;
    if (running.size === 0) uninstall();
  };
}
