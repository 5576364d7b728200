import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { existsSync, readdirSync } from 'node:fs';
import { startProbeSampler } from '../../src/probes/sampler.js';
import { tcpServer } from '../helpers/tcp-server.js';

test('samples the process fds and its sockets every interval', async (t) => {
  const server = await tcpServer();
  t.after(() => server.close());
  const { port } = server;
  await server.connect();

  const sampler = await startProbeSampler({ components: [{ id: 'me', pid: process.pid }], ports: [port], intervalMs: 200 });
  await sleep(2500);
  // The fd count (from the directory's size on Linux ≥ 6.2) against a listing of /proc/self/fd, taken now.
  const listed = readdirSync('/proc/self/fd').length;
  const probes = sampler.stop();
  const count = probes.series.length;
  const lastFds = probes.series.at(-1)?.components['me']?.fds ?? -1;
  assert.ok(Math.abs(lastFds - listed) <= 3, `sampled ${lastFds} fds, /proc/self/fd lists ${listed}`);
  await sleep(300);
  assert.equal(probes.series.length, count, 'no samples after stop()');

  assert.equal(probes.intervalMs, 200);
  assert.equal(probes.socketSource, existsSync('/usr/bin/ss') ? 'netlink' : 'proc');
  assert.ok(probes.series.every((p) => typeof p.socketReadMs === 'number' && p.socketReadMs >= 0), 'each point says how long its socket read took');
  assert.equal(probes.portRange.length, 2);
  assert.ok(count >= 5, `${count} points`);
  assert.equal(probes.series[0]?.t, 0);
  // CPU only grows; this test process has used some.
  const cpu = probes.series.map((p) => p.components['me']?.cpuSeconds ?? -1);
  assert.ok(cpu.every((c, i) => c > 0 && (i === 0 || c >= (cpu[i - 1] ?? 0))), JSON.stringify(cpu));
  for (const p of probes.series) {
    const me = p.components['me'];
    assert.ok(me !== undefined && me.fds > 0 && me.fdLimit > 0 && me.rssBytes > 0, JSON.stringify(p));
    assert.deepEqual(p.pairs.find((x) => x.remote === `127.0.0.1:${port}`), { local: '127.0.0.1', remote: `127.0.0.1:${port}`, established: 1, timeWait: 0, other: 0 });
  }
});

test('a component whose process is gone yields -1, not an exception', async () => {
  const sampler = await startProbeSampler({ components: [{ id: 'gone', pid: 2 ** 22 + 1 }], ports: [1], intervalMs: 1000 });
  const probes = sampler.stop();
  assert.deepEqual(probes.series[0]?.components['gone'], { fds: -1, fdLimit: -1, rssBytes: -1, cpuSeconds: -1 });
  assert.deepEqual(probes.series[0]?.pairs, []);
});

test('cpuSeconds counts a process\'s children too (a proxy\'s workers)', { timeout: 30_000 }, async () => {
  const { spawn } = await import('node:child_process');
  const { cpuSeconds } = await import('../../src/probes/proc.js');
  // A child that burns 400 ms of CPU (its own measure, not wall time: on a busy machine 400 ms of wall time may
  // hold much less CPU), says so, then idles until killed.
  const burn = 'const c = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };'
    + ' while (c() < 400); process.stdout.write("burnt\\n"); setInterval(() => {}, 1000);';
  const child = spawn(process.execPath, ['-e', burn], { stdio: ['ignore', 'pipe', 'ignore'] });
  try {
    await once(child.stdout!, 'data');
    const own = cpuSeconds(child.pid as number);
    assert.ok(own >= 0.2, `child used ${own} s`);
    assert.ok(cpuSeconds(process.pid) >= own, 'the parent\'s total includes the child');
  } finally {
    child.kill('SIGKILL');
  }
});
