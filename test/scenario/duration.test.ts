import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { formatDuration, parseDuration } from '../../src/scenario/duration.js';

describe('parseDuration', () => {
  test('units and combinations', () => {
    assert.deepEqual(parseDuration('500ms'), { ms: 500 });
    assert.deepEqual(parseDuration('5s'), { ms: 5000 });
    assert.deepEqual(parseDuration('2m'), { ms: 120_000 });
    assert.deepEqual(parseDuration('1h'), { ms: 3_600_000 });
    assert.deepEqual(parseDuration('1m30s'), { ms: 90_000 });
    assert.deepEqual(parseDuration('1h2m3s4ms'), { ms: 3_723_004 });
    assert.deepEqual(parseDuration('1.1s'), { ms: 1100 });
    assert.deepEqual(parseDuration('0s'), { ms: 0 });
  });

  test('bare numbers get the "add a unit" hint', () => {
    assert.deepEqual(parseDuration('5'), { error: 'has no unit ("5")', hint: 'add a unit, e.g. 5s' });
    assert.deepEqual(parseDuration('2.5'), { error: 'has no unit ("2.5")', hint: 'add a unit, e.g. 5s' });
  });

  test('rejects bad text, negatives and sub-millisecond values', () => {
    const form = 'write a number with a unit: 500ms, 5s, 2m, 1h or 1m30s';
    assert.deepEqual(parseDuration('5sec'), { error: 'is not a duration ("5sec")', hint: form });
    assert.deepEqual(parseDuration('5 s'), { error: 'is not a duration ("5 s")', hint: form });
    assert.deepEqual(parseDuration('s'), { error: 'is not a duration ("s")', hint: form });
    assert.deepEqual(parseDuration('-5s'), { error: 'must not be negative ("-5s")', hint: form });
    assert.deepEqual(parseDuration(''), { error: 'is an empty duration', hint: form });
    assert.deepEqual(parseDuration('0.5ms'), { error: 'is finer than a millisecond ("0.5ms")', hint: 'durations have millisecond resolution' });
  });

  test('formatDuration round-trips through parseDuration', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 48 * 3_600_000 }), (ms) => {
        assert.deepEqual(parseDuration(formatDuration(ms)), { ms });
      }),
    );
    assert.equal(formatDuration(90_500), '1m30s500ms');
  });
});
