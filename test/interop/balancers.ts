/**
 * Real HAProxy and nginx (Debian packages) for the interop suite: a config from this folder, its placeholders
 * filled with loopback addresses, run in the foreground as a child process, and killed after the test.
 * `available()` lets the suite skip with a reason where a binary is missing (it is installed by .ci/run).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before } from 'node:test';
import { freePort, waitListening } from '../helpers/free-port.js';
import { needBinary } from '../helpers/system.js';
import { startBackend, type RunningBackend } from '../../src/backend/server.js';

/** test/interop in the source tree (the configs are not compiled; dist/test/interop → ../../../test/interop). */
export const CONFIG_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../test/interop');

export type BalancerKind = 'haproxy' | 'nginx';

const BINARIES: Record<BalancerKind, string> = { haproxy: '/usr/sbin/haproxy', nginx: '/usr/sbin/nginx' };

/** Why a balancer cannot run here, or undefined when it can (under CI a missing one fails: test/helpers/system.ts). */
export function unavailable(kind: BalancerKind): string | undefined {
  return needBinary(BINARIES[kind], kind) || undefined;
}

export interface RunningBalancer {
  kind: BalancerKind;
  port: number;
  url: string;
  stop(): Promise<void>;
}



/**
 * Starts `configFile` (a name in test/interop, or an absolute path) in front of `backends` (host:port each, filling
 * {{B1}} … {{B4}}: configs use as many as they have backends).
 */
export async function startBalancer(kind: BalancerKind, configFile: string, backends: readonly string[]): Promise<RunningBalancer> {
  const port = await freePort();
  const prefix = mkdtempSync(path.join(os.tmpdir(), `wsherd-${kind}-`));
  const text = readFileSync(path.resolve(CONFIG_DIR, configFile), 'utf8')
    .replaceAll('{{LISTEN}}', `127.0.0.1:${port}`)
    .replaceAll('{{PREFIX}}', prefix)
    .replaceAll('{{B1}}', backends[0] ?? '')
    .replaceAll('{{B2}}', backends[1] ?? '')
    .replaceAll('{{B3}}', backends[2] ?? '')
    .replaceAll('{{B4}}', backends[3] ?? '');
  const file = path.join(prefix, path.basename(configFile));
  writeFileSync(file, text);
  const args = kind === 'haproxy' ? ['-db', '-f', file] : ['-p', prefix, '-c', file, '-e', 'stderr'];
  const child = spawn(BINARIES[kind], args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr?.on('data', (c: Buffer) => (err = (err + c.toString()).slice(-4000)));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await exited;
    }
    rmSync(prefix, { recursive: true, force: true });
  };
  try {
    await waitListening(port, child, () => err);
  } catch (e) {
    await stop();
    throw e;
  }
  return { kind, port, url: `http://127.0.0.1:${port}/`, stop };
}

/**
 * Two reference ws backends (b1, b2) for a describe block: started before its tests, closed after. Returns their
 * `127.0.0.1:port` addresses as a balancer config wants them (valid once the tests run).
 */
export function twoWsBackends(): () => string[] {
  let backends: RunningBackend[] = [];
  before(async () => {
    backends = await Promise.all(['b1', 'b2'].map((id) => startBackend({ id })));
  });
  after(async () => {
    await Promise.all(backends.map((b) => b.close()));
  });
  return () => backends.map((b) => `127.0.0.1:${b.port}`);
}
