import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runCli } from '../helpers/cli.js';
import type { Plan } from '../../src/plan/types.js';
import { withProbes } from './fixture.js';

test('wsherd plan --json: the plan with every figure and its formula, exit 0', async () => {
  const r = await runCli(['plan', '--connections', '100000', '--churn', '500', '--balancer-host', 'ram=8GiB,cores=4,fds=65536', '--backend-host', 'count=4', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const plan = JSON.parse(r.stdout) as Plan;
  assert.equal(plan.costs.origin, 'reference');
  assert.deepEqual(plan.tiers.map((t) => [t.tier, t.hosts, t.binding]), [['balancer', 5, 'fds'], ['backend', 4, 'memory']]);
  for (const t of plan.tiers) {
    for (const c of t.constraints) assert.match(c.hosts.formula, /^ceil\(.+ \/ \(.+ × \(1 − 0\.3\)\)\) = \d+$/);
    assert.ok(t.settings.every((s) => s.formula.length > 0));
  }
  assert.deepEqual(plan.whatIf.map((w) => w.case), ['as planned', '×2 growth', '×10 growth', 'one balancer host lost', 'one backend host lost']);
  assert.equal(plan.timeWait[0]?.value, 6000); // 500/s over 5 balancers × 60 s
  assert.deepEqual(plan.tiers.map((t) => [t.tier, t.redundancy.rule, t.redundancy.met]), [['balancer', 'N+1', true], ['backend', 'N+1', true]]);
  assert.equal(plan.generator.redundancy.rule, 'none');
});

test('wsherd plan --generator-host --json: 200,000 to one address:port need 8 generator hosts, or 2 with 4 source addresses', async () => {
  const r = await runCli(['plan', '--connections', '200000', '--generator-host', 'ram=3GiB,cores=4,fds=20000', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const g = (JSON.parse(r.stdout) as Plan).generator;
  assert.equal(g.hosts, 8);
  assert.equal(g.binding, 'ports');
  assert.deepEqual([g.withSources?.sources, g.withSources?.hosts], [4, 2]);
  assert.equal(g.pods.pods.value, 8);
  assert.match(g.shards[0] ?? '', /--shard i\/8`$/);
  assert.equal(g.costs.origin, 'reference');
  const bad = await runCli(['plan', '--connections', '1000', '--generator-host', 'sorces=2']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--generator-host: "sorces=2" is not key=value with a known key \(did you mean "sources"\?\)/);
});

test('wsherd plan <file> --out: terminal plan, plan.html (self-contained) and plan.md', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'wsherd-plan-cli-'));
  try {
    const r = await runCli(['plan', 'scenarios/plan-example.yaml', '--churn', '1000', '--out', dir]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^wsherd plan\n100,000 connections, 1,000 new\/s/);
    assert.match(r.stdout, /Balancer tier\n/);
    assert.match(r.stdout, /Costs \(reference, not your hosts\)/);
    assert.ok(!r.stdout.includes('\u001b['), 'no colour when NO_COLOR is set');
    assert.match(r.stdout, /\nGenerator tier \(the load test's clients\)\n/);
    const html = await readFile(path.join(dir, 'plan.html'), 'utf8');
    assert.ok(html.includes('<h2>Generator tier (the load test&#39;s clients)</h2>'));
    assert.match(html, /<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">/);
    assert.ok(!/<script(?! type="application\/json")/.test(html), 'no executable script');
    assert.ok(!/(src|href)="https?:/.test(html), 'nothing loaded from the network');
    const md = await readFile(path.join(dir, 'plan.md'), 'utf8');
    assert.match(md, /^# wsherd plan\n/);
    assert.match(md, /\| constraint \| load \(whole tier\) \|/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('wsherd plan --results: costs calibrated from a run\'s probes', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'wsherd-plan-cli-'));
  try {
    const file = path.join(dir, 'results.json');
    await writeFile(file, JSON.stringify(withProbes()));
    const r = await runCli(['plan', '--connections', '10000', '--results', dir, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const plan = JSON.parse(r.stdout) as Plan;
    assert.equal(plan.costs.origin, 'calibrated');
    assert.equal(plan.costs.balancer.fdsPerConnection.value, 2);
    assert.equal(plan.costs.backend.memoryPerConnection.value, 30_000);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('bad input: file problems with positions, impossible targets, exit 2', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'wsherd-plan-cli-'));
  try {
    const file = path.join(dir, 'plan.yaml');
    await writeFile(file, 'connections: -3\nhosts:\n  balancer: {fds: 1000, sorces: 2}\n');
    const bad = await runCli(['plan', file, '--headroom', '2']);
    assert.equal(bad.code, 2);
    assert.equal(bad.stdout, '');
    assert.equal(bad.stderr, [
      'Error [WSH_ERR_PLAN_INVALID]: The plan has 3 problems:',
      `  ${file}:1:14 connections must be at least 1, got -3 (the peak number of concurrent connections, e.g. connections: 100000)`,
      `  ${file}:3:25 unknown key "sorces" in hosts.balancer (did you mean "sources"?)`,
      '  --headroom must be at most 0.9, got 2',
      'Hint: See docs/plan.md for every input, its unit and its default.',
      '',
    ].join('\n'));
    const impossible = await runCli(['plan', '--connections', '1000', '--backend-host', 'fds=16']);
    assert.equal(impossible.code, 2);
    assert.match(impossible.stderr, /^Error \[WSH_ERR_PLAN_IMPOSSIBLE\]: The plan cannot be met:\n {2}a backend host with fds=16 cannot hold one connection/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
