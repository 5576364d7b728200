/** Runs a Node ES module script inside `unshare --net` with a tiny ephemeral port range, for port-exhaustion tests. */
import { spawn } from 'node:child_process';
import { once } from 'node:events';

export interface NetnsRun {
  /** Exit code; -1 when unshare could not be started. */
  code: number;
  out: string;
  err: string;
  /** Set when the namespace could not be made (not root, no user namespaces): the caller should skip. */
  unavailable?: string;
}

/**
 * `script` runs as `node --input-type=module -e script` in a fresh network namespace whose loopback is up and
 * whose ip_local_port_range is `range` (e.g. "40000 40003": four ports). `onSpawn` gets a kill function.
 */
export async function runInNetns(script: string, range: string, onSpawn: (kill: () => void) => void): Promise<NetnsRun> {
  const setup = `ip link set lo up && echo "${range}" > /proc/sys/net/ipv4/ip_local_port_range && exec "$0" --input-type=module -e "$1"`;
  const proc = spawn('unshare', ['--net', 'sh', '-c', setup, process.execPath, script], { stdio: ['ignore', 'pipe', 'pipe'] });
  onSpawn(() => proc.kill('SIGKILL'));
  let out = '';
  let err = '';
  proc.stdout.on('data', (c: Buffer) => (out += c.toString()));
  proc.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const [code] = (await Promise.race([once(proc, 'exit'), once(proc, 'error').then(() => [-1])])) as [number];
  if (code !== 0 && out === '') return { code, out, err, unavailable: `needs unshare --net (root or user namespaces): ${err.trim().split('\n')[0] ?? code}` };
  return { code, out, err };
}
