import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import WebSocket from 'ws';
import { ROOT, isAlive, runCli, startCli } from '../helpers/cli.js';

const fixture = (name: string): string => path.join(ROOT, 'test/fixtures/cli', name);

/** Resolves with stdout so far once it matches `re`; rejects if the process ends first or `ms` pass. */
function waitForOutput(child: ChildProcess, re: RegExp, ms = 20_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => finish(new Error(`no ${re} within ${ms} ms; stdout so far:\n${out}`)), ms);
    const onData = (d: Buffer): void => {
      out += d.toString();
      if (re.test(out)) finish();
    };
    const onClose = (): void => finish(new Error(`exited before printing ${re}; stdout:\n${out}`));
    function finish(err?: Error): void {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.off('close', onClose);
      if (err) reject(err);
      else resolve(out);
    }
    child.stdout?.on('data', onData);
    child.once('close', onClose);
  });
}

/** The pids in the PID column of the component table `lab up` prints. */
function componentPids(out: string): Map<string, number> {
  const pids = new Map<string, number>();
  for (const m of out.matchAll(/^\s+(\w+)\s+(?:backend|proxy)\s+(\d+)\s+ws:\/\//gm)) pids.set(m[1] ?? '', Number(m[2]));
  return pids;
}

describe('wsherd lab up (the real binary)', () => {
  test('prints the components and the entry URL, serves a client, and SIGINT tears it down with exit 130', { timeout: 60_000 }, async () => {
    const { child, done } = startCli(['lab', 'up', fixture('tiny-lab.yaml')]);
    try {
      const out = await waitForOutput(child, /^Entry: (ws:\/\/\S+)$/m);
      const entry = /^Entry: (ws:\/\/\S+)$/m.exec(out)?.[1] ?? '';
      const pids = componentPids(out);
      assert.deepEqual([...pids.keys()], ['b1', 'b2', 'proxy']);
      assert.ok([...pids.values()].every(isAlive));
      assert.match(out, /^\s+proxy\s+proxy\s+\d+\s+ws:\/\/127\.0\.0\.1:\d+\/\s+http:\/\/127\.0\.0\.1:\d+\/stats$/m);

      const ws = new WebSocket(entry);
      const [hello] = (await once(ws, 'message')) as [Buffer];
      assert.equal((JSON.parse(hello.toString()) as { backend: string }).backend, 'b1');
      ws.close();
      await once(ws, 'close');

      child.kill('SIGINT');
      const res = await done;
      assert.equal(res.code, 130, res.stderr);
      assert.match(res.stderr, /SIGINT: stopping the lab/);
      assert.deepEqual([...pids.values()].filter(isAlive), [], 'component processes outlived lab up');
    } finally {
      child.kill('SIGKILL');
    }
  });

  test('SIGTERM exits 143', { timeout: 60_000 }, async () => {
    const { child, done } = startCli(['lab', 'up', fixture('tiny-lab.yaml')]);
    try {
      const pids = componentPids(await waitForOutput(child, /^Entry: /m));
      child.kill('SIGTERM');
      const res = await done;
      assert.equal(res.code, 143, res.stderr);
      assert.deepEqual([...pids.values()].filter(isAlive), []);
    } finally {
      child.kill('SIGKILL');
    }
  });

  test('a scenario with a target instead of a lab: exit 2 and a message that says so', async () => {
    const res = await runCli(['lab', 'up', fixture('refused.yaml')]);
    assert.equal(res.code, 2, res.stderr);
    assert.match(res.stderr, /WSH_ERR_INVALID_INPUT.*refused\.yaml has no `lab` section \(it drives the external target ws:\/\/127\.0\.0\.1:9\/\)/);
    assert.doesNotMatch(res.stderr, /\n\s+at /);
  });
});

describe('wsherd backend and wsherd proxy (the real binary)', () => {
  test('a foreground backend behind a foreground proxy; both stop on signals', { timeout: 60_000 }, async () => {
    const backend = startCli(['backend', '--id', 'zed']);
    let proxy: ReturnType<typeof startCli> | undefined;
    try {
      const bOut = await waitForOutput(backend.child, /^Stats: /m);
      const backendUrl = /listening on (ws:\/\/\S+)/.exec(bOut)?.[1] ?? '';
      assert.match(backendUrl, /^ws:\/\/127\.0\.0\.1:[1-9]\d*\/$/);

      proxy = startCli(['proxy', '--backend', backendUrl]);
      const pOut = await waitForOutput(proxy.child, /^Admin: /m);
      const entry = /listening on (ws:\/\/\S+)/.exec(pOut)?.[1] ?? '';
      const admin = /^Admin: (http:\/\/\S+)$/m.exec(pOut)?.[1] ?? '';
      assert.match(admin, /^http:\/\/127\.0\.0\.1:\d+\/stats$/);

      const ws = new WebSocket(entry);
      let via = '';
      ws.once('upgrade', (res) => (via = String(res.headers['x-wsherd-backend'])));
      const [hello] = (await once(ws, 'message')) as [Buffer];
      assert.equal((JSON.parse(hello.toString()) as { backend: string }).backend, 'zed');
      assert.equal(via, 'zed');
      const stats = (await (await fetch(admin)).json()) as { backends: Array<{ id: string; active: number; total: number }> };
      assert.deepEqual(stats.backends.map((b) => [b.id, b.active, b.total]), [['b1', 1, 1]]);
      ws.close();
      await once(ws, 'close');

      proxy.child.kill('SIGTERM');
      assert.equal((await proxy.done).code, 143);
      backend.child.kill('SIGINT');
      assert.equal((await backend.done).code, 130);
    } finally {
      proxy?.child.kill('SIGKILL');
      backend.child.kill('SIGKILL');
    }
  });

  test('bad proxy input exits 2 with the reason', async () => {
    const res = await runCli(['proxy', '--backend', 'ws://127.0.0.1:9001/some/path']);
    assert.equal(res.code, 2);
    assert.match(res.stderr, /only ws:\/\/host:port is allowed/);
    const unknown = await runCli(['proxy', '--backend', '127.0.0.1:9001', '--strategy', 'nope']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /Unknown strategy "nope"\. Valid strategies: round-robin/);
  });
});
