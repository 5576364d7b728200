import { afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { startProxy } from '../../src/proxy/server.js';
import { parseSourceArgs } from '../../src/proxy/upstream.js';
import { ephemeralRange } from '../../src/net/source-ports.js';
import { eventually, stats } from './live.js';
import { runInNetns } from '../helpers/netns.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((c) => c()));
});

/** A TCP echo backend that records the source address of every connection it accepts. */
async function echoBackend(): Promise<{ port: number; sources: string[]; remotes: string[] }> {
  const sources: string[] = [];
  const remotes: string[] = [];
  const conns = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sources.push(s.remoteAddress ?? '');
    remotes.push(`${s.remoteAddress}:${s.remotePort}`);
    conns.add(s);
    s.on('close', () => conns.delete(s));
    s.on('error', () => {});
    s.pipe(s);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  cleanups.push(async () => {
    for (const c of conns) c.destroy();
    await new Promise((r) => server.close(r));
  });
  return { port: (server.address() as net.AddressInfo).port, sources, remotes };
}

/** Connects, sends a line and resolves true when it comes back, false when the proxy closes the client first. */
function echoes(port: number, keep: net.Socket[]): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    keep.push(s);
    s.on('error', () => {});
    s.once('close', () => resolve(false));
    s.once('data', () => resolve(true));
    s.write('ping\n');
  });
}

function stillEchoes(s: net.Socket): Promise<boolean> {
  return new Promise((resolve) => {
    s.once('close', () => resolve(false));
    s.once('data', () => resolve(true));
    s.write('again\n');
  });
}

function destroyAll(socks: net.Socket[]): void {
  for (const s of socks.splice(0)) s.destroy();
}

