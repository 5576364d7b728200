/**
 * The ws engine's connector: the client it serves travels in ws's options under CLIENT, so that its TCP (or TLS)
 * connect is timed on the socket itself.
 */
import net from 'node:net';
import tls from 'node:tls';

export const CLIENT = Symbol('wsherd.client');

/** What the connector needs of a client: whether it connects with TLS, and whom to tell once connected. */
export interface Connecting {
  readonly secure: boolean;
  handleConnected(): void;
}

type ConnectOptions = net.NetConnectOpts & tls.ConnectionOptions & { [CLIENT]?: Connecting; host?: string };

/**
 * Replaces ws's own connector so that TCP connect time can be measured on the socket itself (to 'connect', or
 * 'secureConnect' for TLS) and a local source address can be bound. http passes ws's options through, so the
 * client travels in them.
 */
export function createConnection(options: ConnectOptions): net.Socket {
  const client = options[CLIENT];
  if (client?.secure) {
    const host = options.host ?? 'localhost';
    const socket = tls.connect({
      ...options,
      path: undefined,
      servername: options.servername ?? (net.isIP(host) ? '' : host),
    } as tls.ConnectionOptions);
    socket.once('secureConnect', () => client?.handleConnected());
    return socket;
  }
  const socket = net.connect({ ...options, path: undefined } as net.NetConnectOpts);
  socket.once('connect', () => client?.handleConnected());
  return socket;
}
