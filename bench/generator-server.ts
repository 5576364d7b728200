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
import { WebSocketServer } from 'ws';
import { Server as SocketIoServer } from 'socket.io';

const now = (): number => performance.timeOrigin + performance.now();
const send = (m: object): void => {
  process.send?.(m);
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

// A deep accept queue, so a burst of 10k SYNs is queued rather than dropped and retried a second later.
http.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, () => {
  const addr = http.address();
  send({ ev: 'listening', port: typeof addr === 'object' && addr !== null ? addr.port : 0 });
});
