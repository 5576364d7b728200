import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { formatResultsProblem, validateResults } from '../../src/results/validate.js';
import { sampleResults } from './fixture.js';

type Json = Record<string, unknown>;

/** The sample, loosely typed so a test can break it anywhere. */
const sample = (): Json => sampleResults() as unknown as Json;
const problems = (doc: unknown): string[] => validateResults(doc).map(formatResultsProblem);
const at = (o: unknown, ...keys: (string | number)[]): Json => keys.reduce<unknown>((x, k) => (x as Json)[k], o) as Json;

describe('validateResults', () => {
  test('the sample is valid', () => {
    assert.deepEqual(validateResults(sampleResults()), []);
  });

  test('not an object at all', () => {
    assert.deepEqual(problems([]), ['(document): expected an object, found an array']);
    assert.deepEqual(problems(null), ['(document): expected an object, found null']);
  });

  test('missing required fields, named by path with what was expected', () => {
    const r = sample();
    delete r['durationMs'];
    delete at(r, 'summary', 'latency', 'rtt')['p99'];
    delete at(r, 'backends')['skew'];
    delete at(r, 'series', 0)['backendsOpen'];
    assert.deepEqual(problems(r), [
      'durationMs: missing (expected a number >= 0)',
      'summary.latency.rtt.p99: missing (expected a number)',
      'backends.skew: missing (expected an object or null)',
      'series[0].backendsOpen: missing (expected an object)',
    ]);
  });

  test('wrong types, fractions where counts belong, values out of range', () => {
    const r = sample();
    at(r, 'summary', 'latency', 'rtt')['p99'] = '3.37';
    at(r, 'summary', 'counters')['attempted'] = 20.5;
    at(r, 'backends', 'perBackend', 1)['share'] = 1.2;
    at(r, 'backends', 'skew')['jain'] = -0.1;
    at(r, 'environment')['cpus'] = 0;
    at(r, 'generator', 'workers', 1)['exit'] = 'segfault';
    at(r, 'thresholds', 0)['pass'] = 'yes';
    r['status'] = 'done';
    r['startedAt'] = 'yesterday';
    assert.deepEqual(problems(r), [
      'status: expected one of "complete", "aborted", "failed", found a string "done"',
      'startedAt: expected an ISO 8601 date-time, found a string "yesterday"',
      'environment.cpus: expected a whole number >= 1, found number 0',
      'summary.counters.attempted: expected a whole number >= 0, found number 20.5',
      'summary.latency.rtt.p99: expected a number, found a string "3.37"',
      'backends.perBackend[1].share: expected a number from 0 to 1, found number 1.2',
      'backends.skew.jain: expected a number from 0 to 1, found number -0.1',
      'thresholds[0].pass: expected true or false, found a string "yes"',
      'generator.workers[1].exit: expected one of "ok", "crashed", "killed", found a string "segfault"',
    ]);
  });

  test('nullable fields accept null and say so when wrong', () => {
    const r = sample();
    at(r, 'series', 2)['rttP99'] = null;
    at(r, 'thresholds', 1)['measured'] = null;
    at(r, 'backends')['skew'] = null;
    assert.deepEqual(problems(r), []);
    at(r, 'series', 2)['rttP50'] = 'n/a';
    at(r, 'backends')['skew'] = 'even';
    assert.deepEqual(problems(r), [
      'backends.skew: expected an object or null, found a string "even"',
      'series[2].rttP50: expected a number or null, found a string "n/a"',
    ]);
  });

  test('maps by code or backend: every value is checked, odd keys are quoted', () => {
    const r = sample();
    at(r, 'summary', 'errors', 'byCode')['http_503'] = -1;
    at(r, 'summary', 'errors', 'byCode')['close 1006'] = 'x';
    at(r, 'series', 4, 'backendsOpen')['b2'] = 1.5;
    assert.deepEqual(problems(r), [
      'summary.errors.byCode.http_503: expected a whole number >= 0, found number -1',
      'summary.errors.byCode["close 1006"]: expected a whole number >= 0, found a string "x"',
      'series[4].backendsOpen.b2: expected a whole number >= 0, found number 1.5',
    ]);
  });

  test('fixed-length arrays, optional sections, unknown fields', () => {
    const r = sample();
    at(r, 'environment')['portRange'] = [1024, 65535, 1];
    r['futureField'] = { anything: true };
    at(r, 'summary')['p42'] = 'ignored';
    assert.deepEqual(problems(r), ['environment.portRange: expected 2 items, found 3']);
    const noLab = sample();
    delete noLab['lab'];
    delete noLab['statusReason'];
    assert.deepEqual(problems(noLab), [], 'lab and statusReason are optional');
    const badLab = sample();
    badLab['lab'] = { stats: {} };
    badLab['statusReason'] = 42;
    assert.deepEqual(problems(badLab), ['statusReason: expected a string, found number 42', 'lab.components: missing (expected an array)']);
  });

  test('the scenario: required parts only, the rest is free-form', () => {
    const r = sample();
    at(r, 'scenario', 'phases', 1)['kind'] = 'plateau';
    at(r, 'scenario')['clients'] = '2000';
    at(r, 'scenario', 'behavior')['somethingNew'] = 1;
    assert.deepEqual(problems(r), [
      'scenario.clients: expected a whole number >= 0, found a string "2000"',
      'scenario.phases[1].kind: expected one of "ramp_up", "hold", "ramp_down", found a string "plateau"',
    ]);
  });
});
