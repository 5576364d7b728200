/**
 * Oracle for the lean ws client (src/load/ws-lean.ts), and the `ws` library's client beside it (behavior.ws_client:
 * library): servers of the test's own count what happened — a plain `ws` server (not wsherd's backend) counts
 * connections, messages, bytes, pongs and the close codes it receives; raw net servers answer a handshake wrongly —
 * and wsherd's figures must EQUAL their counts, and the two clients must agree with each other.
 */
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { CLOSE_REQUEST } from '../../src/backend/identity.js';
import type { Closer, WsClientName } from '../../src/scenario/types.js';
import { Harness, type AnyWsClient } from '../load/helpers/harness.js';
import { until } from '../helpers/until.js';
import { needBinary } from '../helpers/system.js';

const CLIENTS: readonly WsClientName[] = ['lean', 'library'];
const N = 4;
/** An extra binary answer over 64 KiB: more than one read of the shared 64 KiB buffer, so the codec joins it. */
const BIG = 70 * 1024;

const cleanups: (() => Promise<void> | void)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

interface Counts {
  connections: number;
  received: number;
  echoes: number;
  /** Payload bytes of every data frame the server wrote (echoes and extras). */
  bytesOut: number;
  extras: number;
  pings: number;
  pongs: number;
  closeCodes: number[];
  open: number;
}

/**
 * Echoes every message; every third echo leaves in three fragments; after each connection's 5th message, one
 * 70 KiB binary frame and one short text that is not an echo; pings every 30 ms. CLOSE_REQUEST: closes with 1000.
 * `dropAfter`: closes with 4001 after that many messages (an unplanned end).
 */
