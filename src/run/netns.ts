/**
 * A run in a private network namespace (`network: {namespace: true}`): the command re-executes itself under
 * `unshare --net` (with `--user --map-root-user` when not root), after bringing up loopback and setting the
 * namespace's own ip_local_port_range and tcp_tw_reuse. Lab, proxy and clients all live inside, so a 1,000-port
 * range or TIME_WAIT reuse can be tried without touching the machine; everything inside dies with the run.
 */
import { spawn, spawnSync } from 'node:child_process';
import { WsherdError } from '../errors.js';
import type { NetworkSpec } from '../scenario/types.js';

/** Set in the re-executed command, so it runs the scenario instead of re-executing again. */
export const NETNS_ENV = 'WSHERD_IN_NETNS';

export function insideNetns(): boolean {
  return process.env[NETNS_ENV] === '1';
}

function unshareArgs(): string[] {
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  return root ? ['--net'] : ['--net', '--user', '--map-root-user'];
}

/** The shell that prepares the namespace, then execs the command given as its arguments. */
function setupScript(spec: NetworkSpec): string {
  const steps = ['ip link set lo up'];
  if (spec.portRange !== undefined) steps.push(`echo "${spec.portRange[0]} ${spec.portRange[1]}" > /proc/sys/net/ipv4/ip_local_port_range`);
  if (spec.tcpTwReuse !== undefined) steps.push(`echo ${spec.tcpTwReuse} > /proc/sys/net/ipv4/tcp_tw_reuse`);
  return `${steps.join(' && ')} && exec "$@"`;
}

/** Throws a clear WsherdError when this machine cannot make the namespace (no unshare, not permitted, no ip). */
export function checkNetnsAvailable(spec: NetworkSpec): void {
  const probe = spawnSync('unshare', [...unshareArgs(), 'sh', '-c', setupScript(spec), 'sh', 'true'], { encoding: 'utf8', timeout: 10_000 });
  if (probe.error !== undefined || probe.status !== 0) {
    const why = (probe.error?.message ?? probe.stderr ?? '').trim().split('\n')[0] ?? '';
    throw new WsherdError('WSH_ERR_INVALID_INPUT', `network.namespace: a private network namespace cannot be made here${why ? ` (${why})` : ''}.`, {
      hint: 'It needs unshare and ip (util-linux, iproute2) and either root or unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1); or remove network.namespace.',
    });
  }
}

/**
 * Runs `node <argv>` again inside a fresh namespace and resolves with its exit code. Output goes straight to this
 * process's stdout/stderr; SIGINT and SIGTERM are passed on, so the inner run aborts and writes partial results.
 */
export function rerunInNetns(spec: NetworkSpec, argv: readonly string[]): Promise<number> {
  checkNetnsAvailable(spec);
  const child = spawn('unshare', [...unshareArgs(), 'sh', '-c', setupScript(spec), 'sh', process.execPath, ...argv], {
    stdio: 'inherit',
    env: { ...process.env, [NETNS_ENV]: '1' },
  });
  const forward = (signal: NodeJS.Signals): void => {
    child.kill(signal);
  };
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  return new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      process.off('SIGINT', forward);
      process.off('SIGTERM', forward);
      resolve(code ?? (signal === 'SIGTERM' ? 143 : 130));
    });
  });
}
