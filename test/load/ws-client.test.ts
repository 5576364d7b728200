import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { Harness } from './helpers/harness.js';
import { startEchoServer, type EchoServer } from './helpers/echo-server.js';
import { encodeMessage, decodeMessageSeq } from '../../src/backend/identity.js';
import { encodeMessageFast, seqFromBuffer } from '../../src/load/messages.js';

const servers: EchoServer[] = [];
after(async () => {
  for (const s of servers) await s.close();
});

async function server(opts: Parameters<typeof startEchoServer>[0]): Promise<EchoServer> {
  const s = await startEchoServer(opts);
  servers.push(s);
  return s;
}

describe('messages', () => {
  test('fast encoding equals identity.encodeMessage and decodes back', () => {
    for (const [seq, size] of [[0, 64], [12345, 64], [7, 5], [99, 1024], [1_000_000, 20]] as const) {
      const text = encodeMessageFast(seq, size);
      assert.equal(text, encodeMessage(seq, size));
      assert.equal(seqFromBuffer(Buffer.from(text)), seq);
      assert.equal(decodeMessageSeq(text), seq);
    }
    assert.equal(seqFromBuffer(Buffer.from('{"wsherd":"hello"}')), -1);
    assert.equal(seqFromBuffer(Buffer.from('wsherd:m:12x:')), -1);
  });
});

describe('WsClient', () => {
  test('attributes by header, measures connect/handshake/rtt, closes cleanly (client closes)', async () => {
    const s = await server({ id: 'b-header' });
    const h = new Harness({ messagesPerSecond: 20 });
    try {
      const c = h.client(s.url);
      await h.untilState(c, 'open');
      assert.equal(c.backend, 'b-header');
      // Wait for 8 echoes at 20/s rather than a fixed 600 ms a slow machine may not fill.
      await h.until('8 echoes', () => (h.totals.counters.messagesReceived ?? 0) >= 8);
      c.close();
      await h.ended_(c);
      const b = h.recorder.flush(0, { open: 0, backendsOpen: {}, lagMaxMs: 0, fds: 0 });
      assert.equal(b.counters.attempted, 1);
      assert.equal(b.counters.established, 1);
      assert.equal(b.counters.closedClean, 1);
      assert.equal(b.counters.dropped, 0);
      assert.ok(b.counters.messagesSent >= 8, `sent ${b.counters.messagesSent}`);
      assert.equal(b.counters.messagesReceived + b.counters.messagesLost, b.counters.messagesSent);
      assert.ok(b.counters.messagesReceived >= 8);
      assert.ok(b.counters.bytesSent >= 64 * 8);
      assert.deepEqual(b.backendsOpened, { 'b-header': 1 });
      assert.ok(b.hist.connect && b.hist.handshake && b.hist.rtt);
      assert.deepEqual(b.errors, {});
    } finally {
      h.stop();
    }
  });

  test('attributes by hello frame when the 101 has no header', async () => {
    const s = await server({ id: 'b-hello', header: false });
    const h = new Harness();
    try {
      const c = h.client(s.url);
      await h.untilState(c, 'open');
      const until = Date.now() + 2000;
      while (c.backend === undefined && Date.now() < until) await new Promise((r) => setTimeout(r, 5));
      assert.equal(c.backend, 'b-hello');
      c.close();
      await h.ended_(c);
      assert.deepEqual(h.recorder.flush(0, { open: 0, backendsOpen: {}, lagMaxMs: 0, fds: 0 }).backendsOpened, { 'b-hello': 1 });
    } finally {
      h.stop();
    }
  });

  test("'unknown' when the target says neither", async () => {
    const s = await server({ id: 'anon', header: false, hello: false });
    const h = new Harness();
    try {
      const c = h.client(s.url);
      await h.untilState(c, 'open');
      const until = Date.now() + 3000;
      while (c.backend === undefined && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
      assert.equal(c.backend, 'unknown');
      c.close();
      await h.ended_(c);
    } finally {
      h.stop();
    }
  });

  test("close: 'server' asks the server to close first and counts a clean end", async () => {
    const s = await server({ id: 'srv' });
    const h = new Harness({ close: 'server', messagesPerSecond: 5 });
    try {
      const c = h.client(s.url);
      await h.untilState(c, 'open');
      const started = Date.now();
      c.close();
      await h.ended_(c);
      assert.ok(Date.now() - started < 2000, 'the server closed well before the close wait ran out');
      const b = h.recorder.flush(0, { open: 0, backendsOpen: {}, lagMaxMs: 0, fds: 0 });
      assert.equal(b.counters.closedClean, 1);
      assert.equal(b.counters.dropped, 0);
    } finally {
      h.stop();
    }
  });

  test('messages outstanding past messageTimeoutMs count as lost', async () => {
    // A server that accepts the upgrade but never echoes.
    const { WebSocketServer } = await import('ws');
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await new Promise((r) => wss.once('listening', r));
    const port = (wss.address() as { port: number }).port;
    const h = new Harness({ messagesPerSecond: 20, messageTimeoutMs: 200 });
    try {
      const c = h.client(`ws://127.0.0.1:${port}/`);
      await h.untilState(c, 'open');
      await h.until('5 messages lost', () => (h.totals.counters.messagesLost ?? 0) >= 5);
      const mid = h.recorder.flush(0, { open: 1, backendsOpen: {}, lagMaxMs: 0, fds: 0 });
      assert.ok(mid.counters.messagesLost >= 5, `lost ${mid.counters.messagesLost}`);
      assert.equal(mid.counters.messagesReceived, 0);
      c.close();
      await h.ended_(c);
      const end = h.recorder.flush(1, { open: 0, backendsOpen: {}, lagMaxMs: 0, fds: 0 });
      assert.equal(
        mid.counters.messagesLost + end.counters.messagesLost,
        mid.counters.messagesSent + end.counters.messagesSent,
        'every message not echoed is lost, including those outstanding at close',
      );
    } finally {
      h.stop();
      for (const ws of wss.clients) ws.terminate();
      await new Promise((r) => wss.close(r));
    }
  });
});
