/**
 * The server side of the WebSocket upgrade, by hand (RFC 6455 §4.2): the checks `ws`'s handleUpgrade made, with the
 * same statuses and messages, and the 101 written with the first frame in one write.
 */
import type { IncomingMessage } from 'node:http';
import { switchingProtocols } from '../wsproto/handshake.js';

/** Why a request cannot be upgraded: the HTTP status and the message for the body. */
export interface UpgradeRefusal {
  status: number;
  message: string;
}

const KEY = /^[+/0-9A-Za-z]{22}==$/;

/** undefined when `req` is a valid WebSocket upgrade; else what to answer. */
export function refuseUpgrade(req: IncomingMessage): UpgradeRefusal | undefined {
  if (req.method !== 'GET') return { status: 405, message: 'Invalid HTTP method' };
  if ((req.headers.upgrade ?? '').toLowerCase() !== 'websocket') return { status: 400, message: 'Invalid Upgrade header' };
  const key = req.headers['sec-websocket-key'];
  if (key === undefined || !KEY.test(key)) return { status: 400, message: 'Missing or invalid Sec-WebSocket-Key header' };
  const version = req.headers['sec-websocket-version'];
  if (version !== '13' && version !== '8') return { status: 400, message: 'Missing or invalid Sec-WebSocket-Version header' };
  return undefined;
}

/**
 * The 101 for a request refuseUpgrade accepted, with `extra` header lines. Like `ws` without handleProtocols, the
 * first subprotocol the client offers is the one chosen.
 */
export function acceptUpgrade(req: IncomingMessage, extra: readonly string[]): string {
  const offered = req.headers['sec-websocket-protocol'];
  const first = offered === undefined ? '' : (offered.split(',')[0] ?? '').trim();
  return switchingProtocols(req.headers['sec-websocket-key'] as string, first === '' ? extra : [...extra, `Sec-WebSocket-Protocol: ${first}`]);
}
