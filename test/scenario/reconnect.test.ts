import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseScenario } from '../../src/scenario/load.js';
import { rejectText } from './helpers.js';

/** A target scenario whose `behavior` body (indented 2) starts on line 5. */
const behavior = (body: string): string => `name: r\ntarget: ws://127.0.0.1:9/\nclients: 10\nbehavior:\n${body}`;
const parse = (body: string): ReturnType<typeof parseScenario>['behavior'] => parseScenario(behavior(body), 'r.yaml').behavior;
const lines = (body: string): string[] => rejectText(behavior(body), 'r.yaml').problems.map((p) => `${p.file}:${p.line}:${p.col} ${p.message}`);

describe('behavior.reconnect', () => {
  test('absent, blank or none: no policy (the slot waits for its next planned opening)', () => {
    assert.equal(parse('  messages_per_second: 1\n').reconnect, undefined);
    assert.equal(parse('  reconnect:\n').reconnect, undefined);
    assert.equal(parse('  reconnect: none\n').reconnect, undefined);
    assert.equal(parse('  reconnect: {policy: none}\n').reconnect, undefined);
  });

  test('the shorthands take the defaults: base 100 ms, max 10 s, full jitter, no attempt limit', () => {
    assert.deepEqual(parse('  reconnect: immediate\n').reconnect, { policy: 'immediate', baseMs: 100, maxMs: 10_000, jitter: 'full' });
    assert.deepEqual(parse('  reconnect: backoff\n').reconnect, { policy: 'backoff', baseMs: 100, maxMs: 10_000, jitter: 'full' });
  });

  test('every key of the map form resolves', () => {
    assert.deepEqual(parse('  reconnect: {policy: backoff, base: 250ms, max: 5s, jitter: equal, max_attempts: 8}\n').reconnect, {
      policy: 'backoff', baseMs: 250, maxMs: 5000, jitter: 'equal', maxAttempts: 8,
    });
    assert.deepEqual(parse('  reconnect:\n    policy: immediate\n    max_attempts: 3\n').reconnect, {
      policy: 'immediate', baseMs: 100, maxMs: 10_000, jitter: 'full', maxAttempts: 3,
    });
    assert.deepEqual(parse('  reconnect: {policy: backoff, base: 1s, max: 1s, jitter: none}\n').reconnect, {
      policy: 'backoff', baseMs: 1000, maxMs: 1000, jitter: 'none',
    });
  });

  test('bad words and values are reported at file:line:col, all at once', () => {
    assert.deepEqual(lines('  reconnect: backof\n'), ['r.yaml:5:14 behavior.reconnect must be one of none, immediate, backoff, got "backof"']);
    assert.deepEqual(rejectText(behavior('  reconnect: backof\n'), 'r.yaml').problems[0]?.hint, 'did you mean "backoff"?');
    assert.deepEqual(lines('  reconnect: [backoff]\n'), ['r.yaml:5:14 behavior.reconnect must be a map, got a list']);
    assert.deepEqual(lines('  reconnect:\n    policy: backoff\n    base: 100\n    max: soon\n    jitter: half\n    max_attempts: 0\n    tries: 3\n'), [
      'r.yaml:7:11 behavior.reconnect.base has no unit (100)',
      'r.yaml:8:10 behavior.reconnect.max is not a duration ("soon")',
      'r.yaml:9:13 behavior.reconnect.jitter must be one of full, equal, none, got "half"',
      'r.yaml:10:19 behavior.reconnect.max_attempts must be at least 1, got 0',
      'r.yaml:11:5 unknown key "tries" in behavior.reconnect',
    ]);
  });

  test('max below base, a missing policy, and keys the policy would ignore are reported', () => {
    assert.deepEqual(lines('  reconnect: {policy: backoff, base: 2s, max: 1s}\n'), ['r.yaml:5:47 behavior.reconnect.max must be at least base (2000 ms), got 1000 ms']);
    assert.deepEqual(lines('  reconnect: {base: 2s}\n'), ['r.yaml:5:14 "policy" is required in behavior.reconnect']);
    assert.deepEqual(lines('  reconnect:\n    policy: immediate\n    base: 1s\n    jitter: full\n'), [
      'r.yaml:7:5 behavior.reconnect.base applies with policy: backoff, but the policy is immediate',
      'r.yaml:8:5 behavior.reconnect.jitter applies with policy: backoff, but the policy is immediate',
    ]);
    assert.deepEqual(lines('  reconnect: {policy: none, max_attempts: 2}\n'), [
      'r.yaml:5:29 behavior.reconnect.max_attempts applies with policy: immediate or backoff, but the policy is none',
    ]);
  });
});
