/**
 * Issue 18, point 7: the plan never recommends a tier whose loss its own what-if calls a failure. It recommended
 * 1 backend host for 100,000 connections (8 GiB hosts, reference costs: 2.7 GiB of connections fit one) while its
 * what-if said losing that host drops every connection.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planInputsFromFlags } from '../../src/plan/inputs.js';
import { planCapacity } from '../../src/plan/plan.js';
import { referenceCosts } from '../../src/plan/costs.js';
import type { Plan, PlanFlags, TierPlan } from '../../src/plan/index.js';
import { roundCosts } from './fixture.js';

function tier(plan: Plan, name: string): TierPlan {
  const t = plan.tiers.find((x) => x.tier === name);
  assert.ok(t, `no ${name} tier`);
  return t;
}

/** Every "one X host lost" row of the plan's own what-if, for tiers sized by wsherd (no count= given). */
function lostRows(plan: Plan): Array<{ tier: string; holds: boolean | undefined; note: string }> {
  return plan.tiers.filter((t) => plan.inputs.hosts[t.tier].count === undefined).map((t) => {
    const row = plan.whatIf.find((w) => w.case === `one ${t.tier} host lost`);
    assert.ok(row, `no what-if row for ${t.tier}`);
    return { tier: t.tier, holds: row.holds, note: row.note };
  });
}

test('regression: 100,000 connections on default hosts get 2 backend hosts, N+1, not 1', () => {
  const plan = planCapacity(planInputsFromFlags({ connections: '100000' }), referenceCosts());
  const backend = tier(plan, 'backend');
  // Memory alone: 100,000 × 28.8 KiB = 2.7 GiB, within one 8 GiB host at 70%.
  assert.equal(backend.constraints.find((c) => c.name === 'memory')?.hosts.value, 1);
  assert.equal(backend.hosts, 2);
  assert.equal(backend.redundancy.rule, 'N+1');
  assert.equal(backend.redundancy.forLoad, 1);
  assert.equal(backend.redundancy.raised, true);
  assert.match(backend.redundancy.reason, /^N\+1: the load needs 1 backend host \(memory\), but losing the only one drops all 100,000 connections with nowhere to reconnect/);
  for (const row of lostRows(plan)) assert.equal(row.holds, true, `${row.tier}: ${row.note}`);
  assert.equal(backend.connectionsPerHost.value, 50_000);
});

test('N+1 covers the balancer ports a lost backend takes away', () => {
  // 1 source × 28,232 ports per backend endpoint: with 2 backends a balancer host has 56,464 ports; losing a backend
  // halves that, so 3 balancers (enough at 70% with both) would hold 100,000 on 84,696 ports: 118%.
  const plan = planCapacity(planInputsFromFlags({ connections: '100000' }), referenceCosts());
  const balancer = tier(plan, 'balancer');
  assert.equal(balancer.redundancy.forLoad, 3);
  assert.equal(balancer.hosts, 4);
  assert.match(balancer.redundancy.nPlusOne.formula, /ports with one of 2 backends lost: ceil\(100,000 ports \/ 28,232 ports\) = 4/);
  assert.equal(plan.whatIf.find((w) => w.case === 'one backend host lost')?.holds, true);
});

test('a tier already big enough for N+1 keeps its count and says so', () => {
  const plan = planCapacity(planInputsFromFlags({ connections: '100000', balancerHost: 'fds=10000' }), roundCosts());
  const b = tier(plan, 'balancer');
  assert.equal(b.hosts, 29);
  assert.equal(b.redundancy.raised, false);
  assert.equal(b.redundancy.met, true);
  assert.match(b.redundancy.reason, /^N\+1 met: losing one of 29 balancer hosts leaves 28, enough for the whole load/);
});

test('a fixed count= below N+1 is kept, and the plan says what N+1 needs', () => {
  const plan = planCapacity(planInputsFromFlags({ connections: '1000', backendHost: 'count=1' }), referenceCosts());
  const b = tier(plan, 'backend');
  assert.equal(b.hosts, 1);
  assert.equal(b.redundancy.met, false);
  assert.ok(plan.notes.some((n) => /^backend: N\+1 not met with count=1: losing the only one drops all 1,000 connections with nowhere to reconnect; use count=2\.$/.test(n)), plan.notes.join('\n'));
});

test('orchestrators: one is enough for the lookups, two for N+1', () => {
  const plan = planCapacity(planInputsFromFlags({ connections: '1000', churn: '10', topology: 'orchestrator' }), roundCosts());
  assert.equal(tier(plan, 'orchestrator').hosts, 2);
  assert.match(tier(plan, 'orchestrator').redundancy.reason, /losing the only one stops new connections' lookups/);
});

test('growth rows size with the spare too: ×2 never shows fewer hosts than planned', () => {
  const plan = planCapacity(planInputsFromFlags({ connections: '100000' }), referenceCosts());
  const planned = plan.whatIf[0]?.hosts ?? {};
  for (const row of plan.whatIf.filter((w) => w.case.includes('growth'))) {
    for (const [t, n] of Object.entries(row.hosts)) assert.ok(n >= (planned[t as keyof typeof planned] ?? 0), `${row.case}: ${t} ${n}`);
  }
});

test('settings hold the survivors: LimitNOFILE and maxconn cover a host\'s share after one is lost', () => {
  // 2 balancer hosts of 10,000 connections: after a loss 1 host holds 20,000 × 2 fds = 40,000 > 10,000 / 0.7 × 2.
  const plan = planCapacity(planInputsFromFlags({ connections: '20000', backendHost: 'count=4', balancerHost: 'sources=4' }), roundCosts());
  const b = tier(plan, 'balancer');
  assert.equal(b.hosts, 2);
  const limit = b.settings.find((s) => s.name.startsWith('LimitNOFILE'));
  assert.equal(limit?.value, '40,960');
  assert.match(limit?.formula ?? '', /max\(10,000 connections \/ \(1 − 0\.3\), 20,000 after losing one of 2 hosts\) × 2 fds \+ 0 idle = 40,000/);
  assert.equal(b.settings.find((s) => s.name.startsWith('HAProxy maxconn'))?.value, '20,000');
});

test('property: for any load, no sized tier fails its own what-if when one host is lost', () => {
  let seed = 7;
  const rand = (): number => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
  const topologies = ['balancer', 'dns', 'orchestrator', 'dns-balancers'];
  for (let i = 0; i < 150; i++) {
    const flags: PlanFlags = {
      connections: String(1 + Math.floor(rand() * 2_000_000)),
      churn: String(Math.floor(rand() * 3000)),
      messages: String(Math.floor(rand() * 4)),
      topology: topologies[i % 4] as string,
      headroom: String(Math.round(rand() * 80) / 100),
      balancerHost: `fds=${1000 + Math.floor(rand() * 100_000)},sources=${1 + Math.floor(rand() * 4)}`,
      backendHost: `ram=${1 + Math.floor(rand() * 16)}GiB,listen_ports=${1 + Math.floor(rand() * 3)}`,
    };
    const plan = planCapacity(planInputsFromFlags(flags), roundCosts());
    for (const row of lostRows(plan)) assert.equal(row.holds, true, `${JSON.stringify(flags)} ${row.tier}: ${row.note}`);
    for (const t of plan.tiers) assert.ok(t.hosts >= 2, `${t.tier} has ${t.hosts}`);
  }
});
