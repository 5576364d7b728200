/**
 * A small socket.io backend for the engineio engine's tests, behaving like the reference one
 * (src/backend/socketio-server.ts): `x-wsherd-backend` on every HTTP answer (400s and the 101 included), a
 * `hello` event on connection, `echo` acked with its payload. The HTTP server is ours rather than socket.io's
 * so the header is on engine.io's own 400 answers too.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server as EioServer } from 'engine.io';
import { Server } from 'socket.io';

export interface SioBackend {
  id: string;
  port: number;
  url: string;
  close(): Promise<void>;
}

export interface SioBackendOptions {
  id: string;
  transports?: ('polling' | 'websocket')[];
  pingInterval?: number;
  pingTimeout?: number;
}

const HEADER = 'x-wsherd-backend';

export async function startSioBackend(o: SioBackendOptions): Promise<SioBackend> {
  const engine = new EioServer({
    transports: o.transports ?? ['polling', 'websocket'],
    pingInterval: o.pingInterval ?? 25000,
    pingTimeout: o.pingTimeout ?? 20000,
  });
  const io = new Server();
  io.bind(engine as unknown as Parameters<Server['bind']>[0]);
  engine.on('headers', (h: Record<string, string>) => {
    h[HEADER] = o.id;
  });
  io.on('connection', (socket) => {
    socket.emit('hello', { backend: o.id, sid: socket.id, transport: socket.conn.transport.name });
    socket.on('echo', (payload: unknown, ack?: (v: unknown) => void) => {
      if (typeof ack === 'function') ack(payload);
    });
  });
  const server = http.createServer((req, res) => {
    res.setHeader(HEADER, o.id);
    if (req.url?.startsWith('/socket.io/')) engine.handleRequest(req, res);
    else res.writeHead(404).end();
  });
  server.on('upgrade', (req, socket, head) => engine.handleUpgrade(req, socket, head));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    id: o.id,
    port,
    url: `ws://127.0.0.1:${port}/`,
    close: async () => {
      engine.close();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** A plain web server: 404 HTML for everything. */
export async function startHtmlServer(): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((_req, res) => {
    res.writeHead(404, { 'content-type': 'text/html' }).end('<!DOCTYPE html><html><body>Not found</body></html>');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
