import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isWsherdError } from '../../src/errors.js';
import { calibrate, costOf, referenceCosts } from '../../src/plan/costs.js';
import type { Results } from '../../src/results/types.js';
import { sampleResults } from '../results/fixture.js';
import { withProbes } from './fixture.js';

function close(actual: number, expected: number, what: string): void {
  assert.ok(Math.abs(actual - expected) < 1e-9 * Math.max(1, Math.abs(expected)), `${what}: ${actual} ≠ ${expected}`);
}

test('calibrate: fds and memory per connection from peak minus idle, CPU from the slope over the hold', () => {
  const costs = calibrate([withProbes()]);
  assert.equal(costs.origin, 'calibrated');
  close(costs.balancer.fdsPerConnection.value, 2, 'proxy fds');
  close(costs.balancer.memoryPerConnection.value, 12_000, 'proxy memory');
  close(costs.backend.fdsPerConnection.value, 1, 'backend fds');
  close(costs.backend.memoryPerConnection.value, 30_000, 'backend memory');
  close(costs.balancer.idleFds.value, 24, 'proxy idle fds');
  close(costs.backend.idleFds.value, 20, 'backend idle fds');
  close(costs.balancer.cpuPer1000Messages?.value ?? NaN, 0.05, 'proxy cpu');
  assert.equal(costs.balancer.fdsPerConnection.spread, 0);
  assert.ok(costs.balancer.fdsPerConnection.samples >= 5, 'every steady hold point is a sample');
  // The sample's ramp carries messages, so CPU per new connection cannot be told apart: the reference fills in.
  assert.deepEqual(costs.balancer.cpuPer100NewConnections, referenceCosts().balancer.cpuPer100NewConnections);
  assert.ok(costs.notes.includes('balancer CPU per 100 new connections/s (needs a ramp of at least 50/s without messages): no run measured it; using the reference (not your hosts).'), costs.notes.join('\n'));
});

test('calibrate: spread across runs is their standard deviation', () => {
  const a = withProbes();
  const b = withProbes();
  for (const p of b.probes?.series ?? []) {
    const proxy = p.components['proxy'];
    if (proxy !== undefined) proxy.rssBytes = 50e6 + 14_000 * (proxy.fds - 24) / 2;
  }
  const costs = calibrate([a, b]);
  close(costs.balancer.memoryPerConnection.value, 13_000, 'mean of 12,000 and 14,000');
  assert.ok(costs.balancer.memoryPerConnection.spread > 900 && costs.balancer.memoryPerConnection.spread < 1100);
  assert.deepEqual(costOf([1, 3], 'x'), { value: 2, spread: Math.SQRT2, samples: 2, source: 'x' });
});

test('calibrate: runs without probes or with too few connections are skipped, and say why', () => {
  const noProbes = sampleResults();
  const few = withProbes();
  for (const s of few.series) s.open = Math.min(s.open, 150);
  assert.throws(() => calibrate([noProbes, few], 'balancer', ['a.json', 'b.json']), (err: unknown) => {
    assert.ok(isWsherdError(err));
    assert.equal(err.code, 'WSH_ERR_PLAN_INVALID');
    assert.match(err.message, /a\.json was not used: it has no probes \(an external target, or too short a run\)/);
    assert.match(err.message, /b\.json was not used: it held only 150 connections at peak; at least 200 are needed/);
    assert.match(err.hint ?? '', /idle-8000/);
    return true;
  });
  const mixed = calibrate([noProbes, withProbes()], 'balancer', ['a.json', 'b.json']);
  assert.equal(mixed.label, 'calibrated from b.json');
  assert.ok(mixed.notes[0]?.startsWith('a.json was not used'));
});

test('calibrate: results from another topology than planned warn which costs do not apply', () => {
  const dns = withProbes();
  dns.scenario.lab = { ...dns.scenario.lab, approach: 'dns' } as NonNullable<Results['scenario']['lab']>;
  const costs = calibrate([dns], 'balancer', ['dns.json']);
  assert.ok(costs.notes.includes('dns.json ran dns (no balancer in the path), but the plan is balancer: its costs cannot size the balancer tier.'), costs.notes.join('\n'));
  // Its backends still calibrate; the balancer falls back to the reference, said so.
  close(costs.backend.fdsPerConnection.value, 1, 'backend fds');
  assert.deepEqual(costs.balancer.fdsPerConnection, referenceCosts().balancer.fdsPerConnection);
  assert.ok(costs.notes.some((n) => n.startsWith('balancer fds per connection: no run measured it')));
  const viaBalancer = calibrate([withProbes()], 'dns', ['lab.json']);
  assert.ok(viaBalancer.notes.includes('lab.json ran through a balancer (balancer), but the plan is dns: only its backend costs apply.'));
});
