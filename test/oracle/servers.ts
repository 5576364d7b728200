/**
 * The oracle tests' own servers, written with the plain `ws` and `http` packages (not wsherd's backends): each counts
 * what it saw itself, so wsherd's figures can be asserted equal to an independent count.
 */
import http from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';

export interface CountingServer {
  port: number;
  /** Connections upgraded (the server sent 101). */
  connections: number;
  /** Connections open now, and the most open at once (counted at each upgrade and close). */
  open: number;
  maxOpen: number;
  close(): Promise<void>;
}

/** An echo server; with `id` it announces itself as wsherd's identity contract says (x-wsherd-backend on the 101). */
export async function countingServer(id?: string): Promise<CountingServer> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await once(wss, 'listening');
  const s: CountingServer = {
    port: (wss.address() as AddressInfo).port,
    connections: 0,
    open: 0,
    maxOpen: 0,
    close: async () => {
      for (const c of wss.clients) c.terminate();
      await new Promise<void>((r) => wss.close(() => r()));
    },
  };
  if (id !== undefined) wss.on('headers', (headers) => headers.push(`x-wsherd-backend: ${id}`));
  wss.on('connection', (ws) => {
    s.connections++;
    s.open++;
    s.maxOpen = Math.max(s.maxOpen, s.open);
    ws.on('message', (data, binary) => ws.send(data, { binary }));
    ws.on('close', () => s.open--);
  });
  return s;
}

export interface RefusingServer {
  port: number;
  /** Upgrade requests it answered with 503. */
  refused: number;
  close(): Promise<void>;
}

/** A server that answers every WebSocket upgrade with 503 and closes. */
export async function refusingServer(): Promise<RefusingServer> {
  const server = http.createServer((_req, res) => res.writeHead(503).end());
  const s: RefusingServer = { port: 0, refused: 0, close: async () => { server.closeAllConnections(); await new Promise<void>((r) => server.close(() => r())); } };
  server.on('upgrade', (_req, socket) => {
    s.refused++;
    socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  s.port = (server.address() as AddressInfo).port;
  return s;
}
