/**
 * What the oracle apps (ws-app.ts, chat-app.ts) share: a real redis-server started by the test, and the bus their
 * instances fan messages out through — Redis pub/sub with plain `ioredis` clients (what a production app behind a
 * balancer runs), or, without Redis, a direct call into every instance of the process.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { freePort, waitListening } from '../helpers/free-port.js';
import { needBinary } from '../helpers/system.js';

export const REDIS_BIN = '/usr/bin/redis-server';
/** false, or why the tests needing Redis skip (never under CI: test/helpers/system.ts). */
export const REDIS_SKIP = needBinary(REDIS_BIN, 'redis-server');

export interface RedisServer {
  url: string;
  stop(): Promise<void>;
}

/** A redis-server on a free loopback port, in its own temp dir, no persistence; resolves once it answers PING. */
export async function startRedis(): Promise<RedisServer> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'wsherd-oracle-redis-'));
  const port = await freePort();
  let stderr = '';
  const child: ChildProcess = spawn(REDIS_BIN, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  await waitListening(port, child, () => stderr);
  const url = `redis://127.0.0.1:${port}`;
  const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await probe.connect();
    await probe.ping();
  } finally {
    probe.disconnect();
  }
  return {
    url,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = once(child, 'exit');
        child.kill('SIGKILL');
        await exited;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** One instance's end of the bus: publish a message to every instance (itself included). */
export interface BusEnd {
  publish(message: string): void;
  close(): Promise<void>;
}

/**
 * Joins an instance to the bus. With `redisUrl`, two ioredis clients (a subscriber connection cannot publish) on one
 * channel; resolves once SUBSCRIBE is acknowledged, so nothing published after the app is up can be missed. Without,
 * `local` holds every instance's handler and a publish calls them in turn.
 */
export async function joinBus(channel: string, onMessage: (message: string) => void, redisUrl: string | undefined, local: Array<(m: string) => void>): Promise<BusEnd> {
  if (redisUrl === undefined) {
    local.push(onMessage);
    return { publish: (m) => { for (const h of local) h(m); }, close: async () => {} };
  }
  // No reconnect storm when the test stops Redis before the app: an app that lost its bus fails its counts anyway.
  const opts = { maxRetriesPerRequest: 1, retryStrategy: () => null };
  const pub = new Redis(redisUrl, opts);
  const sub = new Redis(redisUrl, opts);
  for (const c of [pub, sub]) c.on('error', () => {});
  sub.on('message', (_ch: string, m: string) => onMessage(m));
  await sub.subscribe(channel);
  return {
    publish: (m) => void pub.publish(channel, m),
    close: async () => {
      pub.disconnect();
      sub.disconnect();
    },
  };
}

/** Adds `n` to `r[key]`. */
export function bump(r: Record<string, number>, key: string, n = 1): void {
  r[key] = (r[key] ?? 0) + n;
}

/** Sums records key by key. */
export function sumRecords(rs: ReadonlyArray<Record<string, number>>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of rs) for (const [k, v] of Object.entries(r)) bump(out, k, v);
  return out;
}
