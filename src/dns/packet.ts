/**
 * A small DNS message codec (RFC 1035 §4), just enough for the lab's authoritative server and its stub
 * resolver: A and AAAA over UDP, no EDNS, no DNSSEC. Written by hand rather than pulled in because the server
 * must survive hostile bytes (truncated packets, compression-pointer loops) with a FORMERR rather than a crash,
 * and that is easiest to prove on a codec small enough to read in one sitting.
 *
 * Names are returned lower-cased without the trailing dot (DNS names compare case-insensitively, RFC 4343);
 * responses copy the question bytes verbatim so a client that randomises case (DNS 0x20) sees its own spelling.
 */
import net from 'node:net';
import { formatIpv6 } from '../probes/sockets.js';

export const TYPE_A = 1;
export const TYPE_AAAA = 28;
export const CLASS_IN = 1;
export const HEADER_BYTES = 12;
/** RFC 1035 §4.2.1: without EDNS a UDP message is at most 512 bytes. */
export const MAX_UDP_BYTES = 512;

export const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;
export type Rcode = (typeof RCODE)[keyof typeof RCODE];

export interface DnsHeader {
  id: number;
  /** true in a response. */
  qr: boolean;
  opcode: number;
  aa: boolean;
  tc: boolean;
  rd: boolean;
  ra: boolean;
  rcode: number;
  qdcount: number;
  ancount: number;
  nscount: number;
  arcount: number;
}

export interface DnsQuestion {
  /** Lower-cased, no trailing dot; '' is the root. */
  name: string;
  type: number;
  class: number;
}

export interface DnsQuery {
  header: DnsHeader;
  questions: DnsQuestion[];
  /** Offset just past the question section (the verbatim bytes a response echoes). */
  questionsEnd: number;
}

export interface DnsRecord {
  name: string;
  type: number;
  class: number;
  ttl: number;
  data: Buffer;
  /** The address for A and AAAA records. */
  address?: string;
}

export interface DnsResponse extends DnsQuery {
  answers: DnsRecord[];
}

/** The message cannot be parsed; `header` is set when at least the 12-byte header could be read. */
export class DnsFormatError extends Error {
  constructor(
    message: string,
    readonly header?: DnsHeader,
  ) {
    super(message);
    this.name = 'DnsFormatError';
  }
}

export function parseHeader(buf: Buffer): DnsHeader | undefined {
  if (buf.length < HEADER_BYTES) return undefined;
  const flags = buf.readUInt16BE(2);
  return {
    id: buf.readUInt16BE(0),
    qr: (flags & 0x8000) !== 0,
    opcode: (flags >> 11) & 0xf,
    aa: (flags & 0x0400) !== 0,
    tc: (flags & 0x0200) !== 0,
    rd: (flags & 0x0100) !== 0,
    ra: (flags & 0x0080) !== 0,
    rcode: flags & 0xf,
    qdcount: buf.readUInt16BE(4),
    ancount: buf.readUInt16BE(6),
    nscount: buf.readUInt16BE(8),
    arcount: buf.readUInt16BE(10),
  };
}

/**
 * Read a possibly compressed name at `offset`. A pointer must point to "a prior occurrence" (RFC 1035 §4.1.4):
 * strictly before the start of the segment being read, so every jump goes lower and a loop (or a pointer to a
 * pointer to itself) cannot be followed forever; forward pointers are rejected too.
 */
export function readName(buf: Buffer, offset: number): { name: string; end: number } {
  const labels: string[] = [];
  let pos = offset;
  let end = -1;
  let length = 1;
  let segmentStart = offset;
  while (true) {
    if (pos >= buf.length) throw new DnsFormatError(`name runs past the end of the message at byte ${pos}`);
    const len = buf[pos] as number;
    if ((len & 0xc0) === 0xc0) {
      if (pos + 1 >= buf.length) throw new DnsFormatError(`truncated compression pointer at byte ${pos}`);
      const target = ((len & 0x3f) << 8) | (buf[pos + 1] as number);
      if (target >= segmentStart) throw new DnsFormatError(`compression pointer at byte ${pos} does not point backwards (loop?)`);
      if (end < 0) end = pos + 2;
      pos = segmentStart = target;
      continue;
    }
    if ((len & 0xc0) !== 0) throw new DnsFormatError(`unsupported label type 0x${len.toString(16)} at byte ${pos}`);
    if (len === 0) {
      if (end < 0) end = pos + 1;
      break;
    }
    if (pos + 1 + len > buf.length) throw new DnsFormatError(`label runs past the end of the message at byte ${pos}`);
    length += len + 1;
    if (length > 255) throw new DnsFormatError('name longer than 255 bytes');
    labels.push(buf.toString('latin1', pos + 1, pos + 1 + len).toLowerCase());
    pos += 1 + len;
  }
  return { name: labels.join('.'), end };
}

