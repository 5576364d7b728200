/** A TCP port free on 127.0.0.1 right now (for servers that cannot listen on port 0 and report it, like redis-server). */
import { once } from 'node:events';
import net from 'node:net';

export async function freePort(): Promise<number> {
  const srv = net.createServer();
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}
