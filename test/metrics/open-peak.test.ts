import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Recorder } from '../../src/metrics/recorder.js';
import { Aggregator } from '../../src/metrics/aggregate.js';

const gauges = (open: number): { open: number; backendsOpen: Record<string, number>; lagMaxMs: number; fds: number } => ({ open, backendsOpen: {}, lagMaxMs: 0, fds: 0 });

describe('peakOpen: the true maximum, not a second-end sample', () => {
  test('one worker: a burst mid-second that is gone by its end', () => {
    let now = 0;
    const r = new Recorder(() => now);
    now = 120;
    r.count('established', 5);
    now = 300;
    r.count('established', 3);
    now = 450;
    r.count('closedClean', 8);
    const agg = new Aggregator();
    agg.add(r.flush(0, gauges(0)));
    assert.equal(agg.point(0).open, 0);
    assert.equal(agg.point(0).openMax, 8);
    assert.equal(agg.peakOpen(), 8);
  });

  test('two workers: slots are summed, so peaks at different times do not add up', () => {
    let now = 0;
    const a = new Recorder(() => now);
    const b = new Recorder(() => now);
    now = 100; a.count('established', 4);
    now = 200; a.count('dropped', 4);
    now = 500; b.count('established', 6);
    now = 900; b.count('closedClean', 6);
    const quiet = new Recorder(); // a source without slots: flat at its gauge
    const agg = new Aggregator();
    agg.add([a.flush(0, gauges(0)), b.flush(0, gauges(0)), quiet.flush(0, gauges(2))]);
    assert.equal(agg.point(0).openMax, 8, '6 in b at 500 ms plus the 2 the quiet worker held all second');
    // The next second starts from the exact gauge: nothing drifts.
    now = 1500; a.count('established', 1);
    agg.add(a.flush(1, gauges(1)));
    assert.equal(agg.point(1).openMax, 1);
  });
});
