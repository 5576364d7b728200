/**
 * `lab.backends.bus: redis`: the lab starts one real redis-server as a component, gives its URL to every backend
 * (a message published on b1 reaches a subscriber on b2), and nothing of it outlives the lab — stopped, aborted, or
 * its parent killed. A redis-server missing from PATH is a lab start failure naming the package.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readlinkSync } from 'node:fs';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { io } from 'socket.io-client';
import { startLab } from '../../src/lab/start.js';
import { ExitCode } from '../../src/exit-codes.js';
import type { LabSpec } from '../../src/scenario/types.js';
import { descendants, isAlive } from '../helpers/cli.js';
import { needBinary } from '../helpers/system.js';
import { until } from '../helpers/until.js';
import { AppClient } from '../backend/realtime-client.js';

const REDIS_SKIP = needBinary('/usr/bin/redis-server', 'redis-server');

const spec = (kind: 'ws' | 'socketio' = 'ws'): LabSpec => ({
  backends: { count: 2, kind, host: '127.0.0.1', bus: 'redis', ...(kind === 'ws' ? { pushIntervalMs: 50 } : {}) },
  proxy: { strategy: 'round-robin', mode: kind === 'ws' ? 'l4' : 'l7', host: '127.0.0.1' },
});

/** The redis-server's temporary directory: its working directory (its command line is rewritten to a title). */
function redisDir(pid: number): string {
  return readlinkSync(`/proc/${pid}/cwd`);
}

describe('lab.backends.bus: redis', { timeout: 60_000, skip: REDIS_SKIP }, () => {
  test('one redis-server joins the lab, the backends share it, and it is gone after stop()', async () => {
    const lab = await startLab(spec());
    const redis = lab.components.filter((c) => c.kind === 'redis');
    const r = redis[0] as (typeof redis)[number];
    let dir = '';
    try {
      assert.equal(redis.length, 1);
      assert.match(r.url, /^redis:\/\/127\.0\.0\.1:\d+$/);
      assert.equal(r.url, `redis://127.0.0.1:${r.port}`);
      assert.ok(isAlive(r.pid));
      dir = redisDir(r.pid);
      assert.match(dir, /wsherd-redis-/, 'its own temporary directory');
      const [b1, b2] = lab.components.filter((c) => c.kind === 'backend').map((c) => c.port);
      const [pub, sub] = await Promise.all([AppClient.open(b1 as number), AppClient.open(b2 as number)]);
      sub.send({ type: 'subscribe', topic: 'lab', id: 1 });
      await sub.answer('subscribed', 1);
      pub.send({ type: 'publish', topic: 'lab', data: 'across', id: 2 });
      await pub.answer('published', 2);
      await until('the cross-backend delivery', () => sub.of('message').length === 1);
      assert.deepEqual(sub.of('message'), [{ type: 'message', topic: 'lab', data: 'across', backend: 'b1' }]);
      // push_interval reached the backends through the same config path.
      sub.send({ type: 'auth', token: 't', id: 3 });
      await until('a push', () => sub.of('push').length > 0);
      const stats = (await lab.stats()).backends as unknown as Array<{ id: string; published: number; delivered: number }>;
      assert.deepEqual(stats.map((s) => [s.id, s.published, s.delivered]), [['b1', 1, 0], ['b2', 0, 1]]);
      await Promise.all([pub.close(), sub.close()]);
    } finally {
      await lab.stop();
    }
    assert.equal(isAlive(r.pid), false, 'redis-server stopped with the lab');
    assert.throws(() => process.kill(r.pid, 0), { code: 'ESRCH' }, 'and reaped');
    await until('its directory removed', () => !existsSync(dir));
  });

  test('socket.io backends get the bus too: a chat crosses backends', async () => {
    const lab = await startLab(spec('socketio'));
    try {
      const [p1, p2] = lab.components.filter((c) => c.kind === 'backend').map((c) => c.port);
      const [a, b] = [p1, p2].map((p) => io(`http://127.0.0.1:${p as number}`, { transports: ['websocket'], forceNew: true, reconnection: false }));
      const got: unknown[] = [];
      b?.on('chat', (c: unknown) => got.push(c));
      await a?.timeout(5000).emitWithAck('join', 'r');
      await b?.timeout(5000).emitWithAck('join', 'r');
      await a?.timeout(5000).emitWithAck('chat', { room: 'r', text: 'x' });
      await until('the chat on b2', () => got.length === 1);
      assert.deepEqual(got, [{ room: 'r', text: 'x', backend: 'b1' }]);
      a?.close();
      b?.close();
    } finally {
      await lab.stop();
    }
  });

  test('an abort while redis-server starts leaves no process behind', async () => {
    const before = new Set(descendants(process.pid));
    const abort = new AbortController();
    const starting = startLab(spec(), { signal: abort.signal });
    setImmediate(() => abort.abort());
    await assert.rejects(starting, { code: 'WSH_ERR_ABORTED' });
    assert.deepEqual(descendants(process.pid).filter((p) => !before.has(p) && isAlive(p)), []);
  });

  for (const signal of ['SIGKILL', 'SIGINT'] as const) {
    test(`the lab's parent killed by ${signal}: redis-server exits too`, async () => {
      const script = fileURLToPath(new URL('./helpers/bus-lab-parent.js', import.meta.url));
      const parent = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'ignore'] });
      try {
        let out = '';
        parent.stdout.setEncoding('utf8');
        parent.stdout.on('data', (d: string) => (out += d));
        await until('the lab pids', () => out.includes('\n'), 20_000);
        const pids = JSON.parse(out) as number[];
        assert.equal(pids.length, 4, 'redis, two backends, the proxy');
        assert.ok(pids.every(isAlive));
        const closed = once(parent, 'close');
        parent.kill(signal);
        await closed;
        // SIGKILL: the kernel's parent-death signal (setpriv --pdeathsig); SIGINT: the lab's cleanup.
        await until('every lab process gone', () => !pids.some(isAlive), 10_000);
      } finally {
        parent.kill('SIGKILL');
      }
    });
  }
});

describe('lab.backends.bus: redis without redis-server', () => {
  test('is a lab start failure that names the package, before any process starts', async () => {
    const path = process.env.PATH;
    const before = new Set(descendants(process.pid));
    process.env.PATH = '/nonexistent';
    try {
      await assert.rejects(startLab(spec()), (err: Error & { code?: string; exitCode?: number; hint?: string }) => {
        assert.equal(err.code, 'WSH_ERR_LAB_START');
        assert.equal(err.exitCode, ExitCode.LAB_FAILED);
        assert.equal(err.message, 'lab.backends.bus: redis needs redis-server, which is not on PATH: apt-get install redis-server');
        assert.match(err.hint ?? '', /apt-get install redis-server/);
        return true;
      });
    } finally {
      process.env.PATH = path;
    }
    assert.deepEqual(descendants(process.pid).filter((p) => !before.has(p)), []);
  });
});
