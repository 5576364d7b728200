import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { getJson } from '../../src/lab/http-json.js';
import { startLab } from '../../src/lab/start.js';
import type { ProxyStats } from '../../src/results/lab-types.js';
import type { LabSpec } from '../../src/scenario/types.js';
import { descendants, isAlive } from '../helpers/cli.js';

const spec = (count: number, strategy = 'round-robin'): LabSpec => ({
  backends: { count, kind: 'ws', host: '127.0.0.1' },
  proxy: { strategy, mode: 'l4', host: '127.0.0.1' },
});

/** Opens a WebSocket and resolves with it and the backend id of its hello frame. */
async function hello(url: string): Promise<{ ws: WebSocket; backend: string }> {
  const ws = new WebSocket(url);
  const [data] = (await once(ws, 'message')) as [Buffer];
  return { ws, backend: (JSON.parse(data.toString()) as { backend: string }).backend };
}

async function closeAll(sockets: WebSocket[]): Promise<void> {
  await Promise.all(sockets.map(async (ws) => {
    if (ws.readyState === WebSocket.CLOSED) return;
    const closed = once(ws, 'close');
    ws.close();
    await closed;
  }));
}

/** Polls `check` until it returns true or `ms` pass; returns the last result. */
async function eventually(check: () => boolean | Promise<boolean>, ms = 5000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return check();
}

/** Whether `pid` exists at all (a reaped child is gone: kill(pid, 0) throws ESRCH). */
function exists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Waits for the lab-parent helper's pids, kills the parent with `signal`, and expects every component gone. */
async function parentDiesBy(signal: NodeJS.Signals | 'crash', parent: ChildProcessByStdio<Writable, Readable, null>): Promise<void> {
  let out = '';
  parent.stdout.setEncoding('utf8');
  parent.stdout.on('data', (d: string) => (out += d));
  assert.ok(await eventually(() => out.includes('\n'), 15_000), 'the parent printed its lab pids');
  const pids = JSON.parse(out) as number[];
  assert.equal(pids.length, 3);
  assert.ok(pids.every(isAlive));
  if (signal === 'crash') parent.stdin.write('crash now\n');
  else parent.kill(signal);
  const [code, how] = (await once(parent, 'close')) as [number | null, NodeJS.Signals | null];
  if (signal === 'crash') assert.equal(code, 1, 'the parent died of its uncaught exception');
  else assert.equal(how, signal, 'the parent still dies by the signal');
  // Orphans are reparented; where nobody reaps them they stay zombies, which isAlive counts as gone.
  assert.ok(await eventually(() => !pids.some(isAlive), 10_000), `orphans still alive: ${pids.filter(isAlive).join(', ')}`);
}

