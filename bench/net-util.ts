/** Small helpers the benches share. */
import net from 'node:net';

/** A port free on 127.0.0.1 right now (a balancer config needs a number before it listens). */
export async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}