describe('proxy limits', () => {
  test('--source ranges: parsed within one /24; non-local or malformed addresses are refused', () => {
    assert.deepEqual(parseSourceArgs(['127.0.0.2-127.0.0.4']), ['127.0.0.2', '127.0.0.3', '127.0.0.4']);
    assert.deepEqual(parseSourceArgs(['127.0.0.8-9', '127.0.0.2', '127.0.0.2']), ['127.0.0.8', '127.0.0.9', '127.0.0.2']);
    assert.throws(() => parseSourceArgs(['8.8.8.8']), { code: 'WSH_ERR_INVALID_INPUT', message: /8\.8\.8\.8 not local IPv4/ });
    assert.throws(() => parseSourceArgs(['127.0.0.2-127.0.1.3']), { message: /same \/24/ });
    assert.throws(() => parseSourceArgs(['127.0.0.9-127.0.0.2']), { message: /upwards/ });
    assert.throws(() => parseSourceArgs(['localhost']), { message: /expected a\.b\.c\.d/ });
  });

  test('source pool: upstream connects come from every source address, admin shows ports per source', async () => {
    const backend = await echoBackend();
    const proxy = await startProxy({
      strategy: 'round-robin',
      backends: [{ id: 'b1', host: '127.0.0.1', port: backend.port }],
      sourceAddresses: ['127.0.0.2', '127.0.0.3'],
    });
    cleanups.push(() => proxy.close());
    const socks: net.Socket[] = [];
    cleanups.push(() => destroyAll(socks));
    for (let i = 0; i < 4; i++) assert.equal(await echoes(proxy.port, socks), true);
    assert.deepEqual([...new Set(backend.sources)].sort(), ['127.0.0.2', '127.0.0.3']);
    const b1 = (await stats(proxy.adminPort)).backends[0];
    assert.deepEqual(b1?.ports, { '127.0.0.2': 2, '127.0.0.3': 2 });
    destroyAll(socks);
    assert.ok(await eventually(async () => Object.keys((await stats(proxy.adminPort)).backends[0]?.ports ?? { x: 1 }).length === 0), 'ports are released on close');
  });

  test('source_ports named: the pool names the source ports (the backend sees them); a named port already held towards the backend is dialled again', async () => {
    const [lo] = ephemeralRange();
    const backend = await echoBackend();
    // A socket of the test's own holds 127.0.0.13:lo+2 towards the backend: the proxy's third connect names that port.
    const squatter = net.connect({ host: '127.0.0.1', port: backend.port, localAddress: '127.0.0.13', localPort: lo + 2 });
    squatter.on('error', () => {});
    await once(squatter, 'connect');
    cleanups.push(() => {
      squatter.destroy();
    });
    const proxy = await startProxy({ strategy: 'round-robin', backends: [{ id: 'b1', host: '127.0.0.1', port: backend.port }], sourceAddresses: ['127.0.0.13'], sourcePorts: 'named' });
    cleanups.push(() => proxy.close());
    const socks: net.Socket[] = [];
    cleanups.push(() => destroyAll(socks));
    for (let i = 0; i < 4; i++) assert.equal(await echoes(proxy.port, socks), true, `client ${i} echoes`);
    const seen = backend.remotes.slice(1);
    assert.deepEqual(seen.slice(0, 2), [`127.0.0.13:${lo}`, `127.0.0.13:${lo + 1}`], 'the first ports of the range, in order');
    assert.equal(seen.length, 4);
    assert.ok(!seen.includes(`127.0.0.13:${lo + 2}`), 'the held port was not used twice');
    assert.equal(seen[3], `127.0.0.13:${lo + 3}`, 'the cursor went on past the collided port');
    const s = await stats(proxy.adminPort);
    assert.equal(s.errors['upstream_port_redial'], 1);
    assert.equal(s.backends[0]?.failures, 0, 'a collision is never held against the backend');
  });

  test('a 2-worker cluster: each worker names ports of its own half of the range, so none collide', { timeout: 30_000 }, async () => {
    const [lo] = ephemeralRange();
    const backend = await echoBackend();
    const proxy = await startProxy({ strategy: 'round-robin', workers: 2, backends: [{ id: 'b1', host: '127.0.0.1', port: backend.port }], sourceAddresses: ['127.0.0.15'], sourcePorts: 'named' });
    cleanups.push(() => proxy.close());
    const socks: net.Socket[] = [];
    cleanups.push(() => destroyAll(socks));
    for (let i = 0; i < 24; i++) assert.equal(await echoes(proxy.port, socks), true, `client ${i} echoes`);
    const ports = backend.remotes.map((r) => Number(r.split(':')[1]));
    assert.equal(new Set(ports).size, 24, 'every upstream connection on its own port');
    // Each worker names lo + id, lo + id + 2, …: per class, the first ports of it in order (whichever worker the
    // kernel handed each accept to).
    for (const c of [0, 1]) {
      const mine = ports.filter((p) => (p - lo) % 2 === c);
      assert.deepEqual(mine, mine.map((_, i) => lo + c + 2 * i), `class ${c}: ${mine.join(',')}`);
    }
    const s = await stats(proxy.adminPort);
    assert.equal(s.errors['upstream_port_redial'] ?? 0, 0);
  });

  test('maxconn 3: the 4th client is closed and counted, the first three keep echoing', async () => {
    const backend = await echoBackend();
    const proxy = await startProxy({ strategy: 'round-robin', backends: [{ id: 'b1', host: '127.0.0.1', port: backend.port }], maxconn: 3 });
    cleanups.push(() => proxy.close());
    const socks: net.Socket[] = [];
    cleanups.push(() => destroyAll(socks));
    for (let i = 0; i < 3; i++) assert.equal(await echoes(proxy.port, socks), true);
    assert.equal(await echoes(proxy.port, socks), false);
    const s = await stats(proxy.adminPort);
    assert.equal(s.maxconnRefused, 1);
    assert.equal(s.connectionsOpen, 3);
    for (const sock of socks.slice(0, 3)) assert.equal(await stillEchoes(sock), true);
    socks[0]?.destroy();
    assert.ok(await eventually(async () => (await stats(proxy.adminPort)).connectionsOpen === 2));
    assert.equal(await echoes(proxy.port, socks), true, 'a slot freed by a close is taken again');
  });

  test('out of fds (prlimit --nofile=80): the proxy survives, counts refusals, keeps old clients and recovers', { timeout: 30_000 }, async (t) => {
    const backend = await echoBackend();
    const child = await spawnLimitedProxy(backend.port, 80);
    cleanups.push(() => {
      child.proc.kill('SIGKILL');
    });
    if (!child.ok) {
      t.skip(`prlimit unavailable: ${child.reason}`);
      return;
    }
    const existing: net.Socket[] = [];
    const flood: net.Socket[] = [];
    cleanups.push(() => destroyAll(existing));
    cleanups.push(() => destroyAll(flood));
    for (let i = 0; i < 5; i++) assert.equal(await echoes(child.port, existing), true);

    // 80 fds hold about 30 relayed connections: 60 more clients run the proxy out of fds.
    const results = await Promise.all(Array.from({ length: 60 }, () => echoes(child.port, flood)));
    assert.ok(results.includes(false), 'some clients were refused');
    assert.ok(child.proc.exitCode === null && child.proc.signalCode === null, 'the proxy is still running');
    for (const s of existing) assert.equal(await stillEchoes(s), true, 'connections it had keep working');

    destroyAll(flood);
    const fresh: net.Socket[] = [];
    cleanups.push(() => destroyAll(fresh));
    assert.ok(await eventually(() => echoes(child.port, fresh), 10_000), 'new clients succeed once fds are free');
    const s = await stats(child.adminPort);
    assert.ok(s.acceptsRefused >= results.filter((ok) => !ok).length, `refusals counted: ${s.acceptsRefused}, ${JSON.stringify(s.errors)}`);
    assert.ok((s.errors['accept_EMFILE'] ?? 0) > 0, JSON.stringify(s.errors));
    assert.equal(s.process.fdLimit, 80);
    assert.equal(s.backends[0]?.failures, 0, 'running out of fds is never held against the backend');
  });

  test('out of local ports (private netns, 4-port ip_local_port_range): counted per source, clients closed', { timeout: 15_000 }, async (t) => {
    // Everything runs inside the namespace; listeners and clients use fixed ports outside the tiny range.
    const serverUrl = new URL('../../src/proxy/server.js', import.meta.url).href;
    const script = `
      import net from 'node:net';
      const { startProxy } = await import(${JSON.stringify(serverUrl)});
      const conns = [];
      const be = net.createServer((s) => { conns.push(s); s.on('error', () => {}); s.pipe(s); });
      await new Promise((r) => be.listen(9001, '127.0.0.1', r));
      const p = await startProxy({ strategy: 'round-robin', port: 9002, adminPort: 9003, sourceAddresses: ['127.0.0.2'],
        backends: [{ id: 'b1', host: '127.0.0.1', port: 9001 }] });
      const socks = [];
      const one = () => new Promise((resolve) => {
        const s = net.connect({ port: 9002, host: '127.0.0.1', localAddress: '127.0.0.1', localPort: 50000 + socks.length });
        socks.push(s); s.on('error', () => {});
        s.once('close', () => resolve(false)); s.once('data', () => resolve(true)); s.write('x');
      });
      const results = [];
      for (let i = 0; i < 6; i++) results.push(await one());
      const st = p.stats();
      process.stdout.write(JSON.stringify({ results, errors: st.errors, b1: st.backends[0] }) + '\\n');
      for (const s of socks) s.destroy();
      for (const c of conns) c.destroy();
      await p.close();
      be.close();`;
    const run = await runInNetns(script, '40000 40003', (kill) => cleanups.push(kill));
    if (run.unavailable !== undefined) {
      t.skip(run.unavailable);
      return;
    }
    const out = run.out;
    const r = JSON.parse(out) as { results: boolean[]; errors: Record<string, number>; b1: { failures: number; ports: Record<string, number>; sourceErrors: Record<string, number> } };
    assert.deepEqual(r.results, [true, true, true, true, false, false], 'four ports, four upstream connections');
    assert.equal(r.errors['upstream_connect_EADDRINUSE'], 2);
    assert.deepEqual(r.b1.sourceErrors, { '127.0.0.2': 2 });
    assert.deepEqual(r.b1.ports, { '127.0.0.2': 4 });
    assert.equal(r.b1.failures, 0, 'running out of ports is never held against the backend');
  });
});