describe('startLab', () => {
  test('3 backends behind round robin: 30 connections land 10 per backend, stats agree, stop() leaves no child', { timeout: 30_000 }, async () => {
    const lab = await startLab(spec(3));
    const pids = lab.components.map((c) => c.pid);
    try {
      assert.deepEqual(lab.components.map((c) => [c.id, c.kind]), [['b1', 'backend'], ['b2', 'backend'], ['b3', 'backend'], ['proxy', 'proxy']]);
      const proxy = lab.components[3];
      assert.equal(lab.entryUrl, proxy?.url);
      for (const c of lab.components) {
        assert.match(c.url, /^ws:\/\/127\.0\.0\.1:\d+\/$/);
        assert.match(c.adminUrl, /^http:\/\/127\.0\.0\.1:\d+\//);
        assert.notEqual(c.pid, process.pid, 'components run in their own processes');
      }
      assert.equal(new Set(pids).size, 4);

      const clients: WebSocket[] = [];
      const order: string[] = [];
      for (let i = 0; i < 30; i++) {
        const { ws, backend } = await hello(lab.entryUrl);
        clients.push(ws);
        order.push(backend);
      }
      assert.deepEqual(order, Array.from({ length: 30 }, (_, i) => `b${(i % 3) + 1}`));

      const stats = await lab.stats();
      assert.deepEqual(
        stats.backends.map((b) => [b.id, b.sessionsOpen, b.sessionsTotal]),
        [['b1', 10, 10], ['b2', 10, 10], ['b3', 10, 10]],
      );
      assert.deepEqual(stats.backends.map((b) => b.pid), pids.slice(0, 3));
      assert.equal(stats.proxy?.pid, pids[3]);
      assert.equal(stats.proxy?.strategy, 'round-robin');
      assert.equal(stats.proxy?.connectionsOpen, 30);
      assert.deepEqual(stats.proxy?.backends.map((b) => [b.id, b.active, b.total]), [['b1', 10, 10], ['b2', 10, 10], ['b3', 10, 10]]);
      assert.deepEqual(stats.proxy?.errors, {});

      await closeAll(clients);
      assert.ok(await eventually(async () => (await lab.stats()).backends.every((b) => b.sessionsOpen === 0)), 'sessions close at the backends');
    } finally {
      await lab.stop();
    }
    assert.deepEqual(pids.filter(exists), [], 'every component process is gone after stop()');
    await lab.stop(); // idempotent
  });

  test('a backend killed with SIGKILL: died resolves naming it; stop() still cleans up', { timeout: 30_000 }, async () => {
    const lab = await startLab(spec(2));
    try {
      const b2 = lab.components.find((c) => c.id === 'b2');
      assert.ok(b2);
      process.kill(b2.pid, 'SIGKILL');
      const reason = await lab.died;
      assert.match(reason, /backend b2/);
      assert.match(reason, new RegExp(`pid ${b2.pid}`));
      assert.match(reason, /SIGKILL/);
    } finally {
      await lab.stop();
    }
    assert.deepEqual(lab.components.map((c) => c.pid).filter(exists), []);
  });

  test('a dead backend does not break the entry: health checks mark it down, new connections go to the live ones', { timeout: 30_000 }, async () => {
    const lab = await startLab(spec(2));
    try {
      const b1 = lab.components.find((c) => c.id === 'b1');
      const proxyAdmin = lab.components.find((c) => c.id === 'proxy')?.adminUrl ?? '';
      assert.ok(b1);
      process.kill(b1.pid, 'SIGKILL');
      await lab.died;
      // The lab's tcp checks (1 s, fall 3) mark it down within a few seconds, with no client traffic at all.
      const b1Health = async (): Promise<string | undefined> => (await getJson<ProxyStats>(proxyAdmin)).backends.find((b) => b.id === 'b1')?.health;
      assert.ok(await eventually(async () => (await b1Health()) === 'down', 10_000), 'b1 marked down by the checks');
      const clients: WebSocket[] = [];
      for (let i = 0; i < 4; i++) {
        const { ws, backend } = await hello(lab.entryUrl);
        clients.push(ws);
        assert.equal(backend, 'b2');
      }
      await closeAll(clients);
    } finally {
      await lab.stop();
    }
  });

  for (const signal of ['SIGKILL', 'SIGTERM', 'SIGINT', 'crash'] as const) {
    const what = signal === 'crash' ? 'crashes (uncaught exception)' : `is killed by ${signal} (no handler of its own)`;
    test(`the parent ${what}: every component exits`, { timeout: 30_000 }, async () => {
      const script = fileURLToPath(new URL('./helpers/lab-parent.js', import.meta.url));
      const parent = spawn(process.execPath, [script, signal], { stdio: ['pipe', 'pipe', 'ignore'] });
      try {
        await parentDiesBy(signal, parent);
      } finally {
        parent.kill('SIGKILL');
      }
    });
  }

  test('an abort during start-up rejects WSH_ERR_ABORTED and kills what was started', { timeout: 30_000 }, async () => {
    const abort = new AbortController();
    const before = new Set(childPids());
    const starting = startLab(spec(3), { signal: abort.signal });
    setTimeout(() => abort.abort('SIGINT'), 20);
    await assert.rejects(starting, { code: 'WSH_ERR_ABORTED' });
    assert.deepEqual(childPids().filter((p) => !before.has(p)), [], 'no child left after an aborted start');
  });

  test('14 backends starting on one abort signal: no MaxListenersExceededWarning in the run\'s output', { timeout: 60_000 }, async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error): void => {
      warnings.push(w.name);
    };
    process.on('warning', onWarning);
    const abort = new AbortController();
    try {
      const lab = await startLab(spec(14), { signal: abort.signal });
      await lab.stop();
      // Node emits process warnings on the next tick.
      await new Promise((r) => setImmediate(r));
      assert.deepEqual(warnings.filter((w) => w === 'MaxListenersExceededWarning'), []);
    } finally {
      process.off('warning', onWarning);
    }
  });

  test('bad specs are refused before any process starts', async () => {
    await assert.rejects(startLab(spec(0)), { code: 'WSH_ERR_INVALID_INPUT', message: /count/ });
    await assert.rejects(startLab(spec(1, 'no-such-strategy')), { code: 'WSH_ERR_INVALID_INPUT', message: /no-such-strategy/ });
    await assert.rejects(startLab({ ...spec(1), proxy: { strategy: 'cookie', mode: 'l4', host: '127.0.0.1' } }), { code: 'WSH_ERR_INVALID_INPUT', message: /needs mode l7/ });
    await assert.rejects(startLab({ ...spec(1), proxy: { strategy: 'maglev', mode: 'l4', host: '127.0.0.1', options: { tableSize: 100 } } }), { code: 'WSH_ERR_INVALID_INPUT', message: /tableSize must be a prime/ });
  });
});

/** Pids of this process's live (non-zombie) children. */
function childPids(): number[] {
  return descendants(process.pid).filter(isAlive);
}
