/**
 * TLS termination material for the reference proxy's wss:// listener: either a certificate/key pair read from
 * files and checked up front (so a bad pair fails at start, not at the first handshake), or a throwaway
 * self-signed P-256 certificate built in-process (no npm dependency, no openssl binary).
 */
import { X509Certificate, createPrivateKey, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { createSecureContext } from 'node:tls';
import { WsherdError } from '../errors.js';
import * as asn1 from './asn1.js';

export interface TlsOptions {
  /** PEM certificate (optionally followed by its chain). Needs `keyFile`. */
  certFile?: string;
  /** PEM private key matching `certFile`; unencrypted. */
  keyFile?: string;
  /** Generate a throwaway self-signed certificate instead of reading files. */
  selfSigned?: boolean;
  /** Hostnames/IPs for the self-signed SAN; default ['localhost', '127.0.0.1', '::1']. */
  names?: string[];
  /**
   * Already loaded material (PEM), e.g. made by the lab manager so that it can hand the certificate to the load
   * generator as a trusted CA. Used as is: the process that produced it has checked it.
   */
  pem?: { cert: string; key: string };
}

export interface TlsMaterial {
  /** PEM */
  cert: string;
  /** PEM */
  key: string;
  source: 'files' | 'self-signed';
  /** SHA-256 fingerprint, colon hex, to print at start so clients can pin or compare it. */
  fingerprint256: string;
  /** notAfter, ISO 8601. */
  validTo: string;
}

export const DEFAULT_SELF_SIGNED_NAMES: readonly string[] = ['localhost', '127.0.0.1', '::1'];
const DEFAULT_DAYS = 30;
const SUBJECT_CN = 'wsherd self-signed';
const NAMES_HINT = 'Give hostnames (e.g. localhost, lb.test) or IP literals (e.g. 127.0.0.1, ::1).';

const OID = {
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  commonName: '2.5.4.3',
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  extKeyUsage: '2.5.29.37',
  subjectAltName: '2.5.29.17',
  serverAuth: '1.3.6.1.5.5.7.3.1',
} as const;

const PEM_CERT = /-----BEGIN CERTIFICATE-----/;
const PEM_KEY = /-----BEGIN (?:RSA |EC |ENCRYPTED )?PRIVATE KEY-----/;

/** Reads and validates TLS material; every user-caused problem is a WsherdError('WSH_ERR_INVALID_INPUT'). */
export function loadTls(opts: TlsOptions): TlsMaterial {
  const { certFile, keyFile, selfSigned } = opts;
  if (opts.pem !== undefined) return material(opts.pem.cert, opts.pem.key, 'files', new X509Certificate(opts.pem.cert));
  if (selfSigned && (certFile !== undefined || keyFile !== undefined)) {
    throw invalid('TLS: a self-signed certificate and certificate/key files were both requested.', {
      hint: 'Use either the self-signed option or --tls-cert/--tls-key, not both.',
    });
  }
  if (selfSigned) {
    const { cert, key } = selfSignedCertificate(opts.names);
    return material(cert, key, 'self-signed', new X509Certificate(cert));
  }
  if (certFile === undefined || keyFile === undefined) {
    const given = certFile !== undefined ? `certificate file ${certFile}` : keyFile !== undefined ? `key file ${keyFile}` : undefined;
    throw invalid(
      given
        ? `TLS: only the ${given} was given; both a certificate file and a private key file are needed.`
        : 'TLS: no certificate given; both a certificate file and a private key file are needed.',
      { hint: 'Pass both --tls-cert and --tls-key, or use a self-signed certificate for testing.' },
    );
  }
  const cert = readPem(certFile, 'certificate');
  const key = readPem(keyFile, 'private key');
  const x509 = parseCert(cert, certFile);
  checkKey(key, keyFile);
  checkPair(cert, key, certFile, keyFile);
  checkValidity(x509, certFile);
  return material(cert, key, 'files', x509);
}

/**
 * A self-signed X.509 v3 server certificate (ECDSA P-256, SHA-256) for `names`, valid from one hour ago
 * (tolerates client clock skew) for `days` days. IP literals go into iPAddress SAN entries, the rest into
 * dNSName; clients check only the SAN, never the CN (RFC 6125 §6.4.4).
 */
export function selfSignedCertificate(
  names: string[] = [...DEFAULT_SELF_SIGNED_NAMES],
  days: number = DEFAULT_DAYS,
): { cert: string; key: string } {
  if (names.length === 0) {
    throw invalid('TLS: a self-signed certificate needs at least one hostname or IP.', { hint: NAMES_HINT });
  }
  if (!(days > 0) || !Number.isFinite(days)) {
    throw invalid(`TLS: certificate lifetime must be a positive number of days, got ${days}.`, {
      hint: `Omit it for the default of ${DEFAULT_DAYS} days.`,
    });
  }
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const now = Date.now();
  const notBefore = new Date(now - 3_600_000);
  const notAfter = new Date(now + days * 86_400_000);
  const sigAlg = asn1.sequence(asn1.oid(OID.ecdsaWithSha256)); // parameters absent for ECDSA (RFC 5758 §3.2)
  const name = asn1.sequence(asn1.set(asn1.sequence(asn1.oid(OID.commonName), asn1.utf8String(SUBJECT_CN))));
  const serial = randomBytes(16);
  serial[0] = (serial[0] ?? 0) & 0x7f || 0x01; // positive and exactly 16 bytes (RFC 5280 §4.1.2.2: at most 20)
  const tbs = asn1.sequence(
    asn1.explicit(0, asn1.integer(2)), // v3
    asn1.integer(serial),
    sigAlg,
    name,
    asn1.sequence(asn1.time(notBefore), asn1.time(notAfter)),
    name,
    publicKey.export({ type: 'spki', format: 'der' }),
    asn1.explicit(3, asn1.sequence(...extensions(names))),
  );
  const signature = sign('sha256', tbs, privateKey); // DER ECDSA-Sig-Value, as X.509 expects
  const der = asn1.sequence(tbs, sigAlg, asn1.bitString(signature));
  return {
    cert: asn1.toPem('CERTIFICATE', der),
    key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}

function extensions(names: string[]): Buffer[] {
  const ext = (id: string, critical: boolean, value: Buffer): Buffer =>
    critical
      ? asn1.sequence(asn1.oid(id), asn1.boolean(true), asn1.octetString(value))
      : asn1.sequence(asn1.oid(id), asn1.octetString(value)); // DER omits the DEFAULT FALSE
  // KeyUsage BIT STRING: only bit 0 (digitalSignature) set → one octet 0x80 with 7 unused bits.
  const keyUsage = asn1.tlv(0x03, Buffer.from([0x07, 0x80]));
  const san = names.map((n) => {
    const ip = ipBytes(n);
    if (ip) return asn1.implicitPrimitive(7, ip);
    if (!/^[A-Za-z0-9*]([A-Za-z0-9.*-]*[A-Za-z0-9])?$/.test(n)) {
      throw invalid(`TLS: "${n}" is neither a hostname nor an IP address; it cannot go into a certificate.`, {
        hint: NAMES_HINT,
      });
    }
    return asn1.implicitPrimitive(2, Buffer.from(n.toLowerCase(), 'ascii'));
  });
  return [
    ext(OID.basicConstraints, true, asn1.sequence()), // cA DEFAULT FALSE → empty SEQUENCE
    ext(OID.keyUsage, true, keyUsage),
    ext(OID.extKeyUsage, false, asn1.sequence(asn1.oid(OID.serverAuth))),
    ext(OID.subjectAltName, false, asn1.sequence(...san)),
  ];
}

/** 4 or 16 network-order bytes for an IP literal (brackets and zone allowed), or undefined for a hostname. */
export function ipBytes(text: string): Buffer | undefined {
  const s = text.replace(/^\[(.*)\]$/, '$1').replace(/%.*$/, '');
  const family = isIP(s);
  if (family === 4) return Buffer.from(s.split('.').map(Number));
  if (family !== 6) return undefined;
  let groups = s;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (v4?.[1]) {
    const [a = 0, b = 0, c = 0, d = 0] = v4[1].split('.').map(Number);
    groups = s.slice(0, -v4[1].length) + `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = groups.split('::');
  const parse = (part: string): number[] => (part ? part.split(':').map((h) => parseInt(h, 16)) : []);
  const left = parse(head);
  const right = tail === undefined ? [] : parse(tail);
  const all = [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
  const out = Buffer.alloc(16);
  all.forEach((g, i) => out.writeUInt16BE(g, i * 2));
  return out;
}

function material(cert: string, key: string, source: TlsMaterial['source'], x509: X509Certificate): TlsMaterial {
  return { cert, key, source, fingerprint256: x509.fingerprint256, validTo: new Date(x509.validTo).toISOString() };
}

function invalid(message: string, opts: { hint?: string; cause?: unknown } = {}): WsherdError {
  return new WsherdError('WSH_ERR_INVALID_INPUT', message, opts);
}

function readPem(file: string, what: 'certificate' | 'private key'): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const problem =
      code === 'ENOENT' ? 'does not exist'
      : code === 'EACCES' || code === 'EPERM' ? 'is not readable (permission denied)'
      : code === 'EISDIR' ? 'is a directory, not a file'
      : `cannot be read (${code ?? String(err)})`;
    throw invalid(`TLS ${what} file ${file} ${problem}.`, {
      hint: `Check the path and permissions of the ${what} file.`,
      cause: err,
    });
  }
  const [re, label] = what === 'certificate' ? [PEM_CERT, 'a PEM certificate'] : [PEM_KEY, 'a PEM private key'];
  if (!re.test(text)) {
    throw invalid(`TLS ${what} file ${file} does not contain ${label}.`, {
      hint:
        what === 'certificate'
          ? 'Expected a "-----BEGIN CERTIFICATE-----" block; convert DER with `openssl x509 -inform der -out cert.pem`.'
          : 'Expected a "-----BEGIN PRIVATE KEY-----" block; did you swap the certificate and key files?',
    });
  }
  if (/-----BEGIN ENCRYPTED PRIVATE KEY-----/.test(text) || /Proc-Type: 4,ENCRYPTED/.test(text)) {
    throw invalid(`TLS private key file ${file} is encrypted; the proxy cannot prompt for a passphrase.`, {
      hint: 'Decrypt it first, e.g. `openssl pkey -in key.pem -out key-plain.pem`.',
    });
  }
  return text;
}

function parseCert(cert: string, file: string): X509Certificate {
  try {
    return new X509Certificate(cert);
  } catch (err) {
    throw invalid(`TLS certificate file ${file} contains a PEM block that is not a valid certificate: ${errText(err)}.`, {
      hint: 'Check that the file was not truncated or edited.',
      cause: err,
    });
  }
}

function checkKey(key: string, file: string): void {
  try {
    createPrivateKey(key);
  } catch (err) {
    throw invalid(`TLS private key file ${file} contains a PEM block that is not a valid private key: ${errText(err)}.`, {
      hint: 'Check that the file was not truncated or edited.',
      cause: err,
    });
  }
}

function checkPair(cert: string, key: string, certFile: string, keyFile: string): void {
  try {
    createSecureContext({ cert, key });
  } catch (err) {
    throw invalid(`TLS private key ${keyFile} does not match certificate ${certFile} (${errText(err)}).`, {
      hint: 'Use the key the certificate was issued for; compare `openssl x509 -pubkey -noout` with `openssl pkey -pubout`.',
      cause: err,
    });
  }
}

function checkValidity(x509: X509Certificate, file: string): void {
  const now = Date.now();
  const notAfter = new Date(x509.validTo);
  const notBefore = new Date(x509.validFrom);
  if (notAfter.getTime() < now) {
    throw invalid(`TLS certificate ${file} expired on ${notAfter.toISOString()}.`, {
      hint: 'Renew the certificate, or use a self-signed one for testing.',
    });
  }
  if (notBefore.getTime() > now) {
    throw invalid(`TLS certificate ${file} is not valid until ${notBefore.toISOString()}.`, {
      hint: 'Check the system clock, or wait until the certificate becomes valid.',
    });
  }
}

function errText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
