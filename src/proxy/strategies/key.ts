/**
 * What hash strategies hash: the client's address (and port), normalized so the same client gives the same key
 * whichever socket family the proxy listens on. A dual-stack listener reports IPv4 clients as `::ffff:a.b.c.d`;
 * without normalization they would hash differently from the same clients on an IPv4 listener, and ip-hash would
 * hash 16 bytes instead of the /24.
 */
import { isIPv4, isIPv6 } from 'node:net';
import type { HashKey } from './types.js';

const MAPPED_V4 = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i;

/** The address with an IPv4-mapped IPv6 prefix and an IPv6 zone (`%eth0`) removed; '' when unknown. */
export function normalizeAddress(address: string | undefined): string {
  if (address === undefined) return '';
  const mapped = MAPPED_V4.exec(address);
  if (mapped?.[1] !== undefined && isIPv4(mapped[1])) return mapped[1];
  const zone = address.indexOf('%');
  return (zone >= 0 ? address.slice(0, zone) : address).toLowerCase();
}

/**
 * The string a hash strategy hashes. `|` separates the port because it never occurs in an address (a `:` would
 * be ambiguous with IPv6). An unknown address hashes as '' (all such clients land together, as in nginx).
 */
export function hashKeyOf(remoteAddress: string | undefined, remotePort: number | undefined, key: HashKey): string {
  const address = normalizeAddress(remoteAddress);
  return key === 'source-ip' ? address : `${address}|${remotePort ?? 0}`;
}

/** The 4 or 16 bytes of an IP address, or undefined when it is not one (after normalizeAddress). */
export function addressBytes(address: string): Uint8Array | undefined {
  if (isIPv4(address)) return Uint8Array.from(address.split('.'), Number);
  if (!isIPv6(address)) return undefined;
  return ipv6Bytes(address);
}

function ipv6Bytes(address: string): Uint8Array {
  let text = address;
  // An embedded IPv4 tail (`::1.2.3.4`, `64:ff9b::1.2.3.4`) is the last two groups written in decimal.
  const lastColon = text.lastIndexOf(':');
  const tail = text.slice(lastColon + 1);
  if (tail.includes('.')) {
    const [a = 0, b = 0, c = 0, d = 0] = tail.split('.').map(Number);
    text = `${text.slice(0, lastColon + 1)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', rest] = text.split('::');
  const parse = (part: string): number[] => (part === '' ? [] : part.split(':').map((g) => parseInt(g, 16)));
  const front = parse(head);
  const back = rest === undefined ? [] : parse(rest);
  const out = new Uint8Array(16);
  front.forEach((g, i) => writeGroup(out, i * 2, g));
  back.forEach((g, i) => writeGroup(out, 16 - (back.length - i) * 2, g));
  return out;
}

function writeGroup(out: Uint8Array, at: number, group: number): void {
  out[at] = group >>> 8;
  out[at + 1] = group & 0xff;
}
