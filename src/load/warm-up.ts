/**
 * The echo path run hot before second 0. A worker's first sends ran its send and receive code cold: at 10 msg/s ×
 * 1,000 against a server already warm at that scale, the worker was busy 220 ms of the first 300 ms of sending (85 ms
 * of 300 once warm), the difference in code V8 later optimises (Node's stream write path, the frame codec, the
 * client's wake and message handlers); every client sends within that first interval, so the worker fell behind and
 * round trips in those 300 ms had a p50 of 25-65 ms against 0.6 ms after — which alone set the run's p99. That is
 * the generator's own start, not the target's.
 *
 * So a worker whose clients send on the echo schedule first runs WARM_CLIENTS clients of the same class, with the
 * same behavior at a faster rate, against an echo peer of its own on 127.0.0.1 (port 0), into a scratch recorder that
 * is thrown away: nothing reaches the target and nothing is counted. The coordinator starts second 0 WARM_UP_MS
 * later for it (worker-count.ts, with which runs warm up); the warm-up stops by then whatever it got through.
 */
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { Recorder } from '../metrics/recorder.js';
import { OP_CLOSE, OP_PING, OP_PONG, encodeFrame, readFrames, type FrameSink, type ReaderState } from '../wsproto/frame.js';
import { switchingProtocols } from '../wsproto/handshake.js';
import { createClient, type LoadClient } from './client.js';
import { TimerWheel } from './wheel.js';
import type { ClientContext } from './ws-client.js';
import type { Behavior } from '../scenario/types.js';

const WARM_CLIENTS = 20;
/** Per warm-up client: 20 × 500 = 10,000 echoes a second. */
const WARM_RATE = 500;
/** Echoes after which V8 had optimised the path (its busy share per message no longer fell). */
export const WARM_ECHOES = 4000;
/** Left for the close handshakes before the deadline. */
const CLOSE_MS = 100;
const PEER_MAX_PAYLOAD = 16 * 1024 * 1024;

export interface WarmUp {
  /** Echoes the peer answered. */
  echoes: number;
  ms: number;
}

/** A minimal WebSocket echo server: the 101, then every data frame back unmasked; pings answered, closes returned. */
function startPeer(onEcho: () => void): Promise<{ server: net.Server; socks: Set<net.Socket> }> {
  const socks = new Set<net.Socket>();
  const server = net.createServer((sock) => {
    socks.add(sock);
    sock.on('close', () => socks.delete(sock));
    let head: Buffer | undefined = Buffer.alloc(0);
    const reader: ReaderState & FrameSink = {
      pending: undefined, pendingFill: 0, fragOp: 0, frags: undefined,
      onFrame: (op, payload) => {
        if (op === OP_CLOSE) sock.end(encodeFrame(OP_CLOSE, payload, false));
        else if (op === OP_PING) sock.write(encodeFrame(OP_PONG, payload, false));
        else if (op !== OP_PONG) {
          sock.write(encodeFrame(op, payload, false));
          onEcho();
        }
      },
      onProtocolError: () => sock.destroy(),
    };
    sock.on('error', () => {});
    sock.on('data', (chunk: Buffer) => {
      if (head === undefined) return readFrames(reader, chunk, reader, PEER_MAX_PAYLOAD);
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      const key = /^sec-websocket-key:[ \t]*(\S+)/im.exec(head.toString('latin1', 0, end))?.[1];
      if (key === undefined) return sock.destroy();
      sock.write(switchingProtocols(key));
      const rest = head.subarray(end + 4);
      head = undefined;
      if (rest.length > 0) readFrames(reader, rest, reader, PEER_MAX_PAYLOAD);
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve({ server, socks }));
  });
}

/** Polls `done` every few ms until it holds or performance.now() reaches `untilPerf`. */
async function until(done: () => boolean, untilPerf: number): Promise<void> {
  while (!done() && performance.now() < untilPerf) await new Promise((r) => setTimeout(r, 5));
}

/** Makes a client context the way the worker makes its own (one shape for V8: see LoadWorker.clientContext). */
export type ContextMaker = (behavior: Behavior, recorder: Recorder, wheel: TimerWheel, onEnd: (c: LoadClient) => void) => ClientContext;

/**
 * Runs the echo path hot (see above) until WARM_ECHOES were answered or `untilPerf` (performance.now() time) comes.
 * `behavior`: the run's; the warm-up's differs only in its rate.
 */
export async function warmEchoPath(makeContext: ContextMaker, behavior: Behavior, wheelTickMs: number, untilPerf: number): Promise<WarmUp> {
  const t0 = performance.now();
  let echoes = 0;
  const peer = await startPeer(() => echoes++);
  const address = peer.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  const wheel = new TimerWheel(wheelTickMs, 8192, t0);
  let ended = 0;
  // Through JSON like the plan's own behavior (the worker's IPC is JSON), so it has the same shape too.
  const fast = JSON.parse(JSON.stringify({ ...behavior, messagesPerSecond: WARM_RATE })) as Behavior;
  const warm = makeContext(fast, new Recorder(() => performance.now() - t0), wheel, () => void ended++);
  const clients: LoadClient[] = [];
  const timer = setInterval(() => wheel.advance(performance.now()), wheelTickMs);
  try {
    for (let i = 0; i < WARM_CLIENTS; i++) {
      const c = createClient(warm, i);
      clients.push(c);
      c.start(`ws://127.0.0.1:${port}/`);
    }
    await until(() => echoes >= WARM_ECHOES, untilPerf - CLOSE_MS);
    for (const c of clients) c.close();
    await until(() => ended >= clients.length, untilPerf);
  } finally {
    clearInterval(timer);
    for (const c of clients) c.terminate();
    for (const s of peer.socks) s.destroy();
    await new Promise((r) => peer.server.close(r));
  }
  return { echoes, ms: performance.now() - t0 };
}
