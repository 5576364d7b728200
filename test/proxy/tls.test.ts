import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tls from 'node:tls';
import { WsherdError } from '../../src/errors.js';
import { ipBytes, loadTls, selfSignedCertificate } from '../../src/proxy/tls.js';
import * as asn1 from '../../src/proxy/asn1.js';

const dir = mkdtempSync(join(tmpdir(), 'wsherd-tls-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, content: string): string {
  const file = join(dir, name);
  writeFileSync(file, content);
  return file;
}

/** Asserts a WsherdError('WSH_ERR_INVALID_INPUT') whose message contains every fragment. */
function invalidInput(...fragments: string[]) {
  return (err: unknown): boolean => {
    assert.ok(err instanceof WsherdError, `expected WsherdError, got ${String(err)}`);
    assert.equal(err.code, 'WSH_ERR_INVALID_INPUT');
    for (const f of fragments) assert.ok(err.message.includes(f), `"${err.message}" should include "${f}"`);
    assert.ok(err.hint, 'carries a hint');
    return true;
  };
}

/** TLS server echoing one line back; client verifies against `ca` the default way (rejectUnauthorized). */
async function handshake(cert: string, key: string, client: tls.ConnectionOptions): Promise<string> {
  const server = tls.createServer({ cert, key }, (s) => s.on('data', (d) => s.end(Buffer.concat([Buffer.from('echo:'), d]))));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  try {
    const { port } = server.address() as AddressInfo;
    const sock = tls.connect({ host: '127.0.0.1', port, ca: cert, rejectUnauthorized: true, ...client });
    try {
      await once(sock, 'secureConnect');
      assert.equal(sock.authorized, true);
      sock.write('ping');
      const chunks: Buffer[] = [];
      sock.on('data', (d: Buffer) => chunks.push(d));
      await once(sock, 'end');
      return Buffer.concat(chunks).toString();
    } finally {
      sock.destroy();
    }
  } finally {
    server.close();
    await once(server, 'close');
  }
}

describe('asn1', () => {
  test('DER encodings match known vectors', () => {
    assert.equal(asn1.oid('1.2.840.10045.4.3.2').toString('hex'), '06082a8648ce3d040302');
    assert.equal(asn1.integer(0).toString('hex'), '020100');
    assert.equal(asn1.integer(128).toString('hex'), '02020080');
    assert.equal(asn1.integer(Buffer.from([0, 0, 1])).toString('hex'), '020101');
    assert.equal(asn1.tlv(0x04, Buffer.alloc(200)).subarray(0, 3).toString('hex'), '0481c8');
    assert.equal(asn1.tlv(0x04, Buffer.alloc(300)).subarray(0, 4).toString('hex'), '0482012c');
    assert.equal(asn1.time(new Date(Date.UTC(2026, 0, 2, 3, 4, 5))).toString('ascii', 2), '260102030405Z');
    assert.equal(asn1.time(new Date(Date.UTC(2051, 0, 2, 3, 4, 5))).toString('ascii', 2), '20510102030405Z');
  });

  test('IP literals become 4 or 16 bytes; hostnames do not', () => {
    assert.equal(ipBytes('127.0.0.1')?.toString('hex'), '7f000001');
    assert.equal(ipBytes('::1')?.toString('hex'), '00000000000000000000000000000001');
    assert.equal(ipBytes('[fe80::1:2]')?.toString('hex'), 'fe800000000000000000000000010002');
    assert.equal(ipBytes('::ffff:10.0.0.1')?.toString('hex'), '00000000000000000000ffff0a000001');
    assert.equal(ipBytes('2001:db8:1:2:3:4:5:6')?.toString('hex'), '20010db8000100020003000400050006');
    assert.equal(ipBytes('localhost'), undefined);
  });
});

describe('self-signed certificate', () => {
  test('parses, matches its key, and covers localhost, 127.0.0.1 and ::1', () => {
    const { cert, key } = selfSignedCertificate();
    const x = new X509Certificate(cert);
    assert.equal(x.checkPrivateKey(createPrivateKey(key)), true);
    assert.equal(x.checkHost('localhost'), 'localhost');
    assert.equal(x.checkIP('127.0.0.1'), '127.0.0.1');
    assert.equal(x.checkIP('::1'), '::1');
    assert.equal(x.checkHost('example.com'), undefined);
    assert.ok(new Date(x.validTo).getTime() > Date.now() + 29 * 86_400_000);
    assert.ok(new Date(x.validFrom).getTime() < Date.now());
    assert.equal(x.subject, 'CN=wsherd self-signed');
    assert.equal(x.issuer, x.subject);
    assert.equal(x.ca, false);
    assert.deepEqual(x.keyUsage, ['1.3.6.1.5.5.7.3.1']);
    assert.equal(x.verify(x.publicKey), true, 'self-signature verifies');
    assert.equal(x.serialNumber.length, 32, '16-byte serial');
    assert.ok(parseInt(x.serialNumber[0] ?? '', 16) < 8, 'serial is positive');
  });

  test('custom names and lifetime', () => {
    const x = new X509Certificate(selfSignedCertificate(['lb.test', '10.1.2.3'], 2).cert);
    assert.equal(x.subjectAltName, 'DNS:lb.test, IP Address:10.1.2.3');
    const days = (new Date(x.validTo).getTime() - Date.now()) / 86_400_000;
    assert.ok(days > 1.9 && days <= 2, `lifetime ${days}`);
    assert.throws(() => selfSignedCertificate(['not a host']), invalidInput('not a host'));
  });

  test('a real TLS client verifies it by hostname (SNI localhost)', async () => {
    const { cert, key } = selfSignedCertificate();
    assert.equal(await handshake(cert, key, { servername: 'localhost' }), 'echo:ping');
  });

  test('a real TLS client verifies it by IP (default checkServerIdentity)', async () => {
    const { cert, key } = selfSignedCertificate();
    assert.equal(await handshake(cert, key, {}), 'echo:ping');
  });

  test('a client that does not trust it is rejected (the check is real)', async () => {
    const { cert, key } = selfSignedCertificate();
    const other = selfSignedCertificate().cert;
    await assert.rejects(handshake(cert, key, { ca: other, servername: 'localhost' }), /self[- ]signed|verify/i);
  });
});

describe('loadTls', () => {
  const pair = selfSignedCertificate();
  const certFile = write('cert.pem', pair.cert);
  const keyFile = write('key.pem', pair.key);

  test('files round-trip with the right fingerprint and expiry', () => {
    const m = loadTls({ certFile, keyFile });
    const x = new X509Certificate(pair.cert);
    assert.equal(m.source, 'files');
    assert.equal(m.cert, pair.cert);
    assert.equal(m.key, pair.key);
    assert.equal(m.fingerprint256, x.fingerprint256);
    assert.match(m.fingerprint256, /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    assert.equal(m.validTo, new Date(x.validTo).toISOString());
  });

  test('selfSigned generates material', () => {
    const m = loadTls({ selfSigned: true, names: ['proxy.test'] });
    assert.equal(m.source, 'self-signed');
    const x = new X509Certificate(m.cert);
    assert.equal(m.fingerprint256, x.fingerprint256);
    assert.equal(x.checkHost('proxy.test'), 'proxy.test');
    assert.ok(Date.parse(m.validTo) > Date.now());
  });

  test('missing file', () => {
    const missing = join(dir, 'nope.pem');
    assert.throws(() => loadTls({ certFile: missing, keyFile }), invalidInput(missing, 'does not exist'));
    assert.throws(() => loadTls({ certFile, keyFile: missing }), invalidInput(missing, 'does not exist'));
  });

  test('garbage file', () => {
    const junk = write('junk.pem', 'hello, not a certificate\n');
    assert.throws(() => loadTls({ certFile: junk, keyFile }), invalidInput(junk, 'does not contain a PEM certificate'));
    assert.throws(() => loadTls({ certFile, keyFile: junk }), invalidInput(junk, 'does not contain a PEM private key'));
    const swapped = () => loadTls({ certFile: keyFile, keyFile: certFile });
    assert.throws(swapped, invalidInput(keyFile, 'does not contain a PEM certificate'));
    const broken = write('broken.pem', '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n');
    assert.throws(() => loadTls({ certFile: broken, keyFile }), invalidInput(broken, 'not a valid certificate'));
  });

  test('mismatched key', () => {
    const otherKey = write('other-key.pem', selfSignedCertificate().key);
    assert.throws(() => loadTls({ certFile, keyFile: otherKey }), invalidInput(otherKey, certFile, 'does not match'));
  });

  test('expired certificate', async () => {
    const old = selfSignedCertificate(['localhost'], 1e-6);
    const oldCert = write('old.pem', old.cert);
    const oldKey = write('old-key.pem', old.key);
    // notAfter is now + 86 ms truncated to whole seconds: it may still lie up to a second ahead. Wait until it is
    // really past (a fixed short sleep failed on CI whenever the 86 ms crossed a second boundary).
    const notAfter = new Date(new X509Certificate(old.cert).validTo).getTime();
    await new Promise((r) => setTimeout(r, Math.max(0, notAfter - Date.now()) + 20));
    assert.throws(() => loadTls({ certFile: oldCert, keyFile: oldKey }), invalidInput(oldCert, 'expired on'));
  });

  test('only one of cert/key, or neither, or both modes', () => {
    assert.throws(() => loadTls({ certFile }), invalidInput(certFile, 'both'));
    assert.throws(() => loadTls({ keyFile }), invalidInput(keyFile, 'both'));
    assert.throws(() => loadTls({}), invalidInput('both'));
    assert.throws(() => loadTls({ selfSigned: true, certFile, keyFile }), invalidInput('self-signed'));
  });
});
