import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { diagnose } from '../../src/analysis/diagnosis.js';
import { findCliff, proxyFdPrediction } from '../../src/analysis/cliff.js';
import { sampleResults } from '../results/fixture.js';

describe('diagnose: the first limit, in the article\'s terms', () => {
  test('the generator first: its own EMFILE, or a late event loop', () => {
    const r = sampleResults();
    r.summary.errors.byCode = { EMFILE: 4, ECONNRESET: 9 };
    assert.equal(diagnose(r).kind, 'generator-saturated');
    const lag = sampleResults();
    lag.generator.workers = lag.generator.workers.map((w) => ({ ...w, maxLagMs: 900 }));
    assert.match(diagnose(lag).sentence, /^Generator saturated: its event loop stopped 2 times for 100 ms or more \(longest 900 ms, 1,800 ms in all\)/);
    const cancelled = sampleResults();
    cancelled.summary.errors.byCode = { cancelled: Math.ceil(cancelled.summary.counters.attempted * 0.05) };
    assert.equal(diagnose(cancelled).kind, 'generator-saturated');
    assert.match(diagnose(cancelled).sentence, /attempts \(5\.\d%\) were cancelled before they were established/);
  });

  test('fd exhaustion when failures began at the predicted fd cliff; port depletion when the cliff is ports', () => {
    const r = sampleResults();
    r.analysis = { cliff: findCliff(r.series.map((p, i) => ({ ...p, open: i * 50, failed: i >= 10 ? 5 : 0 })), proxyFdPrediction(1024, 24)) };
    assert.equal(diagnose(r).kind, 'fd-exhaustion');
    assert.match(diagnose(r).sentence, /^fd exhaustion: Failures began at 500 open connections/);
    const p = sampleResults();
    p.analysis = { cliff: { ...findCliff(p.series.map((x) => ({ ...x, failed: 1 }))), prediction: { component: 'proxy', resource: 'ports', at: 1000, formula: 'f' } } };
    assert.equal(diagnose(p).kind, 'port-depletion');
  });

  test('nothing established; an idle declared backend is named with the skew over all backends', () => {
    const none = sampleResults();
    none.summary.counters = { ...none.summary.counters, established: 0 };
    none.summary.errors.byCode = { ECONNREFUSED: none.summary.counters.attempted };
    assert.equal(diagnose(none).kind, 'nothing-established');
    const idle = sampleResults();
    idle.summary.errors = { total: 0, rate: 0, byCode: {} };
    idle.backends.perBackend = [{ id: 'w1', connections: 800, share: 0.4 }, { id: 'w2', connections: 710, share: 0.355 }, { id: 'w3', connections: 490, share: 0.245 }, { id: 'w4', connections: 0, share: 0 }];
    idle.backends.skew = { peakToAverage: 1.6, cv: 0.6, jain: 0.722, minShare: 0, maxShare: 0.4 };
    assert.equal(diagnose(idle).kind, 'idle-backend');
    assert.equal(diagnose(idle).sentence, 'Idle backend: w4 got none of the 2,000 attributed connections. Over all 4 backends: peak/average 1.60, Jain 0.722.');
  });

  test('NAT skew needs a population and real skew; nothing wrong says so', () => {
    const r = sampleResults();
    r.summary.errors = { total: 0, rate: 0, byCode: {} };
    assert.match(diagnose(r).sentence, /^No limit hit: /);
    r.backends.skew = { peakToAverage: 1.8, cv: 0.5, jain: 0.7, minShare: 0.1, maxShare: 0.6 };
    r.backends.population = { groups: [], hottest: { backend: 'b1', group: 'nat', connections: 800, shareOfBackend: 0.7 }, diagnosis: 'The hottest backend, b1, got 70% from group nat.' };
    assert.equal(diagnose(r).kind, 'nat-skew');
    assert.match(diagnose(r).sentence, /^NAT skew: the busiest backend took 1\.80× the average\. The hottest backend, b1/);
  });
});
