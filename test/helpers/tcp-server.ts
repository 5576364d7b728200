/**
 * A plain TCP server of the test's own (not wsherd's): it keeps what it accepted and, when a client ends, ends too,
 * so the client is the side that closes first (and holds TIME_WAIT). `close()` destroys every socket it holds.
 */
import net from 'node:net';
import { once } from 'node:events';

export interface TcpServer {
  port: number;
  accepted: Set<net.Socket>;
  /** A client connected to it (from `localAddress` when given), kept for close(). */
  connect(host?: string, localAddress?: string): Promise<net.Socket>;
  close(): void;
}

export async function tcpServer(host = '127.0.0.1'): Promise<TcpServer> {
  const accepted = new Set<net.Socket>();
  const clients: net.Socket[] = [];
  const server = net.createServer((s) => {
    accepted.add(s);
    s.on('error', () => {});
    s.on('close', () => accepted.delete(s));
    s.on('end', () => s.end());
  });
  server.listen(0, host);
  await once(server, 'listening');
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    accepted,
    async connect(to = '127.0.0.1', localAddress?: string) {
      const c = net.connect({ port, host: to, ...(localAddress === undefined ? {} : { localAddress }) });
      c.on('error', () => {});
      await once(c, 'connect');
      clients.push(c);
      return c;
    },
    close() {
      for (const s of [...accepted, ...clients]) s.destroy();
      server.close();
    },
  };
}
