/**
 * A free port on 127.0.0.1, for processes that cannot listen on port 0 and report it (redis-server, HAProxy,
 * nginx): probed by listening on 0 and closing. Another process may take it before the caller's does; callers wait
 * for their process to listen and fail with what it said otherwise.
 */
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
