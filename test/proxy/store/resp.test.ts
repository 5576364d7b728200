import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { RespParser, RespReplyError, encodeCommand, type RespValue } from '../../../src/proxy/store/resp.js';

const WIRE =
  '+OK\r\n' +
  '-WRONGTYPE Operation against a key holding the wrong kind of value\r\n' +
  ':42\r\n' +
  ':-7\r\n' +
  '$5\r\nhello\r\n' +
  '$0\r\n\r\n' +
  '$-1\r\n' +
  '$5\r\na\r\nbc\r\n' + // CRLF inside a bulk string is data
  '$4\r\n\u00e9\u00e9\r\n' + // 4 bytes of UTF-8, 2 characters
  '*-1\r\n' +
  '*0\r\n' +
  '*3\r\n:1\r\n*2\r\n$1\r\nx\r\n$-1\r\n-ERR inner\r\n';

function check(replies: RespValue[]): void {
  assert.equal(replies.length, 12);
  assert.equal(replies[0], 'OK');
  assert.ok(replies[1] instanceof RespReplyError);
  assert.equal((replies[1] as RespReplyError).code, 'WRONGTYPE');
  assert.match((replies[1] as RespReplyError).message, /^WRONGTYPE Operation/);
  assert.deepEqual(replies.slice(2, 11), [42, -7, 'hello', '', null, 'a\r\nbc', '\u00e9\u00e9', null, []]);
  const nested = replies[11] as RespValue[];
  assert.deepEqual(nested.slice(0, 2), [1, ['x', null]]);
  assert.ok(nested[2] instanceof RespReplyError);
  assert.equal((nested[2] as RespReplyError).code, 'ERR');
}

describe('RESP2 parser', () => {
  test('several replies in one chunk', () => {
    const p = new RespParser();
    check(p.feed(Buffer.from(WIRE)));
  });

  test('replies split at every byte (including inside CRLF and inside a UTF-8 sequence)', () => {
    const bytes = Buffer.from(WIRE);
    const p = new RespParser();
    const out: RespValue[] = [];
    for (let i = 0; i < bytes.length; i++) out.push(...p.feed(bytes.subarray(i, i + 1)));
    check(out);
  });

  test('replies split at every possible single cut', () => {
    const bytes = Buffer.from(WIRE);
    for (let cut = 1; cut < bytes.length; cut++) {
      const p = new RespParser();
      const out = [...p.feed(bytes.subarray(0, cut)), ...p.feed(bytes.subarray(cut))];
      check(out);
    }
  });

  test('an incomplete reply yields nothing until it completes', () => {
    const p = new RespParser();
    assert.deepEqual(p.feed(Buffer.from('*2\r\n$3\r\nfoo\r\n')), []);
    assert.deepEqual(p.feed(Buffer.from('$3\r\nbar\r\n+OK')), [['foo', 'bar']]);
    assert.deepEqual(p.feed(Buffer.from('\r\n')), ['OK']);
  });

  test('garbage is a protocol error', () => {
    assert.throws(() => new RespParser().feed(Buffer.from('?what\r\n')), { code: 'EPROTO' });
    assert.throws(() => new RespParser().feed(Buffer.from(':12x\r\n')), { code: 'EPROTO' });
  });

  test('commands are encoded as arrays of bulk strings with byte lengths', () => {
    assert.equal(encodeCommand(['SET', 'k', 'é', 'PX', '200']), '*5\r\n$3\r\nSET\r\n$1\r\nk\r\n$2\r\né\r\n$2\r\nPX\r\n$3\r\n200\r\n');
  });
});