function readQuestions(buf: Buffer, count: number): { questions: DnsQuestion[]; end: number } {
  const questions: DnsQuestion[] = [];
  let pos = HEADER_BYTES;
  for (let i = 0; i < count; i++) {
    const { name, end } = readName(buf, pos);
    if (end + 4 > buf.length) throw new DnsFormatError(`question ${i + 1} is truncated`);
    questions.push({ name, type: buf.readUInt16BE(end), class: buf.readUInt16BE(end + 2) });
    pos = end + 4;
  }
  return { questions, end: pos };
}

/** Parse a query's header and questions; the answer/authority/additional sections (e.g. an EDNS OPT) are ignored. */
export function parseQuery(buf: Buffer): DnsQuery {
  const header = parseHeader(buf);
  if (!header) throw new DnsFormatError(`message of ${buf.length} bytes is shorter than a header`);
  try {
    const { questions, end } = readQuestions(buf, header.qdcount);
    return { header, questions, questionsEnd: end };
  } catch (err) {
    throw new DnsFormatError((err as Error).message, header);
  }
}

/** Parse a response: header, questions and the answer section (authority and additional are ignored). */
export function parseResponse(buf: Buffer): DnsResponse {
  const query = parseQuery(buf);
  const answers: DnsRecord[] = [];
  let pos = query.questionsEnd;
  try {
    for (let i = 0; i < query.header.ancount; i++) {
      const { name, end } = readName(buf, pos);
      if (end + 10 > buf.length) throw new DnsFormatError(`answer ${i + 1} is truncated`);
      const type = buf.readUInt16BE(end);
      const rdlength = buf.readUInt16BE(end + 8);
      if (end + 10 + rdlength > buf.length) throw new DnsFormatError(`answer ${i + 1} data runs past the end`);
      const data = buf.subarray(end + 10, end + 10 + rdlength);
      const record: DnsRecord = { name, type, class: buf.readUInt16BE(end + 2), ttl: buf.readUInt32BE(end + 4), data };
      if (type === TYPE_A && rdlength === 4) record.address = Array.from(data).join('.');
      else if (type === TYPE_AAAA && rdlength === 16) record.address = formatIPv6(data);
      answers.push(record);
      pos = end + 10 + rdlength;
    }
  } catch (err) {
    throw new DnsFormatError((err as Error).message, query.header);
  }
  return { ...query, answers };
}

function flagsOf(h: { qr: boolean; opcode: number; aa: boolean; tc: boolean; rd: boolean; rcode: number }): number {
  return (h.qr ? 0x8000 : 0) | ((h.opcode & 0xf) << 11) | (h.aa ? 0x0400 : 0) | (h.tc ? 0x0200 : 0) | (h.rd ? 0x0100 : 0) | (h.rcode & 0xf);
}

function writeHeader(buf: Buffer, id: number, flags: number, qd: number, an: number): void {
  buf.writeUInt16BE(id, 0);
  buf.writeUInt16BE(flags, 2);
  buf.writeUInt16BE(qd, 4);
  buf.writeUInt16BE(an, 6);
  buf.writeUInt16BE(0, 8);
  buf.writeUInt16BE(0, 10);
}

/** Encode a name (no compression); throws on labels over 63 bytes or names over 255. */
export function encodeName(name: string): Buffer {
  const trimmed = name.endsWith('.') ? name.slice(0, -1) : name;
  const labels = trimmed === '' ? [] : trimmed.split('.');
  const parts: Buffer[] = [];
  for (const label of labels) {
    const bytes = Buffer.from(label, 'latin1');
    if (bytes.length === 0 || bytes.length > 63) throw new DnsFormatError(`bad label "${label}" in "${name}" (1 to 63 bytes)`);
    parts.push(Buffer.from([bytes.length]), bytes);
  }
  parts.push(Buffer.from([0]));
  const out = Buffer.concat(parts);
  if (out.length > 255) throw new DnsFormatError(`name "${name}" is longer than 255 bytes`);
  return out;
}

