import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  locateJsonError, offsetAt, offsetFromMessage, positionAt, reasonFromMessage, scanJsonError,
} from '../../src/results/json-position.js';
import { SAMPLE_FILE } from './fixture.js';
import { readFile } from 'node:fs/promises';

function parseError(text: string): Error {
  try {
    JSON.parse(text);
  } catch (err) {
    return err as Error;
  }
  assert.fail(`${JSON.stringify(text)} parsed`);
}

describe('positionAt / offsetAt', () => {
  test('1-based lines and columns; the end of the text is just after the last character', () => {
    const text = '{\n  "a": 1,\n  "b": x\n}';
    assert.deepEqual(positionAt(text, 0), { line: 1, col: 1 });
    assert.deepEqual(positionAt(text, 1), { line: 1, col: 2 }, 'the newline ends line 1');
    assert.deepEqual(positionAt(text, 2), { line: 2, col: 1 });
    assert.deepEqual(positionAt(text, text.indexOf('x')), { line: 3, col: 8 });
    assert.deepEqual(positionAt(text, text.length), { line: 4, col: 2 });
    assert.deepEqual(positionAt(text, 10_000), { line: 4, col: 2 }, 'clamped');
    assert.deepEqual(positionAt('a\r\nb', 3), { line: 2, col: 1 }, 'CRLF counts as one line break');
    assert.equal(offsetAt(text, 3, 8), text.indexOf('x'));
    assert.equal(offsetAt(text, 99, 1), text.length);
  });

  test('offsetAt inverts positionAt (property)', () => {
    fc.assert(fc.property(fc.string({ unit: fc.constantFrom('a', 'b', '\n', '\r', ' ', 'é') }), fc.nat(), (text, n) => {
      const offset = n % (text.length + 1);
      const { line, col } = positionAt(text, offset);
      assert.equal(offsetAt(text, line, col), offset);
    }));
  });
});

describe('V8 messages', () => {
  test('Node 20 wording: "at position N"', () => {
    const text = '{\n"a": 1\n"b": 2}';
    assert.equal(offsetFromMessage('Expected \',\' or \'}\' after property value in JSON at position 9', text), 9);
    assert.equal(reasonFromMessage('Expected \',\' or \'}\' after property value in JSON at position 9'), 'Expected \',\' or \'}\' after property value');
    assert.equal(reasonFromMessage('Unterminated string in JSON at position 4'), 'Unterminated string');
  });

  test('Node 22 wording: "(line L column C)" wins over the position', () => {
    const text = '{\n"a": 1\n"b": 2}';
    const msg = 'Expected \',\' or \'}\' after property value in JSON at position 9 (line 3 column 1)';
    assert.equal(offsetFromMessage(msg, text), 9);
    assert.equal(offsetFromMessage('Unexpected token in JSON (line 2 column 3)', text), offsetAt(text, 2, 3));
    assert.equal(reasonFromMessage(msg), 'Expected \',\' or \'}\' after property value');
  });

  test('messages without a position', () => {
    assert.equal(offsetFromMessage('Unexpected end of JSON input', '{"a": '), 6);
    assert.equal(offsetFromMessage('Unexpected token \'}\', "{"a": }" is not valid JSON', '{"a": }'), undefined);
    assert.equal(reasonFromMessage('Unexpected token \'}\', "{"a": }" is not valid JSON'), 'Unexpected token \'}\'');
    assert.equal(reasonFromMessage('Unexpected token \'}\', ..."a": 1, "b": }  "... is not valid JSON'), 'Unexpected token \'}\'');
  });
});

describe('locateJsonError', () => {
  test('agrees with this Node\'s JSON.parse wherever V8 gives a position, and finds it where V8 does not', () => {
    const cases: [string, number][] = [
      ['{"a": }', 6], ['{"a": 1', 7], ['{"a": 1,', 8], ['xyz', 0], ['{"a": tru}', 9], ['{"a": "abc', 10], ['{"a": 1} x', 9],
      ['[1,2,]', 5], ['{"a":1,}', 7], ['{"a" 1}', 5], ['{"a": 01}', 7], ['{"a": "\\q"}', 8], ['{"a":"x\ny"}', 7],
      ['{"a": -}', 7], ['{"a": 1.}', 8], ['{"a": 1e}', 8], ['[1 2]', 3], ['{\'a\':1}', 1], ['', 0], ['[\n  1,\n  }', 9],
    ];
    for (const [text, offset] of cases) {
      const at = locateJsonError(text, parseError(text));
      const scanned = scanJsonError(text);
      // "Unexpected end" (V8) is the end of the text; the scanner stops at the first missing character.
      assert.equal(at.offset, offset, `${JSON.stringify(text)}: ${parseError(text).message}`);
      if (scanned !== undefined && !/Unexpected end/.test(parseError(text).message)) assert.equal(scanned, offset, `scanner on ${JSON.stringify(text)}`);
      assert.deepEqual({ line: at.line, col: at.col }, positionAt(text, offset));
      assert.doesNotMatch(at.reason, /position|is not valid JSON/);
    }
  });

  test('finds a stray token deep in a real results file by line and column', async () => {
    const text = await readFile(SAMPLE_FILE, 'utf8');
    assert.equal(scanJsonError(text), undefined, 'the sample is valid JSON');
    const offset = text.indexOf('"unattributed": 0') + '"unattributed": '.length;
    const broken = `${text.slice(0, offset)}]${text.slice(offset + 1)}`;
    const at = locateJsonError(broken, parseError(broken));
    assert.equal(at.offset, offset);
    assert.deepEqual({ line: at.line, col: at.col }, positionAt(broken, offset));
    assert.equal(at.reason, 'Unexpected token \']\'');
  });

  test('valid JSON of every kind scans clean (property)', () => {
    fc.assert(fc.property(fc.jsonValue(), (v) => {
      assert.equal(scanJsonError(JSON.stringify(v, null, 1)), undefined);
    }));
  });
});
