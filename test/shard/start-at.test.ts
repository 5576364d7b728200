import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseStartAt } from '../../src/shard/start-at.js';
import { isWsherdError } from '../../src/errors.js';

const NOW = Date.parse('2026-12-07T20:00:00Z');

function refused(text: string): { message: string; hint: string | undefined; exitCode: number } {
  try {
    parseStartAt(text, NOW);
  } catch (err) {
    assert.ok(isWsherdError(err));
    assert.equal(err.code, 'WSH_ERR_INVALID_INPUT');
    return { message: err.message, hint: err.hint, exitCode: err.exitCode };
  }
  assert.fail(`${text} was accepted`);
}

describe('parseStartAt', () => {
  test('RFC 3339 times with Z or an offset are one instant, in epoch ms', () => {
    const at = Date.parse('2026-12-07T21:30:00Z');
    for (const text of [
      '2026-12-07T21:30:00Z',
      '2026-12-07T22:30:00+01:00',
      '2026-12-07T16:30:00-05:00',
      '2026-12-07t21:30:00z',
      '2026-12-07 21:30:00Z',
      '2026-12-07T21:30Z',
      '2026-12-08T03:00:00+05:30',
      '2026-12-07T22:30:00+0100',
      '2026-12-07T22:30:00+01',
      '2026-12-07T21:30:00-00:00',
      '  2026-12-07T21:30:00Z ',
    ]) {
      assert.equal(parseStartAt(text, NOW), at, text);
    }
    assert.equal(parseStartAt('2026-12-07T21:30:00.250Z', NOW), at + 250);
    assert.equal(parseStartAt('2026-12-07T21:30:00.123456789Z', NOW), at + 123);
  });

  test('a time already past is returned (the caller decides), and exactly 24 h ahead is allowed', () => {
    assert.equal(parseStartAt('2026-12-07T19:00:00Z', NOW), NOW - 3_600_000);
    assert.equal(parseStartAt('2026-12-08T20:00:00Z', NOW), NOW + 86_400_000);
  });

  test('no time zone: refused, naming the flag and an example in UTC and with an offset', () => {
    assert.deepEqual(refused('2026-12-07T21:30:00'), {
      message: '--start-at "2026-12-07T21:30:00" has no time zone: shards on hosts in different zones would read it as different instants.',
      hint: 'Add Z (UTC) or the offset, e.g. --start-at 2026-12-07T20:01:00Z or 2026-12-07T21:01:00+01:00.',
      exitCode: 2,
    });
  });

  test('text that is not an RFC 3339 time: refused with an example a minute or more ahead', () => {
    for (const text of ['tomorrow', '', '2026-12-07', '21:30:00Z', '1765143000', '2026-12-07T21:30:00 Z', '2026-12-07T21:30:00+1']) {
      assert.deepEqual(refused(text), {
        message: `--start-at "${text}" is not an RFC 3339 time.`,
        hint: 'Write the date, the time and its zone, e.g. --start-at 2026-12-07T20:01:00Z.',
        exitCode: 2,
      });
    }
  });

  test('fields out of range: refused, saying which', () => {
    assert.equal(refused('2026-02-29T10:00:00Z').message, '--start-at "2026-02-29T10:00:00Z" is not a valid time: day 29 is not in 2026-02 (01-28).');
    assert.equal(refused('2026-13-01T10:00:00Z').message, '--start-at "2026-13-01T10:00:00Z" is not a valid time: month 13 is not 01-12.');
    assert.equal(refused('2026-12-07T24:00:00Z').message, '--start-at "2026-12-07T24:00:00Z" is not a valid time: hour 24 is not 00-23.');
    assert.equal(refused('2026-12-07T21:60:00Z').message, '--start-at "2026-12-07T21:60:00Z" is not a valid time: minute 60 is not 00-59.');
    assert.equal(refused('2026-12-31T23:59:60Z').message, '--start-at "2026-12-31T23:59:60Z" is not a valid time: second 60 is not 00-59.');
    assert.equal(refused('2026-12-07T21:30:00+24:00').message, '--start-at "2026-12-07T21:30:00+24:00" is not a valid time: offset 24:00 is not a time zone offset.');
  });

  test('more than 24 h ahead: refused, saying how far and what this host thinks the time is', () => {
    assert.deepEqual(refused('2026-12-09T21:30:00Z'), {
      message: '--start-at "2026-12-09T21:30:00Z" is 49 h 30 min from now (2026-12-07T20:00:00.000Z on this host), more than the 24 h allowed.',
      hint: 'Check the date and the zone; a start soon after every shard is up looks like --start-at 2026-12-07T20:01:00Z.',
      exitCode: 2,
    });
    assert.match(refused('2026-12-08T20:00:00.001Z').message, /is 24 h 0 min from now/);
  });
});
