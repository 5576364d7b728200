/**
 * One-line explanations of the failure codes the load engine classifies, shown next to the counts so a
 * reader knows where to look (generator, network, balancer or backend).
 */
const FIXED: Record<string, string> = {
  ECONNREFUSED: 'Nothing accepted the connection: no listener, or its accept backlog was full.',
  ECONNRESET: 'The peer reset the connection (a process died, or a balancer/firewall dropped it).',
  ETIMEDOUT: 'The kernel gave up on the TCP connection (no answer to SYN or to retransmissions).',
  EADDRNOTAVAIL: 'No free local port for this (source, destination) pair: ephemeral ports are exhausted (TIME_WAIT).',
  EADDRINUSE: 'The local address and port were already in use.',
  EMFILE: 'The load generator ran out of file descriptors (its own limit, not the target\'s).',
  ENFILE: 'The system-wide file table is full on the generator host.',
  EHOSTUNREACH: 'No route to the target host.',
  ENETUNREACH: 'No route to the target network.',
  EPIPE: 'Wrote to a connection the peer had already closed.',
  connect_timeout: 'The TCP connection was not established within the connect timeout.',
  handshake_timeout: 'Connected, but no 101 Switching Protocols within the handshake timeout.',
  message_timeout: 'A message was not echoed within the message timeout.',
  not_socketio: 'The target answered the Engine.IO handshake with something that is not Engine.IO: a wrong URL or path (behavior.session.path), or not a socket.io server.',
  polling_refused: 'The server refused long-polling (it allows only the websocket transport): use session.transports: [websocket].',
  tls_self_signed: 'The server\'s TLS certificate is self-signed or not trusted: pass --insecure to accept it.',
  unknown_sid_poll: 'A polling GET reached a backend that did not issue its session id ("Session ID unknown"): the balancer is not sticky.',
  unknown_sid_post: 'A polling POST reached a backend that did not issue its session id ("Session ID unknown"): the balancer is not sticky.',
  unknown_sid_upgrade: 'The WebSocket upgrade reached a backend that did not issue its session id: the balancer is not sticky for upgrades. The session carried on on polling (upgrade_failed), it is not broken.',
  unknown_sid: 'A request reached a backend that did not issue its session id ("Session ID unknown"): the balancer is not sticky.',
  stuck_polling: 'The WebSocket upgrade never completed (the probe went unanswered): the session stayed on long-polling.',
  transport_mismatch: 'The server refused the upgrade or closed the WebSocket during it.',
};

const CLOSE_CODES: Record<string, string> = {
  '1000': 'normal closure',
  '1001': 'going away (server shutting down or restarting)',
  '1002': 'protocol error',
  '1006': 'closed abnormally: the TCP connection ended without a close frame',
  '1008': 'policy violation',
  '1009': 'message too big',
  '1011': 'the server hit an internal error',
  '1012': 'service restart',
  '1013': 'try again later (server overloaded)',
};

export function explainErrorCode(code: string): string | undefined {
  if (Object.hasOwn(FIXED, code)) return FIXED[code];
  const http = /^http_(\d{3})$/.exec(code);
  if (http) return `The server answered HTTP ${http[1]} instead of 101 Switching Protocols.`;
  const close = /^close_(\d{4})$/.exec(code);
  if (close) {
    const what = CLOSE_CODES[close[1] as string];
    return what ? `WebSocket close code ${close[1]}: ${what}.` : `WebSocket close code ${close[1]}.`;
  }
  return undefined;
}
