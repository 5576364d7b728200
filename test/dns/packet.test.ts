import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  DnsFormatError, HEADER_BYTES, RCODE, TYPE_A, TYPE_AAAA, addressBytes, buildHeaderOnlyResponse, buildQuery, buildResponse, formatIPv6,
  parseHeader, parseQuery, parseResponse, readName,
} from '../../src/dns/packet.js';

/** A header with the given id and qdcount, followed by `rest`. */
function message(qdcount: number, rest: number[]): Buffer {
  const h = Buffer.alloc(HEADER_BYTES);
  h.writeUInt16BE(0x1234, 0);
  h.writeUInt16BE(0x0100, 2); // RD
  h.writeUInt16BE(qdcount, 4);
  return Buffer.concat([h, Buffer.from(rest)]);
}

describe('dns packet', () => {
  test('a built query parses back, names lower-cased without the trailing dot', () => {
    const q = buildQuery(4242, 'App.Lab.TEST.', TYPE_A);
    const parsed = parseQuery(q);
    assert.equal(parsed.header.id, 4242);
    assert.equal(parsed.header.qr, false);
    assert.equal(parsed.header.rd, true);
    assert.deepEqual(parsed.questions, [{ name: 'app.lab.test', type: TYPE_A, class: 1 }]);
    assert.equal(parsed.questionsEnd, q.length);
  });

  test('a response: QR and AA set, RD copied, RA clear, the question echoed verbatim, answers pointing at it', () => {
    const raw = buildQuery(7, 'ApP.lab.test', TYPE_A);
    const res = buildResponse(raw, parseQuery(raw), { rcode: RCODE.NOERROR, aa: true, addresses: ['127.0.0.2', '127.0.0.3'], ttlSeconds: 30 });
    const h = parseHeader(res);
    assert.ok(h);
    assert.equal(h.id, 7);
    assert.equal(h.qr, true);
    assert.equal(h.aa, true);
    assert.equal(h.rd, true);
    assert.equal(h.ra, false);
    assert.equal(h.rcode, 0);
    assert.equal(h.ancount, 2);
    // Case of the question survives (DNS 0x20), and the first answer's name is a pointer to byte 12.
    assert.equal(res.toString('latin1', 13, 16), 'ApP');
    const firstAnswer = raw.length;
    assert.equal(res.readUInt16BE(firstAnswer), 0xc00c);
    const parsed = parseResponse(res);
    assert.deepEqual(parsed.answers.map((a) => [a.name, a.type, a.ttl, a.address]), [
      ['app.lab.test', TYPE_A, 30, '127.0.0.2'],
      ['app.lab.test', TYPE_A, 30, '127.0.0.3'],
    ]);
  });

  test('AAAA answers and IPv6 text forms', () => {
    const raw = buildQuery(9, 'v6.lab.test', TYPE_AAAA);
    const res = parseResponse(buildResponse(raw, parseQuery(raw), { rcode: RCODE.NOERROR, aa: true, addresses: ['::1', '2001:DB8::a:1'], ttlSeconds: 5 }));
    assert.deepEqual(res.answers.map((a) => [a.type, a.address]), [[TYPE_AAAA, '::1'], [TYPE_AAAA, '2001:db8::a:1']]);
    assert.equal(formatIPv6(addressBytes('1:0:0:2:0:0:0:3')), '1:0:0:2::3');
    assert.equal(formatIPv6(addressBytes('::ffff:1.2.3.4')), '::ffff:102:304');
    assert.equal(formatIPv6(addressBytes('1:2:3:4:5:6:7:8')), '1:2:3:4:5:6:7:8');
    assert.throws(() => addressBytes('nope'), DnsFormatError);
  });

  test('rcodes and the header-only FORMERR', () => {
    const raw = buildQuery(1, 'x.test', TYPE_A);
    const nx = parseHeader(buildResponse(raw, parseQuery(raw), { rcode: RCODE.NXDOMAIN, aa: true }));
    assert.equal(nx?.rcode, RCODE.NXDOMAIN);
    assert.equal(nx?.ancount, 0);
    const h = parseHeader(raw);
    assert.ok(h);
    const fe = buildHeaderOnlyResponse(h, RCODE.FORMERR);
    assert.equal(fe.length, HEADER_BYTES);
    assert.deepEqual([parseHeader(fe)?.rcode, parseHeader(fe)?.qr, parseHeader(fe)?.qdcount, parseHeader(fe)?.id], [RCODE.FORMERR, true, 0, 1]);
  });

  test('answers are capped to the 512-byte UDP limit', () => {
    const raw = buildQuery(1, 'many.lab.test', TYPE_A);
    const addresses = Array.from({ length: 40 }, (_, i) => `127.0.1.${i + 1}`);
    const res = buildResponse(raw, parseQuery(raw), { rcode: RCODE.NOERROR, aa: true, addresses, ttlSeconds: 1 });
    assert.ok(res.length <= 512);
    const n = parseResponse(res).answers.length;
    assert.equal(n, Math.floor((512 - raw.length) / 16));
  });

  test('compression pointers: backwards ones are followed', () => {
    // "lab.test" at 12, then "app" + pointer to 12 at 22.
    const buf = message(0, [3, 108, 97, 98, 4, 116, 101, 115, 116, 0, 3, 97, 112, 112, 0xc0, 12]);
    assert.deepEqual(readName(buf, 12), { name: 'lab.test', end: 22 });
    assert.deepEqual(readName(buf, 22), { name: 'app.lab.test', end: 28 });
  });

  test('pointer loops, forward pointers and truncation are rejected, never followed forever', () => {
    const selfLoop = message(1, [0xc0, 12, 0, 1, 0, 1]);
    const labelThenBack = message(1, [1, 97, 0xc0, 12, 0, 1, 0, 1]); // "a" then a pointer back to itself
    const forward = message(1, [0xc0, 14, 0, 1, 0, 1, 0]);
    const truncatedLabel = message(1, [5, 97, 98]);
    const truncatedPointer = message(1, [0xc0]);
    const noQuestion = message(1, []);
    const missingType = message(1, [1, 97, 0, 0]);
    const badLabelType = message(1, [0x40, 0]);
    for (const buf of [selfLoop, labelThenBack, forward, truncatedLabel, truncatedPointer, noQuestion, missingType, badLabelType]) {
      assert.throws(() => parseQuery(buf), (err: unknown) => err instanceof DnsFormatError && err.header?.id === 0x1234);
    }
    assert.throws(() => parseQuery(Buffer.from([1, 2, 3])), (err: unknown) => err instanceof DnsFormatError && err.header === undefined);
    assert.equal(parseHeader(Buffer.alloc(11)), undefined);
  });

  test('names over 255 bytes and labels over 63 are rejected', () => {
    assert.throws(() => buildQuery(1, `${'a'.repeat(64)}.test`, TYPE_A), DnsFormatError);
    assert.throws(() => buildQuery(1, Array(50).fill('abcde').join('.'), TYPE_A), DnsFormatError);
    const long = Array(50).fill([5, 97, 98, 99, 100, 101]).flat();
    assert.throws(() => parseQuery(message(1, [...long, 0, 0, 1, 0, 1])), /255/);
  });
});