async function echoServer(dropAfter?: number, tlsFiles?: { key: Buffer; cert: Buffer }): Promise<{ url: string; c: Counts }> {
  const c: Counts = { connections: 0, received: 0, echoes: 0, bytesOut: 0, extras: 0, pings: 0, pongs: 0, closeCodes: [], open: 0 };
  const https = tlsFiles === undefined ? undefined : createHttpsServer(tlsFiles);
  const wss = https === undefined ? new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false }) : new WebSocketServer({ server: https, perMessageDeflate: false });
  wss.on('connection', (ws: WebSocket) => {
    c.connections++;
    c.open++;
    let n = 0;
    const ping = setInterval(() => {
      if (ws.readyState !== ws.OPEN) return;
      ws.ping(Buffer.from('p'));
      c.pings++;
    }, 30);
    ws.on('pong', () => c.pongs++);
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      c.received++;
      if (!isBinary && data.toString() === CLOSE_REQUEST) {
        ws.close(1000);
        return;
      }
      if (ws.readyState !== ws.OPEN) return;
      n++;
      if (dropAfter !== undefined && n >= dropAfter) {
        ws.close(4001, 'dropped by the test');
        return;
      }
      if (n % 3 === 0) {
        const a = Math.floor(data.length / 3);
        ws.send(data.subarray(0, a), { fin: false, binary: isBinary });
        ws.send(data.subarray(a, 2 * a), { fin: false, binary: isBinary });
        ws.send(data.subarray(2 * a), { fin: true, binary: isBinary });
      } else {
        ws.send(data, { binary: isBinary });
      }
      c.echoes++;
      c.bytesOut += data.length;
      if (n === 5) {
        ws.send(Buffer.alloc(BIG, 7), { binary: true });
        ws.send('not an echo');
        c.extras += 2;
        c.bytesOut += BIG + 'not an echo'.length;
      }
    });
    ws.on('close', (code: number) => {
      clearInterval(ping);
      c.closeCodes.push(code);
      c.open--;
    });
  });
  if (https !== undefined) {
    await new Promise<void>((r) => https.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise<void>((r) => {
      for (const ws of wss.clients) ws.terminate();
      https.close(() => r());
    }));
    return { url: `wss://127.0.0.1:${(https.address() as AddressInfo).port}/`, c };
  }
  await new Promise<void>((r) => wss.once('listening', r));
  cleanups.push(() => new Promise<void>((r) => {
    for (const ws of wss.clients) ws.terminate();
    wss.close(() => r());
  }));
  return { url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/`, c };
}

function totals(h: Harness) {
  const b = h.recorder.flush(0, { open: 0, backendsOpen: {}, lagMaxMs: 0, fds: 0 });
  return { counters: b.counters, errors: b.errors, samples: b.errorSamples ?? {}, opened: b.backendsOpened };
}

async function runEcho(wsClient: WsClientName, close: Closer, tlsFiles?: { key: Buffer; cert: Buffer }): Promise<{ c: Counts; t: ReturnType<typeof totals> }> {
  const s = await echoServer(undefined, tlsFiles);
  const h = new Harness({ wsClient, close, messagesPerSecond: 100, payloadBytes: 300 }, tlsFiles !== undefined);
  try {
    const clients: AnyWsClient[] = [];
    for (let i = 0; i < N; i++) clients.push(h.client(s.url));
    // Each connection past its 5th message (so it got the large and the other frame) and a few pongs back.
    await until('20 messages a connection and pongs', () => s.c.received >= N * 20 && s.c.pongs >= N * 2, 10_000);
    await until('every ping answered', () => s.c.pongs === s.c.pings, 5000);
    for (const c of clients) c.close();
    for (const c of clients) await h.ended_(c);
    await until('the server saw every close', () => s.c.open === 0, 8000);
    return { c: s.c, t: totals(h) };
  } finally {
    h.stop();
  }
}

describe('oracle: the ws clients against a plain ws server', () => {
  for (const wsClient of CLIENTS) {
    for (const close of ['client', 'client-fin', 'server'] as const) {
      test(`${wsClient}, close ${close}: connections, messages, bytes, frames and close codes equal the server's counts`, async () => {
        const { c, t } = await runEcho(wsClient, close);
        const k = t.counters;
        assert.equal(c.connections, N);
        assert.equal(k.attempted, N);
        assert.equal(k.established, N);
        assert.equal(k.closedClean, N);
        assert.equal(k.dropped ?? 0, 0);
        assert.deepEqual(t.errors, {});
        assert.deepEqual(t.opened, { unknown: N }, 'no backend header, no hello: unknown');
        // The server's received messages include the close requests (close: server), which wsherd does not count.
        assert.equal(k.messagesSent, c.received - (close === 'server' ? N : 0));
        // Answers to the last sends may still be on the way when a client-fin client goes: those are lost, not received.
        assert.equal((k.messagesReceived ?? 0) + (k.messagesLost ?? 0), k.messagesSent);
        if (close !== 'client-fin') {
          assert.equal(k.messagesReceived, c.echoes);
          assert.equal(k.framesOther, c.extras);
          assert.equal(k.bytesReceived, c.bytesOut);
        }
        assert.equal(k.framesOther, c.extras);
        const expected = close === 'client-fin' ? 1006 : 1000;
        assert.deepEqual(c.closeCodes, Array<number>(N).fill(expected), `the server's close codes: ${JSON.stringify(c.closeCodes)}`);
      });
    }

    test(`${wsClient}, wss:// (reads through TLS): messages, bytes and frames equal the server's counts`, async (t) => {
      const missing = needBinary('/usr/bin/openssl', 'openssl');
      if (missing !== false) return t.skip(missing);
      const dir = mkdtempSync(path.join(tmpdir(), 'wsherd-lean-tls-'));
      cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
      execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost',
        '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem')], { stdio: 'ignore' });
      const { c, t: r } = await runEcho(wsClient, 'client', { key: readFileSync(path.join(dir, 'key.pem')), cert: readFileSync(path.join(dir, 'cert.pem')) });
      const k = r.counters;
      assert.equal(k.established, N);
      assert.equal(k.closedClean, N);
      assert.equal(k.messagesSent, c.received);
      assert.equal(k.messagesReceived, c.echoes);
      assert.equal(k.framesOther, c.extras);
      assert.equal(k.bytesReceived, c.bytesOut);
      assert.deepEqual(c.closeCodes, Array<number>(N).fill(1000));
    });

    test(`${wsClient}: a server closing with 4001 → dropped, close_4001, once per connection`, async () => {
      const s = await echoServer(8);
      const h = new Harness({ wsClient, messagesPerSecond: 100, payloadBytes: 64 });
      try {
        const clients: AnyWsClient[] = [];
        for (let i = 0; i < N; i++) clients.push(h.client(s.url));
        for (const c of clients) await h.ended_(c);
        await until('the server saw every close', () => s.c.open === 0, 8000);
        const t = totals(h);
        assert.equal(t.counters.dropped, N);
        assert.deepEqual(t.errors, { close_4001: N });
        assert.deepEqual(s.c.closeCodes, Array<number>(N).fill(4001), 'the client answered with the same code');
      } finally {
        h.stop();
      }
    });
  }
});

