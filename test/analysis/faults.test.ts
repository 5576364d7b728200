import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeFaults } from '../../src/analysis/faults.js';
import type { SeriesPoint } from '../../src/results/types.js';
import type { FaultRecord } from '../../src/results/observed.js';

const point = (t: number, extra: Partial<SeriesPoint> = {}): SeriesPoint => ({
  t, open: 100, opened: 0, failed: 0, dropped: 0, closed: 0, errors: {}, messagesSent: 0, messagesReceived: 0,
  rttP50: null, rttP99: null, connectP99: null, backendsOpen: {}, lagMaxMs: 0, fds: 0, ...extra,
});
const fault = (action: FaultRecord['action'], at: number): FaultRecord => ({ atSecond: at, appliedAt: at, action, backend: action === 'add' ? 'b5' : 'b2', detail: '', ok: true });

describe('analyzeFaults', () => {
  test('an add with churn: the remap is read over the second cycle after it, beside 1/(N+1)', () => {
    // Cycle 2 s: connections ending in [10, 12) were placed after the add at 8, their predecessors before it.
    const series = Array.from({ length: 16 }, (_, t) => point(t, { rehomed: t === 10 || t === 11 ? { same: 30, moved: 10 } : { same: 40, moved: 0 } }));
    const [a] = analyzeFaults([fault('add', 8)], series, 4, 2);
    assert.equal(a?.remapFraction, 20 / 80);
    assert.equal(a?.idealRemap, 1 / 5);
    assert.match(a?.sentence ?? '', /^add b5 at 8s: 25% of connections came back on another backend \(the least a change of this size needs: 20%\)\.$/);
  });

  test('a kill: recovery and reconnects, no remap (its clients moved by reconnecting); the next fault closes the window', () => {
    const series = Array.from({ length: 20 }, (_, t) => point(t, {
      open: t === 5 ? 75 : 100,
      ...(t === 5 ? { reconnects: { started: 25, moved: 25, returned: 0 } } : {}),
      rehomed: { same: 10, moved: 5 },
    }));
    const [kill, add] = analyzeFaults([fault('kill', 5), fault('add', 12)], series, 4, 2, () => 18);
    assert.equal(kill?.remapFraction, null);
    assert.equal(kill?.idealRemap, 1 / 4);
    assert.equal(kill?.stormPeakPerSecond, 25);
    assert.equal(kill?.secondsToRecover, 1);
    assert.equal(kill?.movedFraction, 1);
    assert.equal(add?.idealRemap, 1 / 4, 'after the kill, 3 backends: adding one makes 4');
  });
});
