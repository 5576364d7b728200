/**
 * Ports on 127.0.0.1 for processes that cannot listen on port 0 and report it (redis-server, HAProxy, nginx): pick a
 * free one, then wait until the process listens there. Shared by the tests and the benches.
 */
import type { ChildProcess } from 'node:child_process';
import net from 'node:net';

export { freePort } from '../../src/lab/free-port.js';

/**
 * Resolves once something accepts connections on 127.0.0.1:`port`, within `timeoutMs`. With `child`, fails as soon
 * as it exits, quoting `stderr()` (what the process said on the way out).
 */
export async function waitListening(port: number, child?: ChildProcess, stderr: () => string = () => '', timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child !== undefined && child.exitCode !== null) throw new Error(`exited with ${child.exitCode}: ${stderr()}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing listened on ${port} within ${timeoutMs} ms: ${stderr()}`);
}
