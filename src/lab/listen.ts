/** Binding a lab component's listener, with an error that says which component and address failed. */
import type { Server } from 'node:net';
import { WsherdError } from '../errors.js';

/**
 * Listen backlog for every lab listener: clients connect in bursts of thousands and Node's default 511 drops
 * SYNs during a ramp. The kernel caps it at net.core.somaxconn (4096 on this machine kind); asking for more
 * costs nothing and lets a host with a larger somaxconn use it.
 */
export const LISTEN_BACKLOG = 16384;

export function listenOn(server: Server, host: string, port: number, what: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      reject(
        new WsherdError('WSH_ERR_INVALID_INPUT', `${what} cannot listen on ${host}:${port}: ${err.code ?? err.message}`, {
          hint: err.code === 'EADDRINUSE' ? 'Pick another port, or 0 for an ephemeral one.' : 'Use a local address such as 127.0.0.1.',
          cause: err,
        }),
      );
    };
    server.once('error', onError);
    server.listen({ host, port, backlog: LISTEN_BACKLOG }, () => {
      server.off('error', onError);
      const address = server.address();
      resolve(typeof address === 'object' && address !== null ? address.port : port);
    });
  });
}
