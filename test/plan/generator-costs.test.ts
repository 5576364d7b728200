/** The generator's costs from a run's self-report (results.json `generator`, `environment`). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { calibrateGenerator, generatorHostOf, measuredAny, referenceGeneratorCosts } from '../../src/plan/generator-costs.js';
import { runPlan } from '../../src/plan/run.js';
import type { Results } from '../../src/results/types.js';
import { sampleResults } from '../results/fixture.js';

function close(actual: number, expected: number, what: string): void {
  assert.ok(Math.abs(actual - expected) < 1e-9 * Math.max(1, Math.abs(expected)), `${what}: ${actual} ≠ ${expected}`);
}

/** The sample run (2 workers × 1,000 clients, 109,984 messages, 2,020 attempts) with a whole-tree self-report. */
function withTree(): Results {
  const r = sampleResults();
  r.generator.coordinator = { pid: 1, startRssBytes: 90e6, maxRssBytes: 100e6 };
  r.generator.tree = { startRssBytes: 150e6, maxRssBytes: 170e6, peakOpen: 2000, rssAtPeakOpenBytes: 160e6, bytesPerConnection: 5000 };
  const [a, b] = r.generator.workers;
  if (a !== undefined) a.startRssBytes = 60e6;
  if (b !== undefined) b.startRssBytes = 62e6;
  return r;
}

/** The same run without messages and 2 CPU-s in all: its CPU is its 2,020 openings'. */
function idle(): Results {
  const r = withTree();
  r.summary.counters.messagesSent = 0;
  r.summary.counters.messagesReceived = 0;
  for (const w of r.generator.workers) w.cpuMs = 1000;
  return r;
}

test('calibrateGenerator: the tree\'s bytes per connection, the processes before the run, fds at the peak', () => {
  const c = calibrateGenerator([withTree()], ['a.json']);
  assert.equal(c.origin, 'calibrated');
  assert.equal(c.memoryPerConnection.value, 5000);
  close(c.fdsPerConnection.value, (1022 + 1019) / 2000, 'fds');
  assert.equal(c.coordinatorIdleBytes.value, 90e6);
  assert.equal(c.workerIdleBytes.value, 61e6);
  assert.equal(c.workerIdleBytes.samples, 2);
  // Messages: no idle run, so the openings cost the reference's 0.0394 cores per 100/s.
  assert.deepEqual(c.cpuPer100NewConnections, referenceGeneratorCosts().cpuPer100NewConnections);
  close(c.cpuPer1000Messages.value, (8.285 - 2020 * 0.000394) / 109.984, 'CPU per 1,000 messages');
  assert.ok(c.notes.includes('generator CPU per 100 new connections/s (needs a run without messages and 200 attempts): no run measured it; using the reference (not your hosts).'), c.notes.join('\n'));
  assert.equal(c.memoryPerConnection.source, 'a.json');
});

test('calibrateGenerator: an idle run gives CPU per opening, which a messaging run\'s CPU per message then leaves out', () => {
  const c = calibrateGenerator([idle(), withTree()], ['idle.json', 'msgs.json']);
  close(c.cpuPer100NewConnections.value, (2 / 2020) * 100, 'CPU per 100 new/s');
  close(c.cpuPer1000Messages.value, (8.285 - 2) / 109.984, 'CPU per 1,000 messages');
  assert.equal(c.memoryPerConnection.samples, 2);
});

test('calibrateGenerator: without a tree, the workers\' own growth; an old file without either keeps the reference', () => {
  const r = withTree();
  delete r.generator.tree;
  const c = calibrateGenerator([r]);
  close(c.memoryPerConnection.value, (98_566_144 - 60e6 + 96_731_136 - 62e6) / 2000, 'workers\' growth per connection');
  const old = sampleResults();
  const o = calibrateGenerator([old]);
  assert.equal(o.memoryPerConnection, referenceGeneratorCosts().memoryPerConnection);
  assert.ok(measuredAny(o), 'its fds and CPU per message are its own');
  assert.ok(!measuredAny(referenceGeneratorCosts()));
});

test('generatorHostOf: the machine the run\'s generator ran on', () => {
  assert.deepEqual(generatorHostOf(sampleResults()), { cores: 8, ramBytes: 16_663_314_432, fds: 65_536, portRange: [32768, 60999] });
});

test('runPlan --results of an external target: the generator is calibrated, the other tiers use the reference, said so', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'wsherd-plan-gen-'));
  try {
    const r = withTree();
    r.environment.portRange = [40000, 40999];
    await writeFile(path.join(dir, 'results.json'), JSON.stringify(r));
    const { plan } = await runPlan({ flags: { connections: '5000', generatorHost: 'sources=2' }, results: [dir] });
    assert.equal(plan.costs.origin, 'reference');
    assert.ok(plan.costs.notes.some((n) => n.startsWith('The results calibrate the generator tier only; the other tiers use the reference costs (not your hosts):') && n.includes('it has no probes')), plan.costs.notes.join('\n'));
    assert.equal(plan.generator.costs.origin, 'calibrated');
    // The run's machine, with the sources given: 5,000 over 2 × 1,000 ports = 3 hosts.
    assert.deepEqual(plan.inputs.generator.portRange, [40000, 40999]);
    assert.equal(plan.inputs.generator.cores, 8);
    assert.equal(plan.generator.constraints.find((c) => c.name === 'ports')?.hosts.value, 3);
    assert.ok(plan.generator.costs.notes.some((n) => /^Generator host: the machine .*results\.json ran on \(8 cores, 15\.5 GiB, fds 65,536, ports 40000-40999\), with sources as given;/.test(n)), plan.generator.costs.notes.join('\n'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
