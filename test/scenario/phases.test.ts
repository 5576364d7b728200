import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseScenario } from '../../src/scenario/load.js';
import { MAX_TOTAL_MS, defaultPhases } from '../../src/scenario/phases.js';
import { rejectText, targetScenario } from './helpers.js';

const phasesOf = (yaml: string) => parseScenario(targetScenario(yaml), 'p.yaml').phases;
const messagesOf = (yaml: string) => rejectText(targetScenario(yaml), 'p.yaml').problems.map((p) => `${p.line}:${p.col} ${p.message}`);

describe('phases resolve to linear segments', () => {
  test('default phases follow clients', () => {
    assert.deepEqual(defaultPhases(7), [
      { kind: 'ramp_up', durationMs: 5000, to: 7 },
      { kind: 'hold', durationMs: 10_000, to: 7 },
      { kind: 'ramp_down', durationMs: 2000, to: 0 },
    ]);
    assert.deepEqual(phasesOf('phases:\n'), defaultPhases(100));
  });

  test('each segment starts where the previous ended; hold keeps the level; ramp_down ends at 0 unless told', () => {
    assert.deepEqual(phasesOf('phases:\n  - ramp_up: {duration: 1s, to: 40}\n  - hold: {duration: 2s}\n  - ramp_up: 1s\n  - ramp_down: {duration: 1s, to: 10}\n  - hold: 1s\n  - ramp_down: 1s\n'), [
      { kind: 'ramp_up', durationMs: 1000, to: 40 },
      { kind: 'hold', durationMs: 2000, to: 40 },
      { kind: 'ramp_up', durationMs: 1000, to: 100 },
      { kind: 'ramp_down', durationMs: 1000, to: 10 },
      { kind: 'hold', durationMs: 1000, to: 10 },
      { kind: 'ramp_down', durationMs: 1000, to: 0 },
    ]);
  });

  test('the last segment need not end at 0', () => {
    assert.deepEqual(phasesOf('phases:\n  - ramp_up: 1s\n  - hold: 1s\n'), [
      { kind: 'ramp_up', durationMs: 1000, to: 100 },
      { kind: 'hold', durationMs: 1000, to: 100 },
    ]);
  });

  test('a ramp_up to the current level is allowed (flat), by duration', () => {
    assert.deepEqual(phasesOf('phases:\n  - ramp_up: 1s\n  - ramp_up: 1s\n'), [
      { kind: 'ramp_up', durationMs: 1000, to: 100 },
      { kind: 'ramp_up', durationMs: 1000, to: 100 },
    ]);
  });

  test('rate durations are whole milliseconds, at least 1', () => {
    assert.deepEqual(phasesOf('phases:\n  - ramp_up: {rate: 3, to: 1}\n  - ramp_up: {rate: 1000000}\n'), [
      { kind: 'ramp_up', durationMs: 333, to: 1, rate: 3 },
      { kind: 'ramp_up', durationMs: 1, to: 100, rate: 1_000_000 },
    ]);
  });

  test('the step-load example of docs/scenario.md resolves to the segments the doc lists', () => {
    const text = 'name: s\ntarget: ws://127.0.0.1:1/\nclients: 2000\nphases:\n  - ramp_up: {rate: 500, to: 1000}\n  - hold: 30s\n' +
      '  - ramp_up: {duration: 5s, to: 2000}\n  - hold: 30s\n  - ramp_down: {duration: 10s, to: 500}\n  - hold: 10s\n';
    assert.deepEqual(
      parseScenario(text, 'doc.yaml').phases.map((p) => [p.durationMs, p.to]),
      [[2000, 1000], [30_000, 1000], [5000, 2000], [30_000, 2000], [10_000, 500], [10_000, 500]],
    );
  });

  test('exactly 24h is allowed', () => {
    const phases = phasesOf('phases:\n  - ramp_up: 1h\n  - hold: 22h\n  - ramp_down: 1h\n');
    assert.equal(phases.reduce((t, p) => t + p.durationMs, 0), MAX_TOTAL_MS);
  });
});

describe('phase problems', () => {
  test('a ramp_down above the current level', () => {
    assert.deepEqual(messagesOf('phases:\n  - ramp_up: {duration: 1s, to: 10}\n  - ramp_down: {duration: 1s, to: 20}\n'), [
      '6:35 phases[1].ramp_down ramps down to 20, above the level the previous phases reached (10)',
    ]);
  });

  test('a default ramp_up target below the level cannot happen, but an explicit one is located at `to`', () => {
    const problems = rejectText(targetScenario('phases:\n  - ramp_up: 1s\n  - ramp_up: {to: 50, duration: 1s}\n'), 'p.yaml').problems;
    assert.deepEqual(problems.map((p) => [p.path, p.line, p.col, p.hint]), [['phases[1].ramp_up.to', 6, 19, 'use ramp_down to lower the number of open clients']]);
  });

  test('a rate ramp with nothing to do', () => {
    assert.deepEqual(messagesOf('phases:\n  - ramp_up: 1s\n  - ramp_up: {rate: 10}\n'), ['6:14 phases[1].ramp_up has nothing to do: the level is already 100']);
  });

  test('a ramp needs duration or rate; a hold map needs duration', () => {
    assert.deepEqual(messagesOf('phases:\n  - ramp_up: {to: 5}\n  - hold: {durration: 1s}\n'), [
      '5:14 phases[0].ramp_up needs "duration" or "rate"',
      '6:11 phases[1].hold needs "duration"',
      '6:12 unknown key "durration" in phases[1].hold',
    ]);
  });

  test('empty list, non-list, non-map item, empty item, zero duration, phases that never open a client', () => {
    assert.deepEqual(messagesOf('phases: []\n'), ['4:9 phases is empty']);
    assert.deepEqual(messagesOf('phases: 5s\n'), ['4:9 phases must be a list, got a string ("5s")']);
    assert.deepEqual(messagesOf('phases:\n  - hold\n  - {}\n  - hold: 0s\n'), [
      '5:5 phases[0] must be a map, got a string ("hold")',
      '6:5 phases[1] is empty',
      '7:11 phases[2].hold must be longer than 0 ("0s")',
    ]);
    assert.deepEqual(messagesOf('phases:\n  - hold: 5s\n'), ['5:3 phases never open a client (every phase ends at 0)']);
  });

  test('later phases are still shape-checked after a bad one, but not against an unknown level', () => {
    // phase 0 is broken, so the level is unknown: the ramp_down to 80 is not reported, its bad duration is.
    assert.deepEqual(messagesOf('phases:\n  - ramp_up: 5\n  - ramp_down: {to: 80, duration: 1x}\n'), [
      '5:14 phases[0].ramp_up has no unit (5)',
      '6:35 phases[1].ramp_down.duration is not a duration ("1x")',
    ]);
  });

  test('`to` is checked against clients and must be a non-negative integer', () => {
    assert.deepEqual(messagesOf('phases:\n  - ramp_up: {duration: 1s, to: 101}\n  - ramp_down: {duration: 1s, to: -1}\n  - ramp_up: {duration: 1s, to: 2.5}\n'), [
      '5:33 phases[0].ramp_up.to must be at most 100, got 101',
      '6:35 phases[1].ramp_down.to must be at least 0, got -1',
      '7:33 phases[2].ramp_up.to must be a whole number, got 2.5',
    ]);
  });
});