/** A raw server that answers every request head with `reply` (then, when `end`, closes). */
async function rawServer(reply: (req: string) => string | undefined, end: boolean): Promise<string> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    let head = '';
    s.on('data', (d: Buffer) => {
      head += d.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      const r = reply(head);
      if (r !== undefined) s.write(r);
      if (end) s.end();
    });
    s.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(() => new Promise<void>((r) => {
    for (const s of sockets) s.destroy();
    server.close(() => r());
  }));
  return `ws://127.0.0.1:${(server.address() as AddressInfo).port}/`;
}

async function outcome(wsClient: WsClientName, url: string) {
  const h = new Harness({ wsClient });
  try {
    const c = h.client(url);
    await h.ended_(c);
    return totals(h);
  } finally {
    h.stop();
  }
}

describe('oracle: handshakes answered wrongly (raw servers of the test own)', () => {
  const cases: { name: string; reply: (req: string) => string | undefined; end: boolean; code: string; sample?: RegExp }[] = [
    {
      name: 'a 101 with a wrong Sec-WebSocket-Accept',
      reply: () => 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: AAAAAAAAAAAAAAAAAAAAAAAAAAA=\r\n\r\n',
      end: false,
      code: 'other',
    },
    {
      name: 'a 403 with x-wsherd-reason',
      reply: () => 'HTTP/1.1 403 Forbidden\r\nx-wsherd-reason: no backend for you\r\nContent-Length: 0\r\n\r\n',
      end: false,
      code: 'http_403',
      sample: /HTTP 403 instead of 101 \(x-wsherd-reason: no backend for you\)/,
    },
    {
      name: 'a 503 naming its server',
      reply: () => 'HTTP/1.1 503 Service Unavailable\r\nServer: haproxy\r\nContent-Length: 0\r\n\r\n',
      end: false,
      code: 'http_503',
      sample: /\(server: haproxy\)/,
    },
    { name: 'a close in the middle of the handshake', reply: () => 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n', end: true, code: 'ECONNRESET' },
    { name: 'a close before any answer', reply: () => undefined, end: true, code: 'ECONNRESET' },
  ];
  for (const k of cases) {
    test(`${k.name} → ${k.code}, the same for both clients`, async () => {
      const url = await rawServer(k.reply, k.end);
      const seen: Record<string, string> = {};
      for (const wsClient of CLIENTS) {
        const t = await outcome(wsClient, url);
        assert.deepEqual(t.errors, { [k.code]: 1 }, `${wsClient}: ${JSON.stringify(t.errors)}`);
        assert.equal(t.counters.failed, 1);
        assert.equal(t.counters.established ?? 0, 0);
        if (k.sample !== undefined) assert.match(t.samples[k.code] ?? '', k.sample, wsClient);
        seen[wsClient] = Object.keys(t.errors).join();
      }
      assert.equal(seen['lean'], seen['library']);
    });
  }
});
