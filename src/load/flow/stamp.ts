/**
 * The delivery stamp: what a publishing client writes into its message (`{{ stamp }}`) so that every subscriber
 * that receives it can time the delivery and say where it came from, whatever the application wraps around it:
 *
 *   wsherd:d:<sent µs since the epoch>:<publisher client>:<seq>:<publisher backend>:<topic>;
 *
 * Backend and topic are percent-encoded (encodeURIComponent), so the stamp holds none of `"`, `\`, `:` or `;`
 * in its fields and survives JSON escaping unchanged: a subscriber finds it with one indexOf on the raw frame,
 * without parsing the application's JSON. Publisher and subscriber read one clock (this host's): delivery
 * latency is exact only while both run on the same machine, which the report says.
 */
import { performance } from 'node:perf_hooks';

export const STAMP_PREFIX = 'wsherd:d:';
const PREFIX_BUF = Buffer.from(STAMP_PREFIX, 'latin1');

export interface Stamp {
  /** When the publisher wrote it, µs since the epoch (performance.timeOrigin-based: sub-ms, monotonic per process). */
  sentUs: number;
  client: number;
  seq: number;
  backend: string;
  topic: string;
  /** Pair keys derived from this stamp, by subscriber backend (memberships.ts): a shared stamp is keyed once. */
  keys?: Map<string, string>;
}

/** Now, µs since the epoch, on the clock stamps use. */
export function nowUs(): number {
  return Math.round((performance.timeOrigin + performance.now()) * 1000);
}

export function encodeStamp(s: Stamp): string {
  return `${STAMP_PREFIX}${s.sentUs}:${s.client}:${s.seq}:${encodeURIComponent(s.backend)}:${encodeURIComponent(s.topic)};`;
}

/** The first stamp in `text` (a frame's text, or a socket.io packet), or undefined. */
export function findStamp(text: string): Stamp | undefined {
  const at = text.indexOf(STAMP_PREFIX);
  return at < 0 ? undefined : parseAt(text, at + STAMP_PREFIX.length);
}

/**
 * The stamps parsed last, with their bytes: a fan-out brings one stamp to thousands of subscribers of one worker
 * within milliseconds, so comparing bytes with a recent one replaces decoding it again (the hot path of fan-out
 * receipt). The Stamp object is shared: callers must not change it (they may cache derived keys on `keys`).
 */
const RECENT = 8;
const recentBytes: Array<Buffer | undefined> = new Array<Buffer | undefined>(RECENT).fill(undefined);
const recentStamps: Array<Stamp | undefined> = new Array<Stamp | undefined>(RECENT).fill(undefined);
let recentNext = 0;

/** The first stamp in a raw frame, without decoding the frame unless it holds one. */
export function findStampInBuffer(data: Buffer): Stamp | undefined {
  const at = data.indexOf(PREFIX_BUF);
  if (at < 0) return undefined;
  const end = data.indexOf(0x3b /* ; */, at);
  if (end < 0) return undefined;
  const len = end + 1 - at;
  for (let i = 0; i < RECENT; i++) {
    const b = recentBytes[i];
    if (b !== undefined && b.length === len && data.compare(b, 0, len, at, end + 1) === 0) return recentStamps[i];
  }
  const stamp = parseAt(data.toString('latin1', at, end + 1), STAMP_PREFIX.length);
  if (stamp !== undefined) {
    recentBytes[recentNext] = Buffer.from(data.subarray(at, end + 1));
    recentStamps[recentNext] = stamp;
    recentNext = (recentNext + 1) % RECENT;
  }
  return stamp;
}

function parseAt(text: string, from: number): Stamp | undefined {
  const end = text.indexOf(';', from);
  if (end < 0) return undefined;
  const f = text.slice(from, end).split(':');
  if (f.length !== 5) return undefined;
  const sentUs = Number(f[0]);
  const client = Number(f[1]);
  const seq = Number(f[2]);
  if (!Number.isSafeInteger(sentUs) || !Number.isSafeInteger(client) || !Number.isSafeInteger(seq)) return undefined;
  try {
    return { sentUs, client, seq, backend: decodeURIComponent(f[3] as string), topic: decodeURIComponent(f[4] as string) };
  } catch {
    return undefined;
  }
}

/** The run second a stamp belongs to: whole seconds from the run's start (`startAt`, epoch ms) to its sending. */
export function stampSecond(sentUs: number, startAtMs: number): number {
  return Math.floor((sentUs / 1000 - startAtMs) / 1000);
}