/** A recursion-desired query for one name and type. */
export function buildQuery(id: number, name: string, type: number): Buffer {
  const qname = encodeName(name);
  const buf = Buffer.alloc(HEADER_BYTES + qname.length + 4);
  writeHeader(buf, id, flagsOf({ qr: false, opcode: 0, aa: false, tc: false, rd: true, rcode: 0 }), 1, 0);
  qname.copy(buf, HEADER_BYTES);
  buf.writeUInt16BE(type, HEADER_BYTES + qname.length);
  buf.writeUInt16BE(CLASS_IN, HEADER_BYTES + qname.length + 2);
  return buf;
}

export interface AnswerSpec {
  rcode: Rcode;
  /** Authoritative answer (AA). */
  aa: boolean;
  /** A (IPv4) or AAAA (IPv6) records for the (single) question's name, in this order. */
  addresses?: readonly string[];
  ttlSeconds?: number;
  /** Answers that do not fit in this many bytes are left out (default 512, the UDP limit without EDNS). */
  maxBytes?: number;
}

/**
 * A response to `query` (whose raw bytes are `raw`): the header's id, opcode and RD copied, QR set, RA clear (an
 * authoritative server does not recurse), the question section copied verbatim, and each answer's name a
 * compression pointer to the first question's name at byte 12. Answers that would overflow `maxBytes` are
 * dropped rather than setting TC: the lab has no TCP fallback, and with rotation every address still gets its
 * turn at the front.
 */
export function buildResponse(raw: Buffer, query: DnsQuery, spec: AnswerSpec): Buffer {
  const question = raw.subarray(HEADER_BYTES, query.questionsEnd);
  const maxBytes = spec.maxBytes ?? MAX_UDP_BYTES;
  const records: Buffer[] = [];
  let size = HEADER_BYTES + question.length;
  for (const address of spec.addresses ?? []) {
    const rdata = addressBytes(address);
    const rr = Buffer.alloc(12 + rdata.length);
    rr.writeUInt16BE(0xc000 | HEADER_BYTES, 0);
    rr.writeUInt16BE(rdata.length === 4 ? TYPE_A : TYPE_AAAA, 2);
    rr.writeUInt16BE(CLASS_IN, 4);
    rr.writeUInt32BE(spec.ttlSeconds ?? 0, 6);
    rr.writeUInt16BE(rdata.length, 10);
    rdata.copy(rr, 12);
    if (size + rr.length > maxBytes) break;
    size += rr.length;
    records.push(rr);
  }
  const header = Buffer.alloc(HEADER_BYTES);
  const flags = flagsOf({ qr: true, opcode: query.header.opcode, aa: spec.aa, tc: false, rd: query.header.rd, rcode: spec.rcode });
  writeHeader(header, query.header.id, flags, query.header.qdcount, records.length);
  return Buffer.concat([header, question, ...records]);
}

/** A bare error response (no question section) for a message whose questions could not be parsed. */
export function buildHeaderOnlyResponse(header: DnsHeader, rcode: Rcode): Buffer {
  const buf = Buffer.alloc(HEADER_BYTES);
  writeHeader(buf, header.id, flagsOf({ qr: true, opcode: header.opcode, aa: false, tc: false, rd: header.rd, rcode }), 0, 0);
  return buf;
}

/** The wire form of an IPv4 (4 bytes) or IPv6 (16 bytes) address. */
export function addressBytes(address: string): Buffer {
  const family = net.isIP(address);
  if (family === 4) return Buffer.from(address.split('.').map(Number));
  if (family === 6) return parseIPv6(address);
  throw new DnsFormatError(`"${address}" is not an IP address`);
}

function parseIPv6(address: string): Buffer {
  let text = address.split('%')[0] as string;
  const out = Buffer.alloc(16);
  // An embedded IPv4 tail (::ffff:1.2.3.4) becomes two hex groups.
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const b = (v4[1] as string).split('.').map(Number) as [number, number, number, number];
    text = text.slice(0, v4.index) + ((b[0] << 8) | b[1]).toString(16) + ':' + ((b[2] << 8) | b[3]).toString(16);
  }
  const [head, tail] = text.includes('::') ? (text.split('::') as [string, string]) : [text, undefined];
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = tail === undefined ? headGroups : [...headGroups, ...Array<string>(8 - headGroups.length - tailGroups.length).fill('0'), ...tailGroups];
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  return out;
}

/** RFC 5952 text form of 16 address bytes (the same formatting as the socket probes'). */
export function formatIPv6(bytes: Buffer): string {
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(bytes.readUInt16BE(i));
  return formatIpv6(groups);
}