interface LimitedProxy {
  proc: ChildProcess;
  ok: boolean;
  reason: string;
  port: number;
  adminPort: number;
}

/** Runs the proxy in a child under `prlimit --nofile=n:n`; it prints its ports as one JSON line. */
async function spawnLimitedProxy(backendPort: number, n: number): Promise<LimitedProxy> {
  const serverUrl = new URL('../../src/proxy/server.js', import.meta.url).href;
  const script = `
    const { startProxy } = await import(${JSON.stringify(serverUrl)});
    const p = await startProxy({ strategy: 'round-robin', backends: [{ id: 'b1', host: '127.0.0.1', port: ${backendPort} }] });
    process.stdout.write(JSON.stringify({ port: p.port, adminPort: p.adminPort }) + '\\n');`;
  const proc = spawn('prlimit', [`--nofile=${n}:${n}`, process.execPath, '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  proc.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  const lines = createInterface({ input: proc.stdout! });
  const first = await Promise.race([
    once(lines, 'line').then(([l]) => String(l)),
    once(proc, 'exit').then(() => undefined),
    once(proc, 'error').then(() => undefined),
  ]);
  if (first === undefined) return { proc, ok: false, reason: stderr.trim() || 'exited', port: 0, adminPort: 0 };
  const { port, adminPort } = JSON.parse(first) as { port: number; adminPort: number };
  return { proc, ok: true, reason: '', port, adminPort };
}
