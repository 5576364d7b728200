import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { StallDetector } from '../../src/load/stall-detector.js';
import { skipOverdue, recordRoundTrip, ON_TIME_MS } from '../../src/load/send-schedule.js';
import { Recorder } from '../../src/metrics/recorder.js';
import { Aggregator } from '../../src/metrics/aggregate.js';
import { GENERATOR_STALL_MS } from '../../src/metrics/types.js';

describe('StallDetector', () => {
  test('a tick late by the threshold or more is a stall, from when it was due; the worst lateness survives a take', () => {
    const d = new StallDetector(10, 1000, 1000);
    d.beat(1010);
    d.beat(1021);
    d.beat(1021 + 10 + GENERATOR_STALL_MS - 1);
    assert.deepEqual(d.takeStalls(), [], 'just under the threshold');
    assert.equal(Math.round(d.takeWorst()), GENERATOR_STALL_MS - 1);
    const before = 1021 + 10 + GENERATOR_STALL_MS - 1;
    d.beat(before + 10 + 1000);
    assert.deepEqual(d.takeStalls(), [{ atMs: before + 10 - 1000, ms: 1000 }]);
    assert.equal(d.takeWorst(), 1000);
    assert.equal(d.takeWorst(), 0, 'taken');
    assert.deepEqual(d.takeStalls(), []);
  });

  test('before the run, or before the timer is armed, is no stall', () => {
    const d = new StallDetector(10, 5000, 0);
    d.arm(3000);
    d.beat(4500);
    assert.deepEqual(d.takeStalls(), [], 'ended before second 0');
    d.beat(5300);
    assert.deepEqual(d.takeStalls(), [{ atMs: 0, ms: 300 }], 'only its part inside the run');
  });
});

describe('send schedule', () => {
  test('overdue sends beyond the cap are counted as skipped and the schedule keeps its phase', () => {
    const r = new Recorder();
    assert.equal(skipOverdue(r, 1000, 999, 50), 1000);
    assert.equal(skipOverdue(r, 1000, 1000, 50), 1050);
    assert.equal(skipOverdue(r, 1050, 1449, 50), 1450);
    const b = r.flush(0, { open: 0, backendsOpen: {}, lagMaxMs: 0, fds: 0 });
    assert.equal(b.counters.messagesSkipped, 1 + 8);
  });

  test('the corrected round trip adds a send\'s lateness beyond the generator\'s resolution', () => {
    const r = new Recorder();
    recordRoundTrip(r, 'rtt', { sentAt: 100 + ON_TIME_MS, intendedAt: 100 }, 130 + ON_TIME_MS);
    recordRoundTrip(r, 'rtt', { sentAt: 1100, intendedAt: 100 }, 1130);
    recordRoundTrip(r, 'ack', { sentAt: 100, intendedAt: 100 }, 140);
    const agg = new Aggregator();
    agg.add(r.flush(0, { open: 0, backendsOpen: {}, lagMaxMs: 0, fds: 0 }));
    const lat = agg.latency();
    assert.equal(lat.rtt.count, 2);
    assert.ok(Math.abs(lat.rtt.max - 30) < 0.1, `rtt max ${lat.rtt.max}`);
    assert.ok(Math.abs((lat.rtt_corrected?.min ?? 0) - 30) < 0.1, 'on time within the resolution: nothing added');
    assert.ok(Math.abs((lat.rtt_corrected?.max ?? 0) - 1030) < 1, `late by 1 s: counted in full (${lat.rtt_corrected?.max})`);
    assert.ok(Math.abs((lat.ack_corrected?.max ?? 0) - 40) < 0.1);
  });
});
