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
import http from 'node:http';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { BackendConn, ignoreSocketError, type ConnHost } from '../backend/conn.js';
import { acceptUpgrade, refuseUpgrade } from '../backend/upgrade.js';
import { Recorder } from '../metrics/recorder.js';
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

/**
 * The echo peer: the reference backend's own connection (src/backend/conn.ts: frames, pings, the close handshake)
 * behind a plain http server's upgrade, echoing every message. Its sockets are kept to drop them at the end.
 */
function startPeer(onEcho: () => void): Promise<{ server: http.Server; socks: Set<Socket> }> {
  const socks = new Set<Socket>();
  const host: ConnHost = {
    maxPayload: PEER_MAX_PAYLOAD,
    onMessage: (conn, payload, isBinary) => {
      conn.send(payload, isBinary);
      onEcho();
    },
    onClosed: (conn) => socks.delete(conn.socket),
  };
  const server = http.createServer((_req, res) => res.writeHead(426).end());
  server.on('upgrade', (req: http.IncomingMessage, socket: Socket, head: Buffer) => {
    socket.on('error', ignoreSocketError);
    if (refuseUpgrade(req) !== undefined) return socket.destroy();
    socks.add(socket);
    socket.write(acceptUpgrade(req, []));
    new BackendConn(socket, host).attach(head);
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
