/**
 * One generator process of `npm run bench -- lean` (bench/lean-client.ts): opens N connections of one kind to the
 * echo server, with at most IN_FLIGHT handshakes at a time (the same pacing for every kind), tells the parent when
 * it is at its baseline and when all are open (the parent samples /proc then), and in `rate` mode sends at a fixed
 * rate and reports the round trips.
 *
 * Kinds: `lean` (LeanWsClient) and `library` (WsClient), each driven as a worker drives it (one Recorder, one
 * TimerWheel advanced every 10 ms); `floor`, a plain `ws` client of a few lines (the floor: one WebSocket and
 * a timer per connection).
 *
 * argv: kind url n mode(hold|rate) [rate msg/s] [seconds] [wheel tick ms, default 10]
 */
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import { Recorder } from '../src/metrics/recorder.js';
import { TimerWheel } from '../src/load/wheel.js';
import type { LoadClient } from '../src/load/client.js';
import { WsClient, type ClientContext } from '../src/load/ws-client.js';
import { LeanWsClient } from '../src/load/ws-lean.js';
import type { Behavior } from '../src/scenario/types.js';

const IN_FLIGHT = 256;
const [kind = 'lean', url = '', nText = '1000', mode = 'hold', rateText = '40', secondsText = '10', tickText = '10'] = process.argv.slice(2);
/** The wheel's tick, ms: 10 as the worker's; smaller spreads the sends due within 10 ms over that many ticks. */
const tickMs = Number(tickText);
const n = Number(nText);
const rate = mode === 'rate' ? Number(rateText) : 0;
const seconds = Number(secondsText);

const send = (m: unknown): void => {
  process.send?.(m);
};
const gc = (): void => (globalThis as { gc?: () => void }).gc?.();

async function settle(): Promise<void> {
  gc();
  await new Promise((r) => setTimeout(r, 300));
  gc();
}

const rtts: number[] = [];

/** Opens the wsherd clients of `kind`; resolves when all are open (or failed: counted). */
function openWsherd(): Promise<{ clients: LoadClient[]; failed: () => number }> {
  const recorder = new Recorder();
  const record = recorder.record.bind(recorder);
  recorder.record = (name, micros) => {
    if (name === 'rtt') rtts.push(micros / 1000);
    record(name, micros);
  };
  const wheel = new TimerWheel(tickMs, 2048, performance.now());
  setInterval(() => wheel.advance(performance.now()), tickMs);
  const behavior: Behavior = {
    messagesPerSecond: rate, payloadBytes: 64, close: 'client-fin',
    connectTimeoutMs: 30_000, handshakeTimeoutMs: 30_000, messageTimeoutMs: 30_000,
    wsClient: kind === 'library' ? 'library' : 'lean',
  };
  let failed = 0;
  let done = 0;
  let next = 0;
  const clients: LoadClient[] = [];
  return new Promise((resolve) => {
    const startOne = (): void => {
      if (next >= n) return;
      const slot = next++;
      const c = kind === 'library' ? new WsClient(ctx, slot) : new LeanWsClient(ctx, slot);
      clients.push(c);
      c.start(url);
    };
    const ctx: ClientContext = {
      behavior, recorder, wheel, insecure: false,
      onEnd: () => {
        failed++;
        settled();
      },
    };
    const settled = (): void => {
      done++;
      if (done === n) resolve({ clients, failed: () => failed });
      else startOne();
    };
    // Established is seen by polling the recorder's count: the clients have no open callback of their own.
    const established = recorder.count.bind(recorder);
    recorder.count = (name, k = 1) => {
      established(name, k);
      if (name === 'established') settled();
    };
    for (let i = 0; i < Math.min(IN_FLIGHT, n); i++) startOne();
  });
}

/** The floor: a plain ws client per connection, a setInterval per connection when sending. */
function openFloor(): Promise<{ clients: WebSocket[]; failed: () => number }> {
  let failed = 0;
  let done = 0;
  let next = 0;
  const clients: WebSocket[] = [];
  return new Promise((resolve) => {
    const settled = (): void => {
      done++;
      if (done === n) resolve({ clients, failed: () => failed });
      else startOne();
    };
    const startOne = (): void => {
      if (next >= n) return;
      next++;
      const ws = new WebSocket(url, { perMessageDeflate: false });
      clients.push(ws);
      ws.on('open', settled);
      ws.on('error', () => {
        failed++;
        settled();
      });
    };
    for (let i = 0; i < Math.min(IN_FLIGHT, n); i++) startOne();
  });
}

function floorSend(clients: WebSocket[]): void {
  const interval = 1000 / rate;
  for (const ws of clients) {
    const sent = new Map<number, number>();
    let seq = 0;
    ws.on('message', (d: Buffer) => {
      const s = Number(d.toString('latin1', 0, d.indexOf(0x3a)));
      const t = sent.get(s);
      if (t !== undefined) {
        sent.delete(s);
        rtts.push(performance.now() - t);
      }
    });
    setTimeout(() => {
      setInterval(() => {
        const s = seq++;
        sent.set(s, performance.now());
        ws.send(`${s}:${'x'.repeat(58)}`);
      }, interval);
    }, Math.random() * interval);
  }
}

async function main(): Promise<void> {
  await settle();
  const cpu0 = process.cpuUsage();
  send({ phase: 'baseline', heapUsed: process.memoryUsage().heapUsed });
  await new Promise<void>((r) => process.once('message', () => r()));
  const t0 = performance.now();
  let failed: () => number;
  let floor: WebSocket[] | undefined;
  if (kind === 'floor') {
    const o = await openFloor();
    failed = o.failed;
    floor = o.clients;
  } else {
    failed = (await openWsherd()).failed;
  }
  const openMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  await settle();
  const mem = process.memoryUsage();
  send({ phase: 'open', openMs, failed: failed(), cpuS: (cpu.user + cpu.system) / 1e6, heapUsed: mem.heapUsed, external: mem.external, arrayBuffers: mem.arrayBuffers });
  if (mode === 'rate') {
    if (floor !== undefined) floorSend(floor);
    // The first second (phases spreading, the server warming) is not measured.
    await new Promise((r) => setTimeout(r, 1000));
    rtts.length = 0;
    const c0 = process.cpuUsage();
    await new Promise((r) => setTimeout(r, seconds * 1000));
    const c = process.cpuUsage(c0);
    const sorted = rtts.slice().sort((a, b) => a - b);
    const at = (p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
    send({ phase: 'rate', count: sorted.length, p50: at(50), p90: at(90), p99: at(99), max: sorted[sorted.length - 1], cpuS: (c.user + c.system) / 1e6 });
  }
  await new Promise<void>((r) => process.once('message', () => r()));
  process.exit(0);
}

void main();
