/**
 * Regressions the fuzzer found, each kept as the input that broke it (issue 15, defect 5: "socket.io backend
 * keeps dead fds after malformed traffic through the engineio-sid proxy"). The oracle is the kernel: every fd of
 * the process must come back, and none may be a socket /proc/net no longer lists.
 *
 * Cause: an upgrade engine.io does not take (off its path) was answered by engine.io with a bare end() a second
 * later, on a socket nobody read. The bytes the client sent after the head stayed unread, so the FIN never
 * surfaced and Node kept the fd after the kernel had dropped the connection. The proxy did the same with its
 * upstream socket (bytes queued for a backend that had hung up) and its refusals (end() without reading).
 */
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Component } from './harness.js';
import { fdsOf } from './harness.js';
import { upgradeHead } from './gen-http.js';
import { proxy, socketIoBackend } from './listeners.js';
import { until } from '../helpers/until.js';

/** Upgrade head and 64 KiB in one write (the proxy passes the bytes that came with the head on at once). */
const OFF_PATH_UPGRADE = Buffer.concat([upgradeHead('/other/?EIO=4&transport=websocket'), Buffer.alloc(64 * 1024, 0x41)]);

/** Sends `bytes`, answers the server's FIN with ours, and resolves when the connection is closed (bounded). */
function sendAndFollow(port: number, bytes: Buffer): Promise<string> {
  return new Promise((resolve) => {
    let answer = '';
    const s = net.connect(port, '127.0.0.1', () => s.write(bytes));
    const timer = setTimeout(() => s.destroy(), 10_000);
    s.on('data', (d: Buffer) => (answer += d.toString('latin1')));
    s.on('end', () => s.end());
    s.on('error', () => {});
    s.on('close', () => {
      clearTimeout(timer);
      resolve(answer);
    });
  });
}

async function backToBaseline(c: Component, baseline: number, what: string): Promise<void> {
  const pid = c.child.pid as number;
  await until(`${what} fds back to ${baseline} (now ${JSON.stringify(fdsOf(pid))})`, () => fdsOf(pid).total <= baseline, 15_000, 50);
  assert.equal(fdsOf(pid).dead, 0, `${what} holds socket fds with no connection behind them`);
}

describe('regression: dead fds after off-path upgrades with bytes after the head (issue 15)', () => {
  let b1: Component;
  before(async () => {
    b1 = await socketIoBackend('b1');
  });
  after(() => b1?.stop());

  test('socket.io backend, direct: refused with 404, named, and every fd comes back', async () => {
    const base = fdsOf(b1.child.pid as number).total;
    const answers = await Promise.all(Array.from({ length: 5 }, () => sendAndFollow(b1.port, OFF_PATH_UPGRADE)));
    for (const a of answers) assert.match(a, /^HTTP\/1\.1 404 [^]*x-wsherd-backend: b1/i);
    await backToBaseline(b1, base, 'socket.io backend');
  });

  test('through the l7 engineio-sid proxy: the backend and the proxy get every fd back', async (t) => {
    const px = await proxy([b1], 'l7', 'engineio-sid');
    t.after(() => px.stop());
    const base = fdsOf(b1.child.pid as number).total;
    const pxBase = fdsOf(px.child.pid as number).total;
    await Promise.all(Array.from({ length: 5 }, () => sendAndFollow(px.port, OFF_PATH_UPGRADE)));
    await backToBaseline(b1, base, 'socket.io backend');
    await backToBaseline(px, pxBase, 'proxy');
  });

  test('proxy alone, against a backend that hangs up unread: the proxy gets every fd back', async (t) => {
    // What engine.io did before the fix, written plainly: never read, end after a moment.
    const sockets = new Set<net.Socket>();
    const rude = net.createServer((s) => {
      sockets.add(s);
      s.pause();
      s.on('error', () => {});
      setTimeout(() => s.end(), 100);
    });
    await new Promise<void>((r) => rude.listen(0, '127.0.0.1', r));
    t.after(() => {
      for (const s of sockets) s.destroy();
      rude.close();
    });
    const fake = { port: (rude.address() as net.AddressInfo).port } as Component;
    const px = await proxy([fake], 'l7', 'engineio-sid');
    t.after(() => px.stop());
    const pxBase = fdsOf(px.child.pid as number).total;
    const answers = await Promise.all(Array.from({ length: 5 }, () => sendAndFollow(px.port, Buffer.concat([upgradeHead('/socket.io/?EIO=4&transport=websocket'), Buffer.alloc(1024 * 1024, 0x41)]))));
    for (const a of answers) assert.match(a, /^HTTP\/1\.1 502 /);
    await backToBaseline(px, pxBase, 'proxy');
  });
});
