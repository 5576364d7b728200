/**
 * The glue between the `ws` library and a WsClient: the connector (the client travels in ws's options under CLIENT,
 * so that its TCP or TLS connect is timed on the socket itself) and the event handlers, shared module-level
 * functions rather than closures per client (the client hangs off the ws object), to keep a connection small.
 */
import net from 'node:net';
import tls from 'node:tls';
import type { ClientRequest, IncomingMessage } from 'node:http';
import type WebSocket from 'ws';

export const CLIENT = Symbol('wsherd.client');

/** What the connector needs of a client: whether it connects with TLS, and whom to tell once connected. */
export interface Connecting {
  readonly secure: boolean;
  handleConnected(): void;
}

/** What the handlers call on the client: its @internal methods. */
export interface WsHandlers extends Connecting {
  handleUpgrade(res: IncomingMessage): void;
  handleOpen(): void;
  handleMessage(data: Buffer): void;
  handleUnexpectedResponse(res: IncomingMessage): void;
  handleError(err: unknown): void;
  handleClose(code: number): void;
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

type Tagged = WebSocket & { [CLIENT]?: WsHandlers };

const clientOf = (ws: WebSocket): WsHandlers | undefined => (ws as Tagged)[CLIENT];

function onUpgrade(this: WebSocket, res: IncomingMessage): void {
  clientOf(this)?.handleUpgrade(res);
}
function onOpen(this: WebSocket): void {
  clientOf(this)?.handleOpen();
}
function onMessage(this: WebSocket, data: WebSocket.RawData): void {
  const buf = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
  clientOf(this)?.handleMessage(buf);
}
function onUnexpectedResponse(this: WebSocket, req: ClientRequest, res: IncomingMessage): void {
  res.resume();
  clientOf(this)?.handleUnexpectedResponse(res);
  req.destroy();
}
function onError(this: WebSocket, err: Error): void {
  clientOf(this)?.handleError(err);
}
function onClose(this: WebSocket, code: number): void {
  clientOf(this)?.handleClose(code);
}

/** Wires a ws object (tagged with its client under CLIENT) to the client's handlers. */
export function attachHandlers(ws: WebSocket): void {
  ws.on('upgrade', onUpgrade);
  ws.on('open', onOpen);
  ws.on('message', onMessage);
  ws.on('unexpected-response', onUnexpectedResponse);
  ws.on('error', onError);
  ws.on('close', onClose);
}
