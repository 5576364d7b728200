/**
 * Forks a lab component's compiled entry as the lab does: no arguments; the config is the answer to the child's
 * `awaiting-config` IPC message (src/lab/child-protocol.ts), so tests take the same start-up path. Later messages
 * (ready, error) reach the test's own listeners.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export function forkComponentEntry(entry: URL, config: unknown): ChildProcess {
  const child = fork(fileURLToPath(entry), [], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
  const give = (msg: { type?: string }): void => {
    if (msg?.type !== 'awaiting-config') return;
    child.off('message', give);
    child.send({ type: 'config', config });
  };
  child.on('message', give);
  return child;
}

/** The child's next message that is not its request for the config (ready or error), as `[msg]` like once(). */
export function nextReply<T>(child: ChildProcess): Promise<[T]> {
  return new Promise((resolve) => {
    const on = (msg: { type?: string }): void => {
      if (msg?.type === 'awaiting-config') return;
      child.off('message', on);
      resolve([msg as T]);
    };
    child.on('message', on);
  });
}
