/**
 * The checks `ws` makes of a 101 before it calls the connection open, in its order and with its words, so that the
 * lean client refuses exactly the upgrades WsClient refuses (both record them as `other`, the text as the sample).
 */
import { checkUpgradeResponse, type ParsedHead } from '../wsproto/handshake.js';

/** Why `head` (a 101) does not complete the upgrade offered with `key` and `protocols`; undefined when it does. */
export function upgradeProblem(head: ParsedHead, key: string, protocols: readonly string[]): string | undefined {
  const basic = checkUpgradeResponse(head, key);
  if (basic !== undefined) return basic;
  const chosen = head.headers['sec-websocket-protocol'];
  if (chosen !== undefined) {
    if (protocols.length === 0) return 'Server sent a subprotocol but none was requested';
    if (!protocols.includes(chosen)) return 'Server sent an invalid subprotocol';
  } else if (protocols.length > 0) {
    return 'Server sent no subprotocol';
  }
  // No extension is offered (ws runs with perMessageDeflate off here), so any is one the server made up.
  if (head.headers['sec-websocket-extensions'] !== undefined) return 'Server sent a Sec-WebSocket-Extensions header but no extension was requested';
  return undefined;
}
