import { afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { once } from 'node:events';
import WebSocket, { WebSocketServer } from 'ws';
import { runInNetns } from '../helpers/netns.js';
import { startProxy } from '../../src/proxy/server.js';
import { ephemeralRange } from '../../src/net/source-ports.js';
import { stats } from './live.js';

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

describe('L7 proxy limits', () => {
  test('out of local ports (private netns, 4-port range): 503 upstream-ports-exhausted, counted per source', { timeout: 15_000 }, async (t) => {
    // Everything runs inside the namespace; listeners and clients use fixed ports outside the tiny range. The
    // backend holds every request, so each one needs its own upstream connection (keep-alive cannot reuse).
    const serverUrl = new URL('../../src/proxy/server.js', import.meta.url).href;
    const script = `
      import http from 'node:http';
      import net from 'node:net';
      const { startProxy } = await import(${JSON.stringify(serverUrl)});
      const held = [];
      const be = http.createServer((req, res) => { req.resume(); held.push(res); });
      await new Promise((r) => be.listen(9001, '127.0.0.1', r));
      const p = await startProxy({ mode: 'l7', strategy: 'round-robin', port: 9002, adminPort: 9003, sourceAddresses: ['127.0.0.2'],
        backends: [{ id: 'b1', host: '127.0.0.1', port: 9001 }] });
      const socks = [];
      const one = (i) => new Promise((resolve) => {
        const s = net.connect({ port: 9002, host: '127.0.0.1', localAddress: '127.0.0.1', localPort: 50000 + i });
        socks.push(s); s.on('error', () => {});
        let text = '';
        s.on('data', (c) => { text += c.toString('latin1'); if (text.includes('\\r\\n\\r\\n')) resolve(text); });
        s.once('close', () => resolve(text || 'closed'));
        s.write('GET / HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n');
      });
      const pending = Array.from({ length: 6 }, (_, i) => one(i));
      const deadline = Date.now() + 5000;
      while (held.length < 4 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      for (const res of held) res.end('ok');
      const answers = await Promise.all(pending);
      const results = answers.map((a) => [Number(a.split(' ')[1]), /x-wsherd-reason: ([^\\r]*)/i.exec(a)?.[1] ?? null]);
      const st = p.stats();
      process.stdout.write(JSON.stringify({ results, held: held.length, errors: st.errors, b1: st.backends[0] }) + '\\n');
      for (const s of socks) s.destroy();
      await p.close();
      be.closeAllConnections();
      be.close();`;
    const run = await runInNetns(script, '40000 40003', (kill) => cleanups.push(kill));
    if (run.unavailable !== undefined) {
      t.skip(run.unavailable);
      return;
    }
    const out = run.out;
    const r = JSON.parse(out) as {
      results: Array<[number, string | null]>;
      held: number;
      errors: Record<string, number>;
      b1: { failures: number; sourceErrors: Record<string, number> };
    };
    assert.equal(r.held, 4, 'four ports, four upstream connections');
    const sorted = [...r.results].sort((a, b) => a[0] - b[0]);
    assert.deepEqual(sorted, [[200, null], [200, null], [200, null], [200, null], [503, 'upstream-ports-exhausted'], [503, 'upstream-ports-exhausted']], JSON.stringify(r));
    const own = (r.errors['upstream_connect_EADDRINUSE'] ?? 0) + (r.errors['upstream_connect_EADDRNOTAVAIL'] ?? 0);
    assert.equal(own, 2, JSON.stringify(r.errors));
    assert.deepEqual(r.b1.sourceErrors, { '127.0.0.2': 2 });
    assert.equal(r.b1.failures, 0, 'running out of ports is never held against the backend');
  });

  test('upgrades on named source ports: the backend sees them; a port already held towards it is dialled again', { timeout: 15_000 }, async () => {
    const [lo] = ephemeralRange();
    // The oracle: a plain ws server of the test's own, noting each upgrade's remote address and port.
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await once(wss, 'listening');
    const seen: string[] = [];
    wss.on('connection', (ws, req) => {
      seen.push(`${req.socket.remoteAddress}:${req.socket.remotePort}`);
      ws.on('error', () => {});
    });
    const port = (wss.address() as net.AddressInfo).port;
    const squatter = net.connect({ host: '127.0.0.1', port, localAddress: '127.0.0.14', localPort: lo + 1 });
    squatter.on('error', () => {});
    await once(squatter, 'connect');
    const proxy = await startProxy({ mode: 'l7', strategy: 'round-robin', backends: [{ id: 'b1', host: '127.0.0.1', port }], sourceAddresses: ['127.0.0.14'], sourcePorts: 'named' });
    const clients: WebSocket[] = [];
    cleanups.push(() => {
      for (const c of clients) c.terminate();
      squatter.destroy();
      void proxy.close();
      for (const c of wss.clients) c.terminate();
      wss.close();
    });
    for (let i = 0; i < 3; i++) {
      const ws = new WebSocket(`ws://127.0.0.1:${proxy.port}/`);
      clients.push(ws);
      await once(ws, 'open');
    }
    const ports = seen;
    assert.equal(ports.length, 3);
    assert.equal(ports[0], `127.0.0.14:${lo}`);
    assert.ok(ports[1]?.startsWith('127.0.0.14:') && ports[1] !== `127.0.0.14:${lo + 1}`, `the second dial took another port: ${ports[1]}`);
    assert.equal(ports[2], `127.0.0.14:${lo + 2}`);
    const st = await stats(proxy.adminPort);
    assert.equal(st.errors['upstream_port_redial'], 1);
    assert.equal(st.backends[0]?.failures, 0);
  });
});
