import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CANCELLED_SHARE, saturationOf } from '../../src/analysis/saturation.js';
import { verdictOf } from '../../src/report/verdict.js';
import { exitCodeFor } from '../../src/run/exit.js';
import { ExitCode } from '../../src/exit-codes.js';
import { GENERATOR_STALL_MS } from '../../src/metrics/types.js';
import { sampleResults } from '../results/fixture.js';

describe('saturationOf: the one definition of "generator saturated"', () => {
  test('the sample is not saturated: PASS-able, exit by thresholds', () => {
    const r = sampleResults();
    assert.deepEqual(saturationOf(r).reasons, []);
    r.thresholds = r.thresholds.map((t) => ({ ...t, pass: true }));
    assert.equal(verdictOf(r).kind, 'pass');
    assert.equal(exitCodeFor(r), ExitCode.OK);
  });

  test('a stall of GENERATOR_STALL_MS: INCONCLUSIVE and exit 7; --accept-saturated gives the usual code', () => {
    const r = sampleResults();
    r.thresholds = r.thresholds.map((t) => ({ ...t, pass: true }));
    r.generator.workers[0]!.stalls = [{ atMs: 1200, ms: GENERATOR_STALL_MS - 1 }];
    assert.equal(saturationOf(r).saturated, false, 'a shorter one is no stall');
    r.generator.workers[0]!.stalls = [{ atMs: 1200, ms: GENERATOR_STALL_MS }, { atMs: 6000, ms: 1000 }];
    const s = saturationOf(r);
    assert.equal(s.stalls, 2);
    assert.equal(s.worstStallMs, 1000);
    const v = verdictOf(r);
    assert.equal(v.kind, 'inconclusive');
    assert.equal(v.label, 'INCONCLUSIVE');
    assert.equal(exitCodeFor(r), ExitCode.INCONCLUSIVE);
    assert.equal(exitCodeFor(r, undefined, { acceptSaturated: true }), ExitCode.OK);
    r.thresholds[0]!.pass = false;
    assert.equal(exitCodeFor(r, undefined, { acceptSaturated: true }), ExitCode.THRESHOLDS_FAILED);
  });

  test('cancelled: saturated from CANCELLED_SHARE of the attempts; own EMFILE/ENFILE/EADDRNOTAVAIL at once', () => {
    const r = sampleResults();
    const n = r.summary.counters.attempted;
    r.summary.errors.byCode = { cancelled: Math.ceil(n * CANCELLED_SHARE) - 1 };
    assert.equal(saturationOf(r).saturated, false);
    r.summary.errors.byCode = { cancelled: Math.ceil(n * CANCELLED_SHARE) };
    assert.match(saturationOf(r).reasons[0]!, /^101 of 2,020 attempts \(5\.0%\) were cancelled before they were established/);
    r.summary.errors.byCode = { EADDRNOTAVAIL: 1 };
    assert.equal(saturationOf(r).reasons[0], '1 failure was the generator\'s own (out of fds or local ports: EADDRNOTAVAIL 1)');
  });

  test('a run that established nothing is FAILED (exit 8), thresholds or not, before saturation', () => {
    const r = sampleResults();
    r.thresholds = [];
    r.summary.counters = { ...r.summary.counters, established: 0 };
    r.summary.errors.byCode = { http_503: r.summary.counters.attempted };
    assert.equal(verdictOf(r).kind, 'failed');
    assert.equal(verdictOf(r).label, 'FAILED');
    assert.equal(verdictOf(r).partial, false);
    assert.equal(exitCodeFor(r), ExitCode.NOTHING_ESTABLISHED);
    r.generator.workers[0]!.stalls = [{ atMs: 0, ms: 500 }];
    assert.equal(exitCodeFor(r, undefined, { acceptSaturated: true }), ExitCode.NOTHING_ESTABLISHED);
  });
});
