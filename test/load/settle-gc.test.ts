import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SETTLE_MIN_OPENED, SettleGc } from '../../src/load/settle-gc.js';
import { workerExecArgv } from '../../src/load/worker-count.js';
import { BEHAVIOR } from './helpers/harness.js';

test('a settle GC is due after SETTLE_MIN_OPENED openings, collects once, and reports its pause', () => {
  let collected = 0;
  const settle = new SettleGc(() => collected++);
  for (let i = 0; i < SETTLE_MIN_OPENED - 1; i++) settle.noteOpened();
  assert.equal(settle.due, false);
  settle.noteOpened();
  assert.equal(settle.due, true);
  settle.collectNow(1234.4);
  assert.equal(collected, 1);
  assert.equal(settle.due, false, 'the count starts again');
  const [pause, ...rest] = settle.take();
  assert.equal(pause?.atMs, 1234);
  assert.ok((pause?.ms ?? -1) >= 0);
  assert.deepEqual(rest, []);
  assert.deepEqual(settle.take(), [], 'taken once');
});

test('without a GC to call (no --expose-gc) it is never due', () => {
  const settle = new SettleGc(undefined);
  for (let i = 0; i < 2 * SETTLE_MIN_OPENED; i++) settle.noteOpened();
  assert.equal(settle.due, false);
});

test('only idle holds get the GC flags; loads that time messages keep V8\'s own collection', () => {
  const need = (messagesPerSecond: number, extra: object = {}) => ({ clients: 1000, phases: [], behavior: { ...BEHAVIOR, messagesPerSecond, ...extra } });
  assert.deepEqual(workerExecArgv(need(0), 1), ['--max-semi-space-size=1', '--expose-gc', '--compact-on-every-full-gc']);
  assert.deepEqual(workerExecArgv(need(4), 1), ['--max-semi-space-size=1']);
  assert.deepEqual(workerExecArgv(need(0, { flow: [] }), 1), []);
});
