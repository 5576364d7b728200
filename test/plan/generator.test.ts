/**
 * The generator tier (issue 18, point 7): hosts and pods that drive N connections, from the generator's cost per
 * connection; ports counted per (source address, target), the hosts with source addresses added, shards and pods.
 * Round costs (fixture.ts) so every figure can be checked by hand.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isWsherdError } from '../../src/errors.js';
import { planInputsFromFlags, PlanInputError } from '../../src/plan/inputs.js';
import { parsePlanFile } from '../../src/plan/inputs-file.js';
import { planCapacity } from '../../src/plan/plan.js';
import { referenceCosts } from '../../src/plan/costs.js';
import type { GeneratorPlan, PlanFlags } from '../../src/plan/index.js';
import { roundCosts, roundGeneratorCosts } from './fixture.js';

function generator(flags: PlanFlags): GeneratorPlan {
  return planCapacity(planInputsFromFlags(flags), roundCosts(), roundGeneratorCosts()).generator;
}

const constraint = (g: GeneratorPlan, name: string) => g.constraints.find((c) => c.name === name);

test('200,000 connections to one address:port over 28,232 ports: 8 hosts, or 2 with 4 source addresses each', () => {
  const g = generator({ connections: '200000', generatorHost: 'ram=3GiB,cores=4,fds=20000' });
  assert.equal(g.hosts, 8);
  assert.equal(g.binding, 'ports');
  assert.equal(constraint(g, 'ports')?.hosts.formula, 'ceil(200,000 ports / 28,232 ports) = 8 (one port per connection per (source, target): counted, no headroom)');
  assert.equal(constraint(g, 'ports')?.capacityPerHost.formula, '1 source address × 28,232 ports × 1 target address:port = 28,232 ports');
  // Memory: 200,000 × (10,000 B + 50 MB / 15,800 clients a worker of 20,000 fds) = 2.45 GiB over (3 GiB − 150 MB) × 0.7: 2 hosts.
  assert.equal(constraint(g, 'memory')?.hosts.value, 2);
  assert.equal(constraint(g, 'cpu')?.load.formula, '3,334 new/s / 100 × 0.05 cores = 1.67 cores');
  assert.deepEqual({ sources: g.withSources?.sources, hosts: g.withSources?.hosts }, { sources: 4, hosts: 2 });
  // The alternative holds: the same plan with 4 source addresses per host needs 2 hosts.
  assert.equal(generator({ connections: '200000', generatorHost: 'ram=3GiB,cores=4,fds=20000,sources=4' }).hosts, 2);
  assert.equal(g.redundancy.reason, 'No spare needed: losing a generator host loses 1/8 of the load, not the service.');
  assert.deepEqual(g.shards, [
    '8 hosts: on host i (0 to 7) `wsherd run <scenario> --shard i/8`',
    'or, with 4 source addresses per host, 2 hosts: on host i (0 to 1) `wsherd run <scenario> --shard i/2`, each host\'s scenario giving its own 4 addresses (population: {addresses: …}, e.g. through -e)',
    'Kubernetes: 8 pods = 8 shards: `wsherd k8s render <scenario> --shards 8` (pod i runs `wsherd run --shards 8`, i from JOB_COMPLETION_INDEX)',
  ]);
});

test('pods: one address each, sized by requests; they differ from hosts when hosts have more addresses', () => {
  const g = generator({ connections: '200000', generatorHost: 'ram=3GiB,cores=4,fds=20000,sources=4' });
  assert.equal(g.hosts, 2);
  assert.equal(g.pods.pods.value, 8);
  assert.match(g.pods.pods.formula, /^max\(ports with one address per pod ceil\(200,000 \/ \(28,232 ports × 1 target\)\) = 8, memory 2 \(a pod is no bigger than a host\), /);
  assert.equal(g.pods.connectionsPerPod, 25_000);
  assert.equal(g.pods.workersPerPod, 2); // 25,000 / 15,800 clients a worker
  // (100 MB + 2 × 50 MB + 25,000 × 10,000 B) / 0.7 = 613.1 MiB → 640Mi; 416.75 new/s × 0.05 / 100 / 0.7 = 0.298 → 300m.
  assert.equal(g.pods.memoryRequest.value, '640Mi');
  assert.equal(g.pods.cpuRequest.value, '300m');
});

test('workers given: each holds (80% of its fd limit − 200), a count with no headroom', () => {
  const g = generator({ connections: '200000', generatorHost: 'fds=20000,workers=2,targets=4' });
  const fds = constraint(g, 'fds');
  assert.equal(fds?.capacityPerHost.formula, '2 workers × (80% of 20,000 − 200) = 31,600 fds');
  assert.equal(fds?.hosts.value, 7); // 200,000 / 31,600 = 6.3
  assert.equal(g.binding, 'fds');
  assert.equal(g.hosts, 7);
  assert.equal(g.withSources, undefined, 'ports do not set the count');
  assert.match(constraint(g, 'memory')?.capacityPerHost.formula ?? '', /− 2 workers × 47\.7 MiB, before the first connection/);
});

test('CPU: the opening rate and the messages, with the headroom', () => {
  const g = generator({ connections: '10000', messages: '1', generatorHost: 'open_rate=10000' });
  const cpu = constraint(g, 'cpu');
  assert.equal(cpu?.load.formula, '10,000 new/s / 100 × 0.05 cores + 10,000 messages/s / 1,000 × 0.02 cores = 5.2 cores');
  assert.equal(cpu?.hosts.value, 2); // 5.2 / (4 × 0.7)
  assert.equal(g.binding, 'cpu');
});

test('one host: no shards, and no spare', () => {
  const g = generator({ connections: '1000' });
  assert.equal(g.hosts, 1);
  assert.equal(g.shards[0], 'one host: `wsherd run <scenario>` (no shards)');
  assert.equal(g.redundancy.reason, 'No spare needed: losing the generator host stops the test, not the service.');
  assert.equal(g.redundancy.rule, 'none');
});

test('generator hosts given: too few are said, not refused (the test, not production, is short)', () => {
  const g = generator({ connections: '200000', generatorHost: 'count=2' });
  assert.equal(g.hosts, 2);
  assert.ok(g.notes.includes('count=2 generator hosts cannot drive 100,000 connections each (ports: ceil(200,000 ports / 28,232 ports) = 8 (one port per connection per (source, target): counted, no headroom)): use count=8, or more source addresses per host.'), g.notes.join('\n'));
});

test('source addresses past 100,000 a host: the note names behavior.source_ports: named', () => {
  const g = generator({ connections: '200000' });
  assert.equal(g.withSources?.hosts, 1);
  assert.ok(g.notes.some((n) => n.startsWith('200,000 connections a host from bound source addresses: give the scenario behavior.source_ports: named')), g.notes.join('\n'));
});

test('a generator host too small for one connection: WSH_ERR_PLAN_IMPOSSIBLE, exit 2', () => {
  assert.throws(() => planCapacity(planInputsFromFlags({ connections: '1000', generatorHost: 'ram=64MiB' }), referenceCosts()), (err: unknown) => {
    assert.ok(isWsherdError(err));
    assert.equal(err.code, 'WSH_ERR_PLAN_IMPOSSIBLE');
    assert.equal(err.exitCode, 2);
    assert.match(err.message, /a generator host with ram=64\.0 MiB cannot hold one connection: 64\.0 MiB RAM − 99\.2 MiB coordinator − 75\.0 MiB one worker/);
    return true;
  });
});

test('--generator-host problems are listed with the flag, and hosts.generator is read from a plan file', () => {
  assert.throws(() => planInputsFromFlags({ connections: '10', generatorHost: 'workers=0,listen_ports=2,open_rate=0,targets=1.5' }), (err: unknown) => {
    assert.ok(err instanceof PlanInputError);
    assert.deepEqual(err.problems, [
      '--generator-host workers must be at least 1, got 0',
      '--generator-host: "listen_ports=2" is not key=value with a known key (keys: ram, cores, fds, port_range, sources, workers, targets, open_rate, count), e.g. --generator-host ram=8GiB,cores=4,fds=65536',
      '--generator-host open_rate must be above 0, got 0',
      '--generator-host targets must be a whole number, got 1.5',
    ]);
    return true;
  });
  const file = parsePlanFile('connections: 1000\nhosts:\n  generator: {sources: 4, targets: 2, workers: 3, open_rate: 500, port_range: 1024-65535}\n', 'p.yaml');
  assert.deepEqual(file.generator, { sources: 4, targets: 2, workers: 3, openRate: 500, portRange: [1024, 65535] });
  assert.throws(() => parsePlanFile('connections: 1000\nhosts:\n  generator: {listen_ports: 2}\n', 'p.yaml'), (err: unknown) => {
    assert.ok(err instanceof PlanInputError);
    assert.match(err.problems[0] ?? '', /^p\.yaml:3:15 unknown key "listen_ports" in hosts\.generator/);
    return true;
  });
});
