/**
 * Source ports named by the worker (src/load/source-ports.ts). The oracle is a plain `ws` server of the test's own:
 * it reports the remote port of every upgrade it accepted, so a port the kernel picked instead would show.
 */
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { once } from 'node:events';
import { WebSocketServer } from 'ws';
import { SourcePorts, ephemeralRange, reservedPorts } from '../../src/net/source-ports.js';
import { Harness } from './helpers/harness.js';
import { LeanWsClient } from '../../src/load/ws-lean.js';

describe('SourcePorts', () => {
  test('workers take disjoint residue classes of the range, reserved ports left out', () => {
    const reserved = new Set([40002, 40003]);
    const shares = [0, 1, 2].map((id) => SourcePorts.forWorker(id, 3, [40000, 40029], reserved));
    const seen = new Set<number>();
    for (const s of shares) {
      for (let lease = s.take('127.0.1.1'); lease !== 0; lease = s.take('127.0.1.1')) {
        const port = s.portOf(lease);
        assert.ok(port >= 40000 && port <= 40029 && !reserved.has(port), `port ${port}`);
        assert.ok(!seen.has(port), `port ${port} named twice`);
        seen.add(port);
      }
    }
    assert.equal(seen.size, 28);
    assert.deepEqual(shares.map((s) => s.size), [9, 10, 9]);
  });

  test('a port stays taken until released; the cursor goes round, each address has its own share', () => {
    const s = new SourcePorts(Uint16Array.from([50000, 50001, 50002]));
    const a = [s.take('a'), s.take('a'), s.take('a')];
    assert.deepEqual(a.map((l) => s.portOf(l)), [50000, 50001, 50002]);
    assert.equal(s.take('a'), 0, 'the share is all taken: the kernel picks');
    assert.equal(s.portOf(s.take('b')), 50000, 'another address has its own share');
    s.release(a[1] as number);
    s.release(a[1] as number);
    assert.equal(s.portOf(s.take('a')), 50001);
    assert.equal(s.take('a'), 0, 'a double release frees one port, not two');
  });

  test('reads the kernel range and reserved ports; bad text falls back to the default range', () => {
    assert.deepEqual(ephemeralRange('1024\t65000\n'), [1024, 65000]);
    assert.deepEqual(ephemeralRange('garbage'), [32768, 60999]);
    assert.deepEqual(ephemeralRange('60000 50000'), [32768, 60999]);
    assert.deepEqual([...reservedPorts('8080,9000-9002\n')], [8080, 9000, 9001, 9002]);
    assert.equal(reservedPorts('').size, 0);
    const [lo, hi] = ephemeralRange();
    assert.ok(lo >= 1 && hi <= 65535 && lo <= hi);
  });
});

describe('lean client on named source ports', () => {
  const closers: (() => void)[] = [];
  after(() => {
    for (const c of closers) c();
  });

  async function oracle(): Promise<{ url: string; port: number; remotes: string[] }> {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await once(wss, 'listening');
    const remotes: string[] = [];
    wss.on('connection', (ws, req) => {
      remotes.push(`${req.socket.remoteAddress}:${req.socket.remotePort}`);
      ws.on('error', () => {});
    });
    closers.push(() => {
      for (const c of wss.clients) c.terminate();
      wss.close();
    });
    const port = (wss.address() as net.AddressInfo).port;
    return { url: `ws://127.0.0.1:${port}/`, port, remotes };
  }

  test('the server sees exactly the ports the worker named, and they are free again after the close', async () => {
    const [lo, hi] = ephemeralRange();
    // Three ports of the range a kernel search would be unlikely to land on in this order.
    const named = [hi - 3, lo + 17, hi - 101];
    const ports = new SourcePorts(Uint16Array.from(named));
    const o = await oracle();
    const h = new Harness({}, false, ports);
    try {
      const clients = [0, 1, 2].map(() => h.client(o.url, '127.0.1.7'));
      for (const c of clients) await h.untilState(c, 'open');
      assert.deepEqual(o.remotes, named.map((p) => `127.0.1.7:${p}`));
      assert.equal(ports.take('127.0.1.7'), 0, 'all three taken while held');
      for (const c of clients) c.close();
      for (const c of clients) await h.ended_(c);
      assert.notEqual(ports.take('127.0.1.7'), 0, 'released when the connections ended');
      assert.equal(h.totals.counters.failed ?? 0, 0);
    } finally {
      h.stop();
    }
  });

  test('a named port another socket holds towards the same server: one redial on the kernel\'s pick, no failure', async () => {
    const [, hi] = ephemeralRange();
    const port = hi - 7;
    const o = await oracle();
    // A socket of the test's own holds 127.0.1.8:port → the server; the client is told to name the same port.
    const squatter = net.connect({ host: '127.0.0.1', port: o.port, localAddress: '127.0.1.8', localPort: port });
    squatter.on('error', () => {});
    await once(squatter, 'connect');
    closers.push(() => squatter.destroy());
    const ports = new SourcePorts(Uint16Array.from([port]));
    const h = new Harness({}, false, ports);
    try {
      const c = h.client(o.url, '127.0.1.8') as LeanWsClient;
      await h.untilState(c, 'open');
      assert.equal(h.totals.counters.portRedials, 1);
      assert.equal(h.totals.counters.failed ?? 0, 0);
      assert.equal(h.totals.counters.attempted, 1, 'one attempt, dialled twice');
      const remote = o.remotes.at(-1) as string;
      assert.ok(remote.startsWith('127.0.1.8:'), remote);
      assert.notEqual(remote, `127.0.1.8:${port}`, 'the second dial is on another port');
      assert.notEqual(ports.take('127.0.1.8'), 0, 'the collided port went back to the share');
      c.close();
      await h.ended_(c);
    } finally {
      h.stop();
    }
  });
});
