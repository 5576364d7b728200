/**
 * The bench's own WebSocket client (child process of bench/proxy-vs-haproxy.ts, pinned by the parent to the core
 * the proxies do not use). wsherd's load engine is open loop; a proxy's saturated throughput needs a closed loop:
 * each connection sends its next message when the echo of the last one came back. Raw `net` sockets, the upgrade
 * written once, one frame buffer reused for every send, so the client costs as little CPU per echo as it can.
 *
 * Messages are binary frames of `payload` bytes: the reference backend echoes binary frames as they are and sends
 * its hello as text, so counting binary frames counts echoes and nothing else. Driven over IPC (ToClient /
 * FromClient): open → closed-loop or rate → mark … mark (each returns counts and round trips since the last) → exit.
 */
import net from 'node:net';
import { performance } from 'node:perf_hooks';

export interface Target { host: string; port: number }

export type ToClient =
  | { cmd: 'open'; targets: Target[]; connections: number; payload: number; inFlight: number }
  | { cmd: 'closed-loop' }
  | { cmd: 'rate'; perSecond: number }
  | { cmd: 'mark' }
  | { cmd: 'exit' };

export type FromClient =
  | { ev: 'opened'; open: number; failed: number; ms: number }
  | { ev: 'mark'; at: number; echoes: number; sent: number; errors: number; rtt: { count: number; p50: number; p99: number; max: number } }
  | { ev: 'started' };

const KEY = 'd3NoZXJkLWJlbmNoLWtleQ=='; // 16 bytes, base64 (RFC 6455 §4.1); the proxies and ws never check its origin

interface Conn {
  sock: net.Socket;
  /** Bytes of the frame being parsed, when a chunk ended mid-header. */
  partial: Buffer | undefined;
  /** Payload bytes of the current frame still to skip. */
  skip: number;
  /** Binary (echo) or not (the hello). */
  binary: boolean;
  /** Send times (performance.now) of messages not yet echoed, oldest first. */
  sent: number[];
}

const conns: Conn[] = [];
let frame: Buffer = Buffer.alloc(0);
let mode: 'idle' | 'closed' | 'rate' = 'idle';
let echoes = 0;
let sentCount = 0;
let errors = 0;
let rtts: number[] = [];
let recordRtt = false;

const send = (m: FromClient): void => {
  process.send?.(m);
};

/** A masked binary frame (mask key 0: RFC 6455 wants it unpredictable, but no server checks; XOR with 0 is a no-op). */
function makeFrame(payload: number): Buffer {
  if (payload > 125) throw new Error('payload must be ≤ 125 bytes');
  const b = Buffer.alloc(6 + payload, 0x61);
  b[0] = 0x82;
  b[1] = 0x80 | payload;
  b.writeUInt32BE(0, 2);
  return b;
}

function onEcho(c: Conn): void {
  echoes++;
  const t0 = c.sent.shift();
  if (recordRtt && t0 !== undefined) rtts.push(performance.now() - t0);
  if (mode === 'closed') transmit(c);
}

function transmit(c: Conn): void {
  if (recordRtt) c.sent.push(performance.now());
  else c.sent.length = 0; // closed loop without latency: nothing to remember
  sentCount++;
  c.sock.write(frame);
}

/** Walks the server's frames in `chunk` (unmasked, RFC 6455 §5.2), counting complete binary ones. */
function parse(c: Conn, chunk: Buffer): void {
  const buf = c.partial === undefined ? chunk : Buffer.concat([c.partial, chunk]);
  c.partial = undefined;
  let i = 0;
  for (;;) {
    if (c.skip > 0) {
      const n = Math.min(c.skip, buf.length - i);
      c.skip -= n;
      i += n;
      if (c.skip > 0) return;
      if (c.binary) onEcho(c);
    }
    if (i >= buf.length) return;
    if (buf.length - i < 2) break;
    const len7 = (buf[i + 1] ?? 0) & 0x7f;
    const hdr = len7 === 126 ? 4 : len7 === 127 ? 10 : 2;
    if (buf.length - i < hdr) break;
    const len = len7 === 126 ? buf.readUInt16BE(i + 2) : len7 === 127 ? Number(buf.readBigUInt64BE(i + 2)) : len7;
    c.binary = ((buf[i] ?? 0) & 0x0f) === 0x2;
    i += hdr;
    c.skip = len;
    if (len === 0 && c.binary) onEcho(c);
  }
  c.partial = Buffer.from(buf.subarray(i));
}

