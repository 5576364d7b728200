import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { isTruncatedJson, lastCompletePrefix, repairTruncated } from '../../src/results/truncated.js';
import { validateResults } from '../../src/results/validate.js';
import { sampleResults } from './fixture.js';

const text = JSON.stringify(sampleResults(), null, 2);

describe('lastCompletePrefix', () => {
  test('keeps complete values and closes what was open', () => {
    assert.equal(lastCompletePrefix('{"a": [1, 2, 3'), '{"a": [1, 2]}');
    assert.equal(lastCompletePrefix('{"a": [1, 2, 3]'), '{"a": [1, 2, 3]}');
    assert.equal(lastCompletePrefix('{"a": {"b": "x\\"y", "c": "unfinish'), '{"a": {"b": "x\\"y"}}');
    assert.equal(lastCompletePrefix('{"a": 1, "b'), '{"a": 1}');
    assert.equal(lastCompletePrefix('{"a": 1, "b": tr'), '{"a": 1}');
    assert.equal(lastCompletePrefix('{"a": ['), '{"a": []}');
    assert.equal(lastCompletePrefix('{"a": [1, 2], '), '{"a": [1, 2]}');
    assert.equal(lastCompletePrefix('"abc'), undefined);
  });

  test('every cut of the sample file gives valid JSON', () => {
    for (let n = 1; n < text.length; n += 97) {
      const p = lastCompletePrefix(text.slice(0, n));
      if (p !== undefined) assert.doesNotThrow(() => JSON.parse(p), `cut at ${n}`);
    }
  });
});

describe('isTruncatedJson', () => {
  test('a cut file is truncated; a typo in the middle or a complete file is not', () => {
    assert.equal(isTruncatedJson(text.slice(0, 5000)), true);
    assert.equal(isTruncatedJson(text), false);
    assert.equal(isTruncatedJson('{"a": }, "b": 2}'), false);
    assert.equal(isTruncatedJson(''), false);
  });
});

describe('repairTruncated', () => {
  test('a cut in the series keeps the summary and the complete points, marked aborted', () => {
    const cut = text.indexOf('"series"') + 1500;
    const { results, bytes } = repairTruncated(text.slice(0, cut), 'r.json');
    assert.deepEqual(validateResults(results), []);
    assert.equal(bytes, cut);
    assert.equal(results.status, 'aborted');
    assert.match(results.statusReason ?? '', /^results file truncated after byte \d+ \(line \d+, column \d+\); only what was complete before it is shown$/);
    assert.deepEqual(results.summary, sampleResults().summary);
    assert.ok(results.series.length > 0 && results.series.length < sampleResults().series.length);
    assert.deepEqual(results.thresholds, []);
  });

  test('a cut before the summary cannot be repaired: the message says where it stops', () => {
    assert.throws(() => repairTruncated(text.slice(0, 500), 'r.json'), (err: Error) => {
      assert.match(err.message, /^r\.json is truncated and cannot be repaired: it stops after byte 500 \(line \d+, column \d+\), and what comes before it is not enough for a report: /);
      return true;
    });
    assert.throws(() => repairTruncated('{"na', 'r.json'), /before anything that identifies a wsherd results file/);
    assert.throws(() => repairTruncated('{"format": "other", "x": [1', 'r.json'), /is not a wsherd results file: its "format" is "other"/);
    assert.throws(() => repairTruncated(`{"format": "wsherd-results", "version": 9, "x": [1`, 'r.json'), /newer wsherd \(results version 9\)/);
  });
});
