/**
 * A minimal ASN.1 DER encoder (ITU-T X.690 §10): just the types an X.509 v3 certificate needs, so the
 * self-signed certificate is built without an npm dependency or the openssl binary. Every function returns
 * the complete TLV encoding; constructed types take already-encoded children.
 */

/** DER length octets: short form below 128, otherwise long form with the minimal number of bytes (§10.1). */
function encodeLength(len: number): Buffer {
  if (len < 0x80) return Buffer.from([len]);
  const bytes: number[] = [];
  for (let n = len; n > 0; n = Math.floor(n / 256)) bytes.unshift(n & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

export function tlv(tag: number, content: Buffer): Buffer {
  return Buffer.concat([Buffer.from([tag]), encodeLength(content.length), content]);
}

export function sequence(...children: Buffer[]): Buffer {
  return tlv(0x30, Buffer.concat(children));
}

export function set(...children: Buffer[]): Buffer {
  return tlv(0x31, Buffer.concat(children));
}

export function boolean(value: boolean): Buffer {
  return tlv(0x01, Buffer.from([value ? 0xff : 0x00]));
}

/**
 * INTEGER from unsigned big-endian bytes: leading zero octets are stripped and one 0x00 is prepended when the
 * high bit is set, so the value stays positive and minimal (DER forbids redundant leading octets).
 */
export function integer(value: Buffer | number): Buffer {
  let bytes = typeof value === 'number' ? numberBytes(value) : Buffer.from(value);
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  bytes = bytes.subarray(start);
  if (bytes.length === 0) bytes = Buffer.from([0]);
  if ((bytes[0] ?? 0) & 0x80) bytes = Buffer.concat([Buffer.from([0]), bytes]);
  return tlv(0x02, bytes);
}

function numberBytes(n: number): Buffer {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`asn1 integer must be a non-negative safe integer, got ${n}`);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v % 256);
  return Buffer.from(bytes.length ? bytes : [0]);
}

/** OBJECT IDENTIFIER from dotted form: first two arcs packed as 40*a+b, the rest base-128 (§8.19). */
export function oid(dotted: string): Buffer {
  const arcs = dotted.split('.').map((s) => {
    const n = Number(s);
    if (!/^\d+$/.test(s) || !Number.isSafeInteger(n)) throw new RangeError(`bad OID arc "${s}" in ${dotted}`);
    return n;
  });
  if (arcs.length < 2) throw new RangeError(`OID needs at least two arcs: ${dotted}`);
  const out: number[] = [];
  const packed = [(arcs[0] ?? 0) * 40 + (arcs[1] ?? 0), ...arcs.slice(2)];
  for (const arc of packed) {
    const chunk: number[] = [arc & 0x7f];
    for (let v = Math.floor(arc / 128); v > 0; v = Math.floor(v / 128)) chunk.unshift((v & 0x7f) | 0x80);
    out.push(...chunk);
  }
  return tlv(0x06, Buffer.from(out));
}

export function utf8String(s: string): Buffer {
  return tlv(0x0c, Buffer.from(s, 'utf8'));
}

export function printableString(s: string): Buffer {
  if (!/^[A-Za-z0-9 '()+,\-./:=?]*$/.test(s)) throw new RangeError(`not a PrintableString: ${s}`);
  return tlv(0x13, Buffer.from(s, 'ascii'));
}

export function octetString(content: Buffer): Buffer {
  return tlv(0x04, content);
}

/** BIT STRING with zero unused bits: keys and signatures are always whole octets. */
export function bitString(content: Buffer): Buffer {
  return tlv(0x03, Buffer.concat([Buffer.from([0]), content]));
}

/**
 * X.509 Time: UTCTime for years 1950–2049 and GeneralizedTime otherwise, as RFC 5280 §4.1.2.5 requires;
 * always UTC with seconds and a trailing Z, no fractions.
 */
export function time(date: Date): Buffer {
  const iso = date.toISOString(); // YYYY-MM-DDTHH:MM:SS.sssZ
  const digits = iso.slice(0, 19).replace(/[-:T]/g, '') + 'Z'; // YYYYMMDDHHMMSSZ
  const year = date.getUTCFullYear();
  if (year >= 1950 && year < 2050) return tlv(0x17, Buffer.from(digits.slice(2), 'ascii'));
  return tlv(0x18, Buffer.from(digits, 'ascii'));
}

/** Context-specific constructed tag [n] EXPLICIT wrapping an encoded value. */
export function explicit(n: number, inner: Buffer): Buffer {
  return tlv(0xa0 | n, inner);
}

/** Context-specific primitive tag [n] IMPLICIT with raw content (e.g. GeneralName dNSName [2], iPAddress [7]). */
export function implicitPrimitive(n: number, content: Buffer): Buffer {
  return tlv(0x80 | n, content);
}

export function toPem(label: string, der: Buffer): string {
  const b64 = der.toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '');
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}
