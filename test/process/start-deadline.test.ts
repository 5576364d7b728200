/**
 * Issue 15: start-up deadlines scale with what is started, can be set, and a miss says when the host was busy
 * ("load workers did not start in time" used to fail runs on a loaded host after a fixed 15 s).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { busyHostClause, startDeadlineMs, startHint } from '../../src/process/start-deadline.js';
import { ROOT, runCli } from '../helpers/cli.js';

describe('start-up deadlines', () => {
  test('scale with the children started per core', () => {
    assert.equal(startDeadlineMs(1, {}, 2), 10_000);
    assert.equal(startDeadlineMs(2, {}, 2), 10_000);
    assert.equal(startDeadlineMs(8, {}, 2), 16_000);
    assert.equal(startDeadlineMs(256, {}, 2), 264_000);
  });

  test('WSHERD_START_TIMEOUT overrides; a bad value is invalid input naming the variable', () => {
    assert.equal(startDeadlineMs(8, { WSHERD_START_TIMEOUT: '2m' }, 2), 120_000);
    assert.throws(() => startDeadlineMs(1, { WSHERD_START_TIMEOUT: 'soon' }), { code: 'WSH_ERR_INVALID_INPUT', message: /WSHERD_START_TIMEOUT=soon is not a duration/ });
  });

  test('a busy host is named with its load against its cores (/proc/loadavg)', () => {
    assert.equal(busyHostClause(1e9), '');
    assert.match(busyHostClause(1e-9), /^, while the host was busy \(load average \d+\.\d\d on 1e-9 cores\)$/);
    assert.equal(startHint(''), '(WSHERD_START_TIMEOUT=120s waits longer)');
    assert.equal(startHint(', while the host was busy'), '(free the host, or WSHERD_START_TIMEOUT=120s waits longer)');
  });

  test('the real binary: a lab that cannot be ready in time exits 5 with the wait and how to lengthen it', { timeout: 60_000 }, async () => {
    const res = await runCli(['run', path.join(ROOT, 'scenarios/quickstart.yaml'), '-q', '--out', path.join(ROOT, 'test-artifacts', 'start-timeout')], { WSHERD_START_TIMEOUT: '1ms' });
    assert.equal(res.code, 5, res.stderr);
    assert.match(res.stdout, /^Status {2}FAILED {2}\(lab: Lab component \w+ was not ready after 1 ms(, while the host was busy \(load average [\d.]+ on \d+ cores\))? \((free the host, or )?WSHERD_START_TIMEOUT=120s waits longer\)\.\)/m);
  });
});
