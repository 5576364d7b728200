/** A real redis-server child for the store tests (no persistence, loopback only). */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import os from 'node:os';
import { RespConnection } from '../../../src/proxy/store/resp.js';
import { needBinary } from '../../helpers/system.js';

export const REDIS_BIN = '/usr/bin/redis-server';
/** false, or why the Redis tests skip (never under CI: test/helpers/system.ts). */
export const REDIS_SKIP = needBinary(REDIS_BIN, 'redis-server');

export { freePort } from '../../helpers/free-port.js';

export class RedisChild {
  private child: ChildProcess | undefined;

  constructor(readonly port: number) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Starts redis-server and resolves once it answers PING (within 10 s). */
  async start(): Promise<void> {
    const child = spawn(REDIS_BIN, ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      cwd: os.tmpdir(),
      stdio: 'ignore',
    });
    this.child = child;
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode}`);
      try {
        const c = await RespConnection.open('127.0.0.1', this.port, 500);
        try {
          if ((await c.send(['PING'], 500)) === 'PONG') return;
        } finally {
          c.close();
        }
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 30));
    }
    throw new Error(`redis-server on port ${this.port} did not answer PING within 10 s`);
  }

  /** SIGKILL (no goodbye to clients, like a crash) and wait for the exit. */
  async kill(): Promise<void> {
    const c = this.child;
    this.child = undefined;
    if (c === undefined || c.exitCode !== null || c.signalCode !== null) return;
    const exited = once(c, 'exit');
    c.kill('SIGKILL');
    await exited;
  }
}
