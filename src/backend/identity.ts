/**
 * The small wire convention between wsherd's clients and its reference backends. Against any other target
 * the client still works: attribution falls back to 'unknown' and messages need only be echoed verbatim.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

/** Header on every HTTP response of a reference backend, including the 101 of a WebSocket upgrade. */
export const BACKEND_HEADER = 'x-wsherd-backend';

/** First frame a reference backend sends on a new WebSocket: JSON `{"wsherd":"hello","backend":id,"pid":n}`. */
export interface HelloFrame {
  wsherd: 'hello';
  backend: string;
  pid: number;
}

export function helloFrame(backend: string, pid: number): string {
  const frame: HelloFrame = { wsherd: 'hello', backend, pid };
  return JSON.stringify(frame);
}

/** Returns the backend id if `data` is a hello frame, else undefined. Cheap check before JSON.parse. */
export function parseHello(data: string): string | undefined {
  if (!data.startsWith('{"wsherd":"hello"')) return undefined;
  try {
    const v = JSON.parse(data) as Partial<HelloFrame>;
    return typeof v.backend === 'string' ? v.backend : undefined;
  } catch {
    return undefined;
  }
}

/** Text a client sends to ask a reference backend to close first (behavior.close: server). */
export const CLOSE_REQUEST = 'wsherd:close';

/** Prefix of measured messages: `wsherd:m:<seq>:` then padding to the payload size; echoed verbatim. */
export const MESSAGE_PREFIX = 'wsherd:m:';

export function encodeMessage(seq: number, payloadBytes: number): string {
  const head = `${MESSAGE_PREFIX}${seq}:`;
  return payloadBytes > head.length ? head + 'x'.repeat(payloadBytes - head.length) : head;
}

/** The sequence number of an echoed measured message, or -1 if `data` is not one. */
export function decodeMessageSeq(data: string): number {
  if (!data.startsWith(MESSAGE_PREFIX)) return -1;
  const end = data.indexOf(':', MESSAGE_PREFIX.length);
  if (end < 0) return -1;
  const seq = Number(data.slice(MESSAGE_PREFIX.length, end));
  return Number.isInteger(seq) ? seq : -1;
}

/** Path on a backend's (and the proxy admin's) HTTP listener that returns its stats as JSON. */
export const STATS_PATH = '/__wsherd/stats';

/** The plain-HTTP side of a reference backend: its stats at STATS_PATH, a 404 naming what it is for anything else. */
export function answerStatsOr404(req: IncomingMessage, res: ServerResponse, stats: () => unknown, notFound: string): void {
  if (req.method === 'GET' && req.url === STATS_PATH) {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(stats()));
    return;
  }
  res.statusCode = 404;
  res.setHeader('content-type', 'text/plain');
  res.end(`${notFound}\n`);
}
