/**
 * The generator bench's own server (NOT wsherd's backends): a plain Node `ws` echo server, or a plain socket.io 4
 * server, forked fresh for each client measurement. It is the oracle: it counts TCP accepts, open connections
 * (WebSocket upgrades, or socket.io sessions on their WebSocket transport) and echoes, and reports over IPC.
 *
 *   env GEN_MODE=ws|socketio, GEN_TARGET=N (report the moment N are open)
 *   → {ev: 'listening', port}; {ev: 'first', t} at the first TCP accept; {ev: 'reached', t, n} when N are open
 *   ← {cmd: 'stats'} → {ev: 'stats', open, opened, echoes, t}
 *
 * Times are epoch ms on the same clock as the bench's /proc samples (performance.timeOrigin + now()).
 */
import { createServer } from 'node:http';
import { performance } from 'node:perf_hooks';
import { WebSocket, WebSocketServer } from 'ws';
import { Server as SocketIoServer } from 'socket.io';

const now = (): number => performance.timeOrigin + performance.now();
/** While the server warms itself up (warmUp below) it reports nothing: its own connections are not a client's. */
let warming = true;
const send = (m: object): void => {
  if (!warming) process.send?.(m);
};
const mode = process.env['GEN_MODE'] ?? 'ws';
const target = Number(process.env['GEN_TARGET'] ?? '0');

let open = 0;
let opened = 0;
let echoes = 0;
let first = true;
let reached = false;

function onOpen(): void {
  open++;
  opened++;
  if (!reached && target > 0 && open >= target) {
    reached = true;
    send({ ev: 'reached', t: now(), n: open });
  }
}

const http = createServer();
http.on('connection', () => {
  if (first) {
    first = false;
    send({ ev: 'first', t: now() });
  }
});
// Idle connections are held as long as the client wants: no HTTP timeouts on the upgrade path or polling.
http.keepAliveTimeout = 0;
http.requestTimeout = 0;
http.headersTimeout = 0;

if (mode === 'socketio') {
  const io = new SocketIoServer(http, { serveClient: false, pingInterval: 25_000, pingTimeout: 60_000 });
  io.on('connection', (socket) => {
    // A session counts as open on its WebSocket transport: what a held socket.io client holds.
    let counted = false;
    const count = (): void => {
      if (!counted) {
        counted = true;
        onOpen();
      }
    };
    if (socket.conn.transport.name === 'websocket') count();
    else socket.conn.once('upgrade', count);
    socket.on('echo', (data: unknown, ack?: (d: unknown) => void) => {
      echoes++;
      if (typeof ack === 'function') ack(data);
      else socket.emit('echo', data);
    });
    socket.on('message', (data: unknown) => {
      echoes++;
      socket.emit('message', data);
    });
    socket.on('disconnect', () => {
      if (counted) open--;
    });
  });
} else {
  const wss = new WebSocketServer({ server: http, perMessageDeflate: false, clientTracking: false });
  wss.on('connection', (ws) => {
    onOpen();
    ws.on('message', (data, isBinary) => {
      echoes++;
      ws.send(data, { binary: isBinary });
    });
    ws.on('close', () => open--);
    ws.on('error', () => {});
  });
}

process.on('message', (m: { cmd?: string }) => {
  if (m.cmd === 'stats') send({ ev: 'stats', open, opened, echoes, t: now() });
});
// The bench going away (disconnect) ends the server.
process.on('disconnect', () => process.exit(0));

/**
 * Warms the echo path before any measured client: a fresh Node process runs its first thousands of echoes in V8's
 * interpreter, and that first second's round trips (~300 ms p99 at 10 msg/s × 1,000 against ~10 ms once warm) landed
 * on whichever client was measured, as its tail. It works at the measured scale, as the first message of each
 * connection takes a path of its own: in the floor client's first 300 ms of sending at 10 msg/s × 1,000, round trips
 * had a p50 of 44-118 ms against a server not warmed and 6-29 ms against one warmed with 1,000 connections (two runs
 * each). So: as many connections as the test opens (WARM_MAX_CONNS at most), WARM_BATCH at a time, WARM_ECHOES
 * echoes each; then every count starts from zero.
 */
const WARM_MAX_CONNS = 1000;
const WARM_BATCH = 100;
const WARM_ECHOES = 20;

async function warmUp(port: number): Promise<void> {
  if (mode !== 'ws') return;
  const conns: WebSocket[] = [];
  const n = Math.max(50, Math.min(WARM_MAX_CONNS, target));
  for (let i = 0; i < n; i += WARM_BATCH) {
    conns.push(...await Promise.all(Array.from({ length: Math.min(WARM_BATCH, n - i) }, () => new Promise<WebSocket>((resolve, reject) => {
      const c = new WebSocket(`ws://127.0.0.1:${port}/`, { perMessageDeflate: false });
      c.once('open', () => resolve(c));
      c.once('error', reject);
    }))));
  }
  await Promise.all(conns.map((c) => new Promise<void>((resolve) => {
    let left = WARM_ECHOES;
    c.on('message', () => {
      if (--left === 0) resolve();
      else c.send('.'.repeat(64));
    });
    c.send('.'.repeat(64));
  })));
  await Promise.all(conns.map((c) => new Promise<void>((resolve) => {
    c.once('close', () => resolve());
    c.close();
  })));
  while (open > 0) await new Promise((r) => setTimeout(r, 5));
  opened = 0;
  echoes = 0;
  first = true;
  reached = false;
}

// A deep accept queue, so a burst of 10k SYNs is queued rather than dropped and retried a second later.
http.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, () => {
  const addr = http.address();
  const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
  // Best effort: a warm-up that fails (it never should on loopback) must not keep the bench waiting for the port.
  void warmUp(port).catch(() => undefined).then(() => {
    warming = false;
    send({ ev: 'listening', port });
  });
});
