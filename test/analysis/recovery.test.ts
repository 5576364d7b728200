import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { recoveryAfter } from '../../src/analysis/recovery.js';
import type { SeriesPoint } from '../../src/results/types.js';

/** A series from the open gauge per second and optional reconnects [started, moved, returned] per second. */
function series(open: number[], reconnects: Record<number, [number, number, number]> = {}): SeriesPoint[] {
  return open.map((o, t) => {
    const r = reconnects[t];
    return {
      t, open: o, opened: 0, failed: 0, dropped: 0, closed: 0, errors: {}, messagesSent: 0, messagesReceived: 0,
      rttP50: null, rttP99: null, connectP99: null, backendsOpen: {}, lagMaxMs: 0, fds: 0,
      ...(r === undefined ? {} : { reconnects: { started: r[0], moved: r[1], returned: r[2] } }),
    };
  });
}

describe('recoveryAfter', () => {
  test('a storm: peak, total, time back to 99 % of the level before, and the share that moved', () => {
    const s = series([100, 100, 100, 50, 70, 95, 99, 100], { 3: [50, 0, 0], 4: [30, 20, 0], 5: [12, 25, 5], 6: [4, 3, 1] });
    assert.deepEqual(recoveryAfter(s, 3), { stormPeakPerSecond: 50, reconnectsTotal: 96, secondsToRecover: 3, movedFraction: 48 / 54 });
  });

  test('the level is the point before the fault unless a target is given; 99 % of it counts as back', () => {
    const s = series([200, 200, 120, 150, 180, 198]);
    assert.equal(recoveryAfter(s, 2).secondsToRecover, 3);
    assert.equal(recoveryAfter(s, 2, 150).secondsToRecover, 1);
  });

  test('never back within the window: null; a fault that never lowered open: 0', () => {
    assert.equal(recoveryAfter(series([10, 10, 5, 6, 7]), 2).secondsToRecover, null);
    assert.equal(recoveryAfter(series([10, 10, 10, 10]), 2).secondsToRecover, 0);
  });

  test('a dip that shows one second late (the gauge is sampled at the end of a second) still counts from atSecond', () => {
    assert.equal(recoveryAfter(series([10, 10, 10, 4, 10]), 2).secondsToRecover, 2);
  });

  test('untilSecond bounds the window: the next fault\'s storm is not this one\'s', () => {
    const s = series([10, 10, 5, 10, 10, 3, 10], { 2: [5, 5, 0], 5: [7, 0, 7] });
    assert.deepEqual(recoveryAfter(s, 2, undefined, 5), { stormPeakPerSecond: 5, reconnectsTotal: 5, secondsToRecover: 1, movedFraction: 1 });
    assert.deepEqual(recoveryAfter(s, 5), { stormPeakPerSecond: 7, reconnectsTotal: 7, secondsToRecover: 1, movedFraction: 0 });
  });

  test('no reconnects (policy none, or results from before reconnects existed): zeros and a null fraction', () => {
    assert.deepEqual(recoveryAfter(series([4, 4, 2, 2]), 2), { stormPeakPerSecond: 0, reconnectsTotal: 0, secondsToRecover: null, movedFraction: null });
    assert.deepEqual(recoveryAfter([], 0), { stormPeakPerSecond: 0, reconnectsTotal: 0, secondsToRecover: 0, movedFraction: null });
  });
});