function connect(t: Target): Promise<Conn | undefined> {
  return new Promise((resolve) => {
    const sock = net.connect({ host: t.host, port: t.port, noDelay: true });
    const c: Conn = { sock, partial: undefined, skip: 0, binary: false, sent: [] };
    let head: Buffer = Buffer.alloc(0);
    let upgraded = false;
    const fail = (): void => {
      if (!upgraded) resolve(undefined);
      else errors++;
      sock.destroy();
    };
    sock.setTimeout(10_000, fail);
    sock.on('error', fail);
    sock.on('close', () => {
      if (upgraded && mode !== 'idle') errors++;
    });
    sock.on('connect', () => {
      sock.write(`GET / HTTP/1.1\r\nHost: ${t.host}:${t.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${KEY}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
    });
    sock.on('data', (chunk: Buffer) => {
      if (upgraded) {
        parse(c, chunk);
        return;
      }
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      if (!head.subarray(0, 12).toString('latin1').startsWith('HTTP/1.1 101')) {
        fail();
        return;
      }
      upgraded = true;
      sock.setTimeout(0);
      resolve(c);
      if (head.length > end + 4) parse(c, head.subarray(end + 4));
    });
  });
}

async function open(m: Extract<ToClient, { cmd: 'open' }>): Promise<void> {
  frame = makeFrame(m.payload);
  const t0 = performance.now();
  let next = 0;
  let failed = 0;
  // At most `inFlight` handshakes at a time: enough to open quickly, never a burst that times out.
  const worker = async (): Promise<void> => {
    while (next < m.connections) {
      const k = next++;
      const c = await connect(m.targets[k % m.targets.length] as Target);
      if (c) conns.push(c);
      else failed++;
    }
  };
  await Promise.all(Array.from({ length: Math.min(m.inFlight, m.connections) }, worker));
  send({ ev: 'opened', open: conns.length, failed, ms: performance.now() - t0 });
}

/** Open loop at `perSecond` in all: a 1 ms tick sends what is due, round robin over the connections. */
function startRate(perSecond: number): void {
  mode = 'rate';
  recordRtt = true;
  const t0 = performance.now();
  let due = 0;
  let k = 0;
  const tick = (): void => {
    if (mode !== 'rate') return;
    const target = Math.floor(((performance.now() - t0) / 1000) * perSecond);
    for (; due < target && conns.length > 0; due++) transmit(conns[k++ % conns.length] as Conn);
    setTimeout(tick, 1);
  };
  tick();
}

function mark(): FromClient {
  const sorted = Float64Array.from(rtts).sort();
  const q = (p: number): number => (sorted.length === 0 ? NaN : (sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? NaN));
  const out: FromClient = { ev: 'mark', at: performance.now(), echoes, sent: sentCount, errors, rtt: { count: sorted.length, p50: q(0.5), p99: q(0.99), max: sorted[sorted.length - 1] ?? NaN } };
  rtts = [];
  return out;
}

process.on('message', (m: ToClient) => {
  if (m.cmd === 'open') void open(m);
  else if (m.cmd === 'closed-loop') {
    mode = 'closed';
    for (const c of conns) transmit(c);
    send({ ev: 'started' });
  } else if (m.cmd === 'rate') {
    startRate(m.perSecond);
    send({ ev: 'started' });
  } else if (m.cmd === 'mark') send(mark());
  else {
    mode = 'idle';
    for (const c of conns) c.sock.destroy();
    process.disconnect();
  }
});
process.on('disconnect', () => {
  mode = 'idle';
  for (const c of conns) c.sock.destroy();
});
