/**
 * A client that goes away while the proxy is still connecting to its backend says nothing about the backend.
 * Found by the fuzz suite (issue 15): inputs that reset their connection right after a request made the L7
 * request path destroy its pending upstream request, Node reported that as ECONNRESET "socket hang up" before
 * the connect, and the proxy booked it as a failed connect: the backend went into its failure cooldown, and
 * with both backends cooling, well-behaved clients got 503 no-backend. A client sending garbage must never be
 * able to mark a healthy backend down.
 *
 * The oracle is the kernel: the backend is a listener whose accept queue is full (/proc/net/tcp shows it), so
 * the proxy's connect stays in SYN_SENT (also read from /proc/net/tcp) while the client aborts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { until } from '../helpers/until.js';
import { l7Proxy, Scope } from './l7-live.js';

const scope = new Scope();
afterEach(() => scope.closeAll());

/** TCP sockets in /proc/net/tcp with their state (hex, e.g. 0A LISTEN, 02 SYN_SENT) and queues (a LISTEN row's rx: connections waiting for accept). */
function tcpTable(): Array<{ local: number; remote: number; state: string; tx: number; rx: number }> {
  return readFileSync('/proc/net/tcp', 'latin1')
    .split('\n')
    .slice(1)
    .filter((l) => l.trim() !== '')
    .map((l) => {
      const f = l.trim().split(/\s+/);
      const port = (addr: string | undefined): number => parseInt(addr?.split(':')[1] ?? '0', 16);
      const [tx, rx] = (f[4] ?? '0:0').split(':').map((h) => parseInt(h, 16));
      return { local: port(f[1]), remote: port(f[2]), state: f[3] ?? '', tx: tx ?? 0, rx: rx ?? 0 };
    });
}

/**
 * A backend that accepts nothing: a child process listens with backlog 1 and blocks its event loop, so the
 * kernel queues the first connections and then drops SYNs (connects stay pending). Resolves with its port.
 */
async function blackHole(): Promise<{ port: number; child: ChildProcess }> {
  const script =
    "const s=require('net').createServer();s.listen({host:'127.0.0.1',port:0,backlog:1},()=>{process.stdout.write(s.address().port+'\\n');" +
    'Atomics.wait(new Int32Array(new SharedArrayBuffer(4)),0,0);});';
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  scope.add(() => {
    child.kill('SIGKILL');
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout?.once('data', (d: Buffer) => resolve(Number(d.toString().trim())));
    child.once('exit', (code) => reject(new Error(`black-hole backend exited with ${code}`)));
  });
  // Fill the accept queue: its length is the LISTEN row's rx_queue, and Linux holds backlog + 1 connections
  // there before it drops SYNs. One filler at a time, each once the previous one is queued.
  const queued = (): number => tcpTable().find((r) => r.local === port && r.state === '0A')?.rx ?? 0;
  const fillers: net.Socket[] = [];
  scope.add(() => fillers.forEach((s) => s.destroy()));
  await until('the black hole accept queue to be full', () => {
    const n = queued();
    if (n >= 2) return true;
    if (fillers.length <= n) {
      const s = net.connect(port, '127.0.0.1');
      s.on('error', () => {});
      fillers.push(s);
    }
    return false;
  });
  return { port, child };
}

describe('L7 proxy: a client abort is not a backend failure', () => {
  test('a request whose client resets while the upstream connect is pending leaves the backend up', async () => {
    const hole = await blackHole();
    const proxy = await l7Proxy(scope, [{ id: 'b1', port: hole.port }], { strategy: 'cookie', connectTimeoutMs: 60_000 });
    // Fillers still in SYN_SENT (if any) are not the proxy's connect.
    const before = new Set(tcpTable().filter((r) => r.remote === hole.port && r.state === '02').map((r) => r.local));
    const connecting = (): boolean => tcpTable().some((r) => r.remote === hole.port && r.state === '02' && !before.has(r.local));

    const client = net.connect(proxy.port, '127.0.0.1', () => client.write('GET / HTTP/1.1\r\nHost: x\r\nCookie: WSHERDID=b1.forged\r\n\r\n'));
    client.on('error', () => {});
    await until('the proxy to be connecting to b1 (SYN_SENT in /proc/net/tcp)', connecting);
    client.resetAndDestroy();

    const b1 = (): NonNullable<ReturnType<typeof proxy.stats>['backends'][number]> => {
      const b = proxy.stats().backends[0];
      assert.ok(b !== undefined);
      return b;
    };
    // The upstream socket's close releases its port: by then the proxy has handled the aborted connect.
    await until('the abandoned upstream connect to be closed', () => b1().active === 0 && Object.keys(b1().ports ?? {}).length === 0);
    const s = proxy.stats();
    assert.equal(s.errors['client_aborted'], 1, JSON.stringify(s.errors));
    assert.equal(s.errors['upstream_connect_failed'], undefined, `no connect failure booked: ${JSON.stringify(s.errors)}`);
    assert.equal(b1().failures, 0, 'b1 failures');
    assert.equal(b1().health, 'up', 'b1 still up');
    assert.equal(b1().healthy, true);
  });
});
