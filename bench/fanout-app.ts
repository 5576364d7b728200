/**
 * The fan-out bench's server, in its own process (forked by bench/flows.ts): the part of a pub/sub app the
 * generator is measured against, kept cheap so that the generator — not the server — is what saturates on a
 * 2-core box ("generator side alone"). Plain `ws` does the handshakes and parses what clients send; a publish is
 * framed ONCE (unmasked server frame) and queued to every subscriber, and each subscriber's queue is written every
 * `--batch-ms` in one socket write, as realtime servers flushing per tick do. So the server pays one write per
 * subscriber per tick, and the generator receives several deliveries per read, as it does from any loaded server.
 * Protocol (the reference realtime app's subset): {type: subscribe, topic, id?} → {type: subscribed, topic, re};
 * {type: publish, topic, data} → {type: message, topic, data} to every other subscriber of the topic.
 * IPC: sends {port}; on {cmd: 'totals'} answers {totals: {deliveries, publishes}, firstDeliveryMs, lastDeliveryMs};
 * on {cmd: 'reset'} zeroes its counts.
 */
import type { Socket } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

const batchMs = Number(process.env['WSHERD_BENCH_BATCH_MS'] ?? 20);
const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
const topics = new Map<string, Set<WebSocket>>();
const queues = new Map<Socket, Buffer[]>();
const counts = { deliveries: 0, publishes: 0 };
let first = 0;
let last = 0;

wss.on('connection', (ws) => {
  ws.on('message', (data, isBinary) => {
    if (isBinary) return;
    let m: { type?: unknown; topic?: unknown; data?: unknown; id?: unknown };
    try {
      m = JSON.parse(String(data)) as typeof m;
    } catch {
      return;
    }
    const topic = typeof m.topic === 'string' ? m.topic : '';
    if (m.type === 'subscribe') {
      let subs = topics.get(topic);
      if (subs === undefined) topics.set(topic, (subs = new Set()));
      subs.add(ws);
      ws.once('close', () => subs?.delete(ws));
      ws.send(JSON.stringify({ type: 'subscribed', topic, ...(m.id === undefined ? {} : { re: m.id }) }));
    } else if (m.type === 'publish') {
      counts.publishes++;
      const body = Buffer.from(JSON.stringify({ type: 'message', topic, data: m.data }));
      const frame = textFrame(body);
      for (const sub of topics.get(topic) ?? []) {
        if (sub === ws) continue;
        const raw = (sub as unknown as { _socket: Socket })._socket;
        let q = queues.get(raw);
        if (q === undefined) queues.set(raw, (q = []));
        q.push(frame);
      }
    }
  });
});

const flush = setInterval(() => {
  if (queues.size === 0) return;
  for (const [raw, q] of queues) {
    if (raw.destroyed) continue;
    raw.write(q.length === 1 ? (q[0] as Buffer) : Buffer.concat(q));
    // Counted when written (not when queued): a subscriber gone before the flush was never sent them.
    counts.deliveries += q.length;
  }
  queues.clear();
  const now = Date.now();
  if (first === 0) first = now;
  last = now;
}, batchMs);

process.on('message', (m: { cmd: string }) => {
  if (m.cmd === 'totals') process.send?.({ totals: { ...counts, echoed: 0 }, firstDeliveryMs: first, lastDeliveryMs: last });
  if (m.cmd === 'reset') {
    counts.deliveries = 0;
    counts.publishes = 0;
    first = 0;
    last = 0;
  }
});
process.on('disconnect', () => {
  clearInterval(flush);
  wss.close(() => process.exit(0));
  for (const c of wss.clients) c.terminate();
});
/** An unmasked final text frame (RFC 6455 §5.2), as a server sends it. */
function textFrame(body: Buffer): Buffer {
  const n = body.length;
  const head = n < 126 ? Buffer.from([0x81, n]) : n < 65536 ? Buffer.from([0x81, 126, n >> 8, n & 0xff]) : Buffer.concat([Buffer.from([0x81, 127]), bigLength(n)]);
  return Buffer.concat([head, body]);
}

function bigLength(n: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(n));
  return b;
}

wss.on('listening', () => process.send?.({ port: (wss.address() as { port: number }).port }));
