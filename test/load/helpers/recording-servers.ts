/**
 * Servers on 127.0.0.1 that record what every HTTP request and WebSocket upgrade carried (URL and headers), for
 * tests of what clients send: behavior.headers, behavior.query and per-client templates.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { Server as EioServer, type ServerOptions } from 'engine.io';
import { Server } from 'socket.io';

export interface Seen {
  kind: 'request' | 'upgrade';
  url: string;
  headers: http.IncomingHttpHeaders;
}

export type Cleanup = () => Promise<void> | void;

async function listen(server: http.Server, cleanups: Cleanup[]): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  });
  return (server.address() as AddressInfo).port;
}

/** A plain ws echo server recording each upgrade; it picks the first subprotocol offered (ws's default). */
export async function wsServer(cleanups: Cleanup[], pathAndQuery = '/'): Promise<{ url: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = http.createServer((_req, res) => res.writeHead(404).end());
  const wss = new WebSocketServer({ server });
  wss.on('headers', (_h, req) => seen.push({ kind: 'upgrade', url: req.url ?? '', headers: req.headers }));
  wss.on('connection', (ws) => ws.on('message', (d) => ws.send(d)));
  cleanups.push(() => wss.close());
  const port = await listen(server, cleanups);
  return { url: `ws://127.0.0.1:${port}${pathAndQuery}`, seen };
}

/** A socket.io server (hello + echo with ack, as the lab backends) recording every HTTP request and upgrade. */
export async function sioServer(cleanups: Cleanup[], o: { engine?: ServerOptions; pathAndQuery?: string } = {}): Promise<{ url: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const engine = new EioServer(o.engine);
  const io = new Server();
  io.bind(engine as unknown as Parameters<Server['bind']>[0]);
  io.on('connection', (socket) => {
    socket.emit('hello', { backend: 'b1' });
    socket.on('echo', (payload: unknown, ack?: (v: unknown) => void) => {
      if (typeof ack === 'function') ack(payload);
    });
  });
  const server = http.createServer((req, res) => {
    seen.push({ kind: 'request', url: req.url ?? '', headers: req.headers });
    engine.handleRequest(req, res);
  });
  server.on('upgrade', (req, socket, head) => {
    seen.push({ kind: 'upgrade', url: req.url ?? '', headers: req.headers });
    engine.handleUpgrade(req, socket, head);
  });
  const port = await listen(server, cleanups);
  // Before the server's close (cleanups run in reverse): io.close() ends the upgraded sockets, which the server
  // no longer tracks but whose close it would wait for.
  cleanups.push(() => new Promise<void>((r) => void io.close(() => r())));
  return { url: `ws://127.0.0.1:${port}${o.pathAndQuery ?? '/'}`, seen };
}
