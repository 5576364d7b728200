import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isWsherdError } from '../../src/errors.js';
import { planInputsFromFlags } from '../../src/plan/inputs.js';
import { sizeTiers } from '../../src/plan/model.js';
import { planCapacity } from '../../src/plan/plan.js';
import type { PlanFlags, PlanInputs, TierPlan } from '../../src/plan/index.js';
import { roundCosts } from './fixture.js';

function inputs(flags: PlanFlags): PlanInputs {
  return planInputsFromFlags(flags);
}

function tier(tiers: readonly TierPlan[], name: string): TierPlan {
  const t = tiers.find((x) => x.tier === name);
  assert.ok(t, `no ${name} tier`);
  return t;
}

test('fd-bound balancer: ceil(100,000 × 2 fds / (10,000 × 0.7)) = 29 hosts, and its settings', () => {
  const plan = planCapacity(inputs({ connections: '100000', balancerHost: 'fds=10000' }), roundCosts());
  const b = tier(plan.tiers, 'balancer');
  assert.equal(b.hosts, 29);
  assert.equal(b.binding, 'fds');
  const fds = b.constraints.find((x) => x.name === 'fds');
  assert.equal(fds?.hosts.formula, 'ceil(200,000 fds / (10,000 fds × (1 − 0.3))) = 29');
  assert.equal(fds?.load.formula, '100,000 connections × 2 fds = 200,000 fds');
  // 100,000 / 29 = 3,449 per host; × 2 / 0.7 = 9,854.3 → 10,240 (multiple of 1,024).
  assert.equal(b.connectionsPerHost.value, 3449);
  const limit = b.settings.find((s) => s.name.startsWith('LimitNOFILE'));
  assert.equal(limit?.value, '10,240');
  assert.equal(b.settings.find((s) => s.name.startsWith('HAProxy maxconn'))?.value, '4,928');
  assert.equal(b.settings.find((s) => s.name.startsWith('nginx'))?.value, '2,464');
});

test('memory-bound backends: ceil(100,000 × 20,000 B / (1 GiB × 0.7)) = 3 hosts', () => {
  const tiers = sizeTiers(inputs({ connections: '100000', backendHost: 'ram=1GiB' }), roundCosts());
  const b = tier(tiers, 'backend');
  assert.equal(b.hosts, 3);
  assert.equal(b.binding, 'memory');
  assert.match(b.constraints[0]?.hosts.formula ?? '', /^ceil\(1\.9 GiB \/ \(1\.0 GiB × \(1 − 0\.3\)\)\) = 3$/);
});

test('port-bound balancer: (200,000 open + 1,000/s × 60 s) over S sources × 28,232 ports × 2 backends', () => {
  const base = { connections: '200000', churn: '1000', backendHost: 'count=2' };
  const one = tier(sizeTiers(inputs(base), roundCosts()), 'balancer');
  const ports = one.constraints.find((x) => x.name === 'ports');
  assert.equal(ports?.load.formula, '200,000 open + 1,000 new/s × 60 s TIME_WAIT = 260,000 ports');
  assert.equal(ports?.capacityPerHost.formula, '1 source address × 28,232 ports × 2 backend endpoints = 56,464 ports');
  assert.equal(one.redundancy.forLoad, 7); // 260,000 / (56,464 × 0.7) = 6.58
  assert.equal(one.binding, 'ports');
  // N+1: losing one of the 2 backends halves every balancer's endpoints: 260,000 / 28,232 = 9.2.
  assert.equal(one.hosts, 10);
  const four = tier(sizeTiers(inputs({ ...base, balancerHost: 'sources=4' }), roundCosts()), 'balancer');
  assert.equal(four.redundancy.forLoad, 2); // 260,000 / (225,856 × 0.7) = 1.64
  assert.equal(four.hosts, 3); // N+1: 260,000 / 225,856 + 1 = 2.15, with a backend lost 260,000 / 112,928 = 2.3
  // Backends closing first leave TIME_WAIT on their listening port: no balancer port for it.
  const backendCloses = tier(sizeTiers(inputs({ ...base, closesFirst: 'backend' }), roundCosts()), 'balancer');
  assert.equal(backendCloses.redundancy.forLoad, 6); // 200,000 / 39,524.8 = 5.06
  assert.equal(backendCloses.hosts, 8); // N+1, a backend lost: 200,000 / 28,232 = 7.08
});

test('CPU-bound: 10,000 × 10 messages/s and 100 new/s need 10.1 cores: 8 balancers of 2 cores, 4 backends of 4', () => {
  const tiers = sizeTiers(inputs({ connections: '10000', messages: '10', churn: '100', balancerHost: 'cores=2' }), roundCosts());
  const b = tier(tiers, 'balancer');
  assert.equal(b.binding, 'cpu');
  assert.equal(b.hosts, 8); // 10.1 / 1.4 = 7.2
  assert.equal(b.constraints.find((x) => x.name === 'cpu')?.load.formula, '100,000 messages/s / 1,000 × 0.1 cores + 100 new/s / 100 × 0.1 cores = 10.1 cores');
  assert.equal(tier(tiers, 'backend').hosts, 4); // 10.1 / 2.8 = 3.6
});

