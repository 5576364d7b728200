import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runCli } from '../helpers/cli.js';
import { referenceCosts } from '../../src/plan/costs.js';
import { PlanInputError, planInputsFromFlags } from '../../src/plan/inputs.js';
import { parsePlanFile } from '../../src/plan/inputs-file.js';
import { planCapacity } from '../../src/plan/plan.js';
import { runPlan } from '../../src/plan/run.js';
import type { Costs, Plan } from '../../src/plan/types.js';
import { withProbes } from './fixture.js';

const balancerMemory = (plan: Plan): string =>
  plan.tiers.find((t) => t.tier === 'balancer')?.constraints.find((c) => c.name === 'memory')?.load.formula ?? '';

test('the balancer kind picks the balancer reference; the backends stay wsherd\'s', () => {
  const wsherd = referenceCosts();
  const haproxy = referenceCosts('haproxy');
  const nginx = referenceCosts('nginx');
  assert.deepEqual(referenceCosts('wsherd'), wsherd);
  assert.notEqual(haproxy.balancer.memoryPerConnection.value, wsherd.balancer.memoryPerConnection.value);
  assert.notEqual(nginx.balancer.memoryPerConnection.value, haproxy.balancer.memoryPerConnection.value);
  assert.match(haproxy.label, /HAProxy 2\.6/);
  assert.match(nginx.label, /nginx 1\.22/);
  assert.match(haproxy.balancer.memoryPerConnection.source, /npm run bench -- costs/);
  assert.deepEqual(haproxy.backend, wsherd.backend);
  assert.deepEqual(nginx.backend, wsherd.backend);

  const inputs = planInputsFromFlags({ connections: '100000', balancerKind: 'nginx' });
  const plan = planCapacity(inputs, nginx);
  assert.ok(balancerMemory(plan).startsWith('100,000 connections × 17.8 KiB'), balancerMemory(plan));
  assert.ok(!balancerMemory(planCapacity(inputs, haproxy)).includes('17.8 KiB'));
});

test('flags: --balancer-kind defaults to wsherd; an unknown kind is a problem with the fix', () => {
  assert.equal(planInputsFromFlags({ connections: '1000' }).balancerKind, 'wsherd');
  assert.equal(planInputsFromFlags({ connections: '1000', balancerKind: 'haproxy' }).balancerKind, 'haproxy');
  assert.throws(() => planInputsFromFlags({ connections: '1000', balancerKind: 'envoy' }), (err: unknown) => {
    assert.ok(err instanceof PlanInputError);
    assert.deepEqual(err.problems, ['--balancer-kind must be one of wsherd, haproxy, nginx, got "envoy"']);
    return true;
  });
});

test('plan file: balancer_kind is read and validated with file:line:col', () => {
  assert.equal(parsePlanFile('connections: 1000\nbalancer_kind: nginx\n', 'p.yaml').balancerKind, 'nginx');
  assert.throws(() => parsePlanFile('connections: 1000\nbalancer_kind: ngnix\n', 'p.yaml'), (err: unknown) => {
    assert.ok(err instanceof PlanInputError);
    assert.match(err.problems[0] ?? '', /^p\.yaml:2:\d+ .*balancer_kind must be one of wsherd, haproxy, nginx, got "ngnix"/);
    return true;
  });
});

test('settings: HAProxy maxconn and nginx worker_connections follow the balancer\'s fds per connection', () => {
  const inputs = planInputsFromFlags({ connections: '7000', balancerHost: 'cores=1', balancerKind: 'haproxy' });
  const base = referenceCosts('haproxy');
  const three: Costs = { ...base, balancer: { ...base.balancer, fdsPerConnection: { ...base.balancer.fdsPerConnection, value: 3 } } };
  const setting = (costs: Costs, name: string) => planCapacity(inputs, costs).tiers[0]?.settings.find((s) => s.name.startsWith(name));
  // 2 hosts (N+1): each must take all 7,000 once the other is lost, more than its 3,500 / 0.7.
  assert.equal(setting(base, 'nginx worker_connections')?.value, '14,000'); // 2 × 7,000
  assert.equal(setting(three, 'nginx worker_connections')?.value, '21,000');
  assert.match(setting(three, 'HAProxy maxconn')?.note ?? '', /about 3 fds per connection × maxconn.*the balancer kind planned/);
});

test('with --results the calibrated costs win, and the plan says so when a kind was given', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'wsherd-plan-kind-'));
  try {
    await writeFile(path.join(dir, 'results.json'), JSON.stringify(withProbes()));
    const { plan } = await runPlan({ flags: { connections: '10000', balancerKind: 'nginx' }, results: [dir] });
    assert.equal(plan.costs.origin, 'calibrated');
    assert.equal(plan.costs.balancer.fdsPerConnection.value, 2);
    assert.ok(plan.costs.notes.some((n) => n.startsWith('Balancer kind nginx: the costs calibrated from --results win')), plan.costs.notes.join('\n'));
    const plain = await runPlan({ flags: { connections: '10000' }, results: [dir] });
    assert.ok(!plain.plan.costs.notes.some((n) => n.startsWith('Balancer kind')));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('wsherd plan --balancer-kind: the chosen reference, named in the label and the notes', async () => {
  const r = await runCli(['plan', '--connections', '100000', '--balancer-kind', 'haproxy', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const plan = JSON.parse(r.stdout) as Plan;
  assert.equal(plan.inputs.balancerKind, 'haproxy');
  assert.match(plan.costs.label, /HAProxy/);
  assert.equal(plan.costs.balancer.memoryPerConnection.value, referenceCosts('haproxy').balancer.memoryPerConnection.value);
  assert.ok(plan.costs.notes.some((n) => n.includes('HAProxy 2.6 reference') && n.includes('--balancer-kind wsherd|nginx')), plan.costs.notes.join('\n'));

  const dflt = await runCli(['plan', '--connections', '1000']);
  assert.equal(dflt.code, 0, dflt.stderr);
  assert.match(dflt.stdout, /wsherd proxy \(L4\) reference .*`--balancer-kind haproxy\|nginx`/);
  const dns = await runCli(['plan', '--connections', '1000', '--topology', 'dns', '--json']);
  assert.ok(!(JSON.parse(dns.stdout) as Plan).costs.notes.some((n) => n.includes('--balancer-kind')), 'no balancer tier, no note');
});

test('wsherd plan: an unknown balancer kind exits 2, from a flag or a plan file', async () => {
  const r = await runCli(['plan', '--connections', '1000', '--balancer-kind', 'haprxy']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--balancer-kind must be one of wsherd, haproxy, nginx, got "haprxy" \(did you mean "haproxy"\?\)/);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'wsherd-plan-kind-'));
  try {
    const good = path.join(dir, 'good.yaml');
    await writeFile(good, 'connections: 50000\nbalancer_kind: nginx\n');
    const ok = await runCli(['plan', good, '--json']);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match((JSON.parse(ok.stdout) as Plan).costs.label, /nginx 1\.22/);
    const bad = path.join(dir, 'bad.yaml');
    await writeFile(bad, 'connections: 50000\nbalancer_kind: envoy\n');
    const no = await runCli(['plan', bad]);
    assert.equal(no.code, 2);
    assert.match(no.stderr, /bad\.yaml:2:\d+ .*balancer_kind must be one of wsherd, haproxy, nginx, got "envoy"/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
