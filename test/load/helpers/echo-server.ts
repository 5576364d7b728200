/**
 * Test-only WebSocket echo server speaking wsherd's identity convention (x-wsherd-backend on the 101, a hello
 * frame first, echo everything, close on CLOSE_REQUEST). Deliberately tiny and independent of src/backend.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { BACKEND_HEADER, CLOSE_REQUEST, helloFrame } from '../../../src/backend/identity.js';

export interface EchoServerOptions {
  id: string;
  /** Send the x-wsherd-backend header on the 101 (default true). */
  header?: boolean;
  /** Send the hello frame first (default true). */
  hello?: boolean;
  host?: string;
}

export interface EchoServer {
  url: string;
  port: number;
  /** Connections accepted so far. */
  accepted(): number;
  /** Connections currently open. */
  open(): number;
  close(): Promise<void>;
}

export async function startEchoServer(opts: EchoServerOptions): Promise<EchoServer> {
  const host = opts.host ?? '127.0.0.1';
  const server = http.createServer((_req, res) => {
    res.writeHead(426).end();
  });
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  let accepted = 0;
  if (opts.header !== false) {
    wss.on('headers', (headers) => headers.push(`${BACKEND_HEADER}: ${opts.id}`));
  }
  server.on('upgrade', (req, socket, head) => {
    wss.handleUpgrade(req, socket, head, (ws) => {
      accepted++;
      if (opts.hello !== false) ws.send(helloFrame(opts.id, process.pid));
      ws.on('message', (data, isBinary) => {
        if (!isBinary && data.toString() === CLOSE_REQUEST) ws.close(1000);
        else ws.send(data, { binary: isBinary });
      });
      ws.on('error', () => undefined);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `ws://${host}:${port}/`,
    port,
    accepted: () => accepted,
    open: () => wss.clients.size,
    close: async () => {
      for (const ws of wss.clients) ws.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