test('the what-if table: ×2 and ×10 growth, one host lost per tier', () => {
  const plan = planCapacity(inputs({ connections: '100000', balancerHost: 'fds=10000' }), roundCosts());
  const [planned, x2, x10, lostBalancer, lostBackend] = plan.whatIf;
  // Backends: 2 GB of connections fit one 8 GiB host; N+1 runs 2.
  assert.deepEqual(planned?.hosts, { balancer: 29, backend: 2 });
  assert.deepEqual(x2?.hosts, { balancer: 58, backend: 2 }); // 400,000 / 7,000 = 57.1
  // 2,000,000 fds / 7,000 = 285.7; backends 1,000,000 × 20,000 B / (8 GiB × 0.7) = 3.3.
  assert.deepEqual(x10?.hosts, { balancer: 286, backend: 4 });
  assert.match(x10?.note ?? '', /hosts to add: \+257 balancer, \+2 backend$/);
  // 200,000 fds over 28 survivors × 10,000 = 71%: they hold, with the headroom spent.
  assert.equal(lostBalancer?.holds, true);
  assert.equal(lostBalancer?.binding, 'fds 71%');
  assert.match(lostBalancer?.note ?? '', /headroom spent/);
  // 2 GB over the 1 survivor's 8 GiB: 23% of memory.
  assert.equal(lostBackend?.holds, true);
  assert.match(lostBackend?.note ?? '', /^its 50,000 connections reconnect onto 1 host .*the survivors hold it at 23% of memory capacity$/);
});

test('the TIME_WAIT budget when the balancer closes first', () => {
  const plan = planCapacity(inputs({ connections: '200000', churn: '1000', backendHost: 'count=2' }), roundCosts());
  const [perHost, perPair, ceiling] = plan.timeWait;
  // 10 balancer hosts (N+1 with one of the 2 backends lost).
  assert.equal(perHost?.value, (1000 / 10) * 60);
  assert.equal(perPair?.value, (1000 / 10) * 60 / 2);
  assert.match(ceiling?.formula ?? '', /^churn ceiling before ports run out: \(2 pairs × 28,232 ports − 20,000 open\) \/ 60 s = 608\/s$/);
});

test('dns topology has only a backend tier; orchestrator adds an orchestrator sized by lookups', () => {
  assert.deepEqual(sizeTiers(inputs({ connections: '1000', topology: 'dns' }), roundCosts()).map((t) => t.tier), ['backend']);
  const o = sizeTiers(inputs({ connections: '1000', churn: '1000', topology: 'orchestrator', orchestratorHost: 'cores=1' }), roundCosts());
  assert.equal(tier(o, 'orchestrator').hosts, 8); // 1,000 / 100 × 0.5 = 5 cores / 0.7 = 7.1
});

test('impossible targets: a host that cannot hold one connection, and too few fixed hosts', () => {
  assert.throws(() => sizeTiers(inputs({ connections: '1000', balancerHost: 'fds=16' }), roundCosts({ idleFds: 20 })), (err: unknown) => {
    assert.ok(isWsherdError(err));
    assert.equal(err.code, 'WSH_ERR_PLAN_IMPOSSIBLE');
    assert.equal(err.exitCode, 2);
    assert.match(err.message, /a balancer host with fds=16 cannot hold one connection: \(16 − 20 held idle\) × \(1 − 0\.3\) = -2\.8 fds < 2 per connection\. Raise fds \(LimitNOFILE\) to at least 23/);
    return true;
  });
  assert.throws(() => sizeTiers(inputs({ connections: '100000', balancerHost: 'fds=10000,count=2' }), roundCosts()), (err: unknown) => {
    assert.ok(isWsherdError(err));
    assert.equal(err.code, 'WSH_ERR_PLAN_IMPOSSIBLE');
    assert.match(err.message, /2 balancer hosts cannot hold 50,000 connections each \(fds: ceil\(200,000 fds \/ \(10,000 fds × \(1 − 0\.3\)\)\) = 29 needed\)\. Use count=29, or raise fds \(LimitNOFILE\) to 142,858\./);
    return true;
  });
});

test('property: hosts always cover the binding load within (1 − headroom) of capacity', () => {
  // A fixed-seed LCG: the same 200 cases every run.
  let seed = 42;
  const rand = (): number => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
  for (let i = 0; i < 200; i++) {
    const n = 1 + Math.floor(rand() * 2_000_000);
    const fds = 1000 + Math.floor(rand() * 100_000);
    const tiers = sizeTiers(inputs({ connections: String(n), churn: String(Math.floor(rand() * 3000)), balancerHost: `fds=${fds}` }), roundCosts());
    for (const t of tiers) {
      for (const k of t.constraints) {
        assert.ok(k.load.value <= t.hosts * k.capacityPerHost.value * 0.7 + 1e-6, `${t.tier} ${k.name} overloaded at n=${n}`);
        assert.ok(k.hosts.value === 1 || k.load.value > (k.hosts.value - 1) * k.capacityPerHost.value * 0.7, `${t.tier} ${k.name} oversized`);
      }
    }
  }
});
