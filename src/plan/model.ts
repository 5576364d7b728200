/**
 * The capacity model, pure: hosts per tier = the max over constraints (memory, fds, ports, CPU) of
 * ceil(load / (capacity × (1 − headroom))), the binding constraint named, every figure with its formula.
 * Ports (docs/limits.md): a balancer host with S source addresses, a port range of R ports and B backend endpoints
 * holds S × R × B upstream connections, and needs one port per open connection plus, when it closes first, one per
 * connection closed in the last 60 s (TIME_WAIT).
 * Every tier then gets N+1 (redundancy.ts): enough hosts that losing one still carries the load.
 */
import { WsherdError } from '../errors.js';
import { bytes, num, usable } from './format.js';
import { TIME_WAIT_SECONDS, portRangeSize } from './inputs.js';
import { nPlusOne } from './redundancy.js';
import type { ComponentCosts, Constraint, ConstraintName, Costs, Figure, PlanInputs, TierName, TierPlan } from './types.js';


export function tiersOf(inputs: PlanInputs): TierName[] {
  switch (inputs.topology) {
    case 'balancer':
    case 'dns-balancers': return ['balancer', 'backend'];
    case 'orchestrator': return ['orchestrator', 'backend'];
    case 'dns': return ['backend'];
  }
}

export function fig(value: number, unit: string, formula: string): Figure {
  return { value, unit, formula };
}

function hostsFigure(load: Figure, cap: Figure, headroom: number): Figure {
  const value = Math.max(1, Math.ceil(load.value / (cap.value * (1 - headroom))));
  const show = (f: Figure): string => (f.unit === 'bytes' ? bytes(f.value) : `${num(f.value)} ${f.unit}`);
  return fig(value, 'hosts', `ceil(${show(load)} / (${show(cap)} × ${usable(headroom)})) = ${num(value)}`);
}

export function constraint(name: ConstraintName, load: Figure, cap: Figure, headroom: number): Constraint {
  return { name, load, capacityPerHost: cap, hosts: hostsFigure(load, cap, headroom) };
}

/** Total messages per second through every tier: connections × messages/s per connection. */
export function messageRate(inputs: PlanInputs): number {
  return inputs.connections * inputs.messagesPerSecond;
}

function cpuConstraint(inputs: PlanInputs, c: ComponentCosts, cores: number): Constraint | undefined {
  const parts: string[] = [];
  let load = 0;
  const msgs = messageRate(inputs);
  if (c.cpuPer1000Messages !== undefined && msgs > 0) {
    load += (msgs / 1000) * c.cpuPer1000Messages.value;
    parts.push(`${num(msgs)} messages/s / 1,000 × ${num(c.cpuPer1000Messages.value)} cores`);
  }
  if (c.cpuPer100NewConnections !== undefined && inputs.churn > 0) {
    load += (inputs.churn / 100) * c.cpuPer100NewConnections.value;
    parts.push(`${num(inputs.churn)} new/s / 100 × ${num(c.cpuPer100NewConnections.value)} cores`);
  }
  if (parts.length === 0) return undefined;
  const loadFig = fig(load, 'cores', `${parts.join(' + ')} = ${num(load)} cores`);
  return constraint('cpu', loadFig, fig(cores, 'cores', `${num(cores)} cores`), inputs.headroom);
}

/** The constraints of a balancer or backend tier; `endpoints` (backend hosts × listen ports) only for balancers. */
export function componentConstraints(tier: 'balancer' | 'backend', inputs: PlanInputs, costs: Costs, endpoints = 0): Constraint[] {
  const host = inputs.hosts[tier];
  const c = costs[tier];
  const n = inputs.connections;
  const h = inputs.headroom;
  const mem = c.memoryPerConnection.value;
  const memLoad = fig(n * mem, 'bytes', `${num(n)} connections × ${bytes(mem)} = ${bytes(n * mem)}`);
  const memCap = fig(host.ramBytes - c.idleMemoryBytes.value, 'bytes', `${bytes(host.ramBytes)} RAM − ${bytes(c.idleMemoryBytes.value)} held idle = ${bytes(host.ramBytes - c.idleMemoryBytes.value)}`);
  const fdsPer = c.fdsPerConnection.value;
  const fdLoad = fig(n * fdsPer, 'fds', `${num(n)} connections × ${num(fdsPer)} fds = ${num(n * fdsPer)} fds`);
  const fdCap = fig(host.fds - c.idleFds.value, 'fds', `${num(host.fds)} fd limit − ${num(c.idleFds.value)} held idle = ${num(host.fds - c.idleFds.value)} fds`);
  const out = [constraint('memory', memLoad, memCap, h), constraint('fds', fdLoad, fdCap, h)];
  if (tier === 'balancer') out.push(portConstraint(inputs, endpoints));
  const cpu = cpuConstraint(inputs, c, host.cores);
  if (cpu !== undefined) out.push(cpu);
  return out;
}

function portConstraint(inputs: PlanInputs, endpoints: number): Constraint {
  const host = inputs.hosts.balancer;
  const r = portRangeSize(host.portRange);
  const tw = inputs.closesFirst === 'balancer' ? inputs.churn * TIME_WAIT_SECONDS : 0;
  const loadFormula = tw > 0
    ? `${num(inputs.connections)} open + ${num(inputs.churn)} new/s × ${TIME_WAIT_SECONDS} s TIME_WAIT = ${num(inputs.connections + tw)} ports`
    : `${num(inputs.connections)} open (the backends close first: TIME_WAIT costs the balancer no port) = ${num(inputs.connections)} ports`;
  const cap = host.sources * r * endpoints;
  const capFormula = `${num(host.sources)} source address${host.sources === 1 ? '' : 'es'} × ${num(r)} ports × ${num(endpoints)} backend endpoints = ${num(cap)} ports`;
  return constraint('ports', fig(inputs.connections + tw, 'ports', loadFormula), fig(cap, 'ports', capFormula), inputs.headroom);
}

function orchestratorConstraints(inputs: PlanInputs, costs: Costs): Constraint[] {
  const c = costs.orchestratorCpuPer100Lookups.value;
  const load = (inputs.churn / 100) * c;
  const loadFig = fig(load, 'cores', `${num(inputs.churn)} lookups/s (one per new connection) / 100 × ${num(c)} cores = ${num(load)} cores`);
  return [constraint('cpu', loadFig, fig(inputs.hosts.orchestrator.cores, 'cores', `${num(inputs.hosts.orchestrator.cores)} cores`), inputs.headroom)];
}

/** The constraint needing most hosts (the first of equals, in the order memory, fds, ports, cpu). */
export function binding(constraints: readonly Constraint[]): Constraint {
  return constraints.reduce((a, b) => (b.hosts.value > a.hosts.value ? b : a));
}

/** A host that cannot hold one connection: no number of hosts helps, so say what to change. */
function impossible(tier: TierName, inputs: PlanInputs, costs: Costs): string[] {
  if (tier === 'orchestrator') return [];
  const host = inputs.hosts[tier];
  const c = costs[tier];
  const f = 1 - inputs.headroom;
  const out: string[] = [];
  const fdRoom = (host.fds - c.idleFds.value) * f;
  if (fdRoom < c.fdsPerConnection.value) {
    const need = Math.ceil(c.fdsPerConnection.value / f + c.idleFds.value);
    out.push(`a ${tier} host with fds=${num(host.fds)} cannot hold one connection: (${num(host.fds)} − ${num(c.idleFds.value)} held idle) × ${usable(inputs.headroom)} = ${num(fdRoom)} fds < ${num(c.fdsPerConnection.value)} per connection. Raise fds (LimitNOFILE) to at least ${num(need)}; a real ${tier} wants tens of thousands.`);
  }
  const memRoom = (host.ramBytes - c.idleMemoryBytes.value) * f;
  if (memRoom < c.memoryPerConnection.value) {
    out.push(`a ${tier} host with ram=${bytes(host.ramBytes)} cannot hold one connection: the process alone holds ${bytes(c.idleMemoryBytes.value)} idle. Give it more RAM.`);
  }
  return out;
}

/** With a fixed host count: what it would take instead, for every constraint the count breaks. */
function tooFew(t: TierPlan, count: number, inputs: PlanInputs): string[] {
  const host = inputs.hosts[t.tier];
  const f = 1 - inputs.headroom;
  return t.constraints.filter((c) => c.hosts.value > count).map((c) => {
    const perHost = c.load.value / count;
    const fix: Record<ConstraintName, string> = {
      fds: `raise fds (LimitNOFILE) to ${num(Math.ceil(perHost / f + (host.fds - c.capacityPerHost.value)))}`,
      memory: `give each host ${bytes(perHost / f + (host.ramBytes - c.capacityPerHost.value))} RAM`,
      ports: `use ${num(Math.ceil((perHost / f) / (c.capacityPerHost.value / host.sources)))} source addresses per balancer host, or more backend listen ports`,
      cpu: `give each host ${num(Math.ceil(perHost / f))} cores`,
    };
    const conns = t.tier === 'orchestrator' ? '' : ` ${num(Math.ceil(inputs.connections / count))} connections each`;
    return `${num(count)} ${t.tier} host${count === 1 ? '' : 's'} cannot hold${conns} (${c.name}: ${c.hosts.formula} needed). Use count=${num(c.hosts.value)}, or ${fix[c.name]}.`;
  });
}

function tierPlan(tier: TierName, constraints: Constraint[], inputs: PlanInputs, fixedCounts: boolean, backendHosts?: number): TierPlan {
  const b = binding(constraints);
  const count = inputs.hosts[tier].count;
  // N+1: losing one host must not fail the what-if; the hosts the load needs get a spare when they cannot.
  const spared = Math.max(b.hosts.value, nPlusOne(tier, constraints, b.hosts.value, b.hosts.value, inputs, backendHosts).nPlusOne.value);
  // Growth cases size freely but never below the hosts you have.
  const hosts = count === undefined ? spared : fixedCounts ? count : Math.max(count, spared);
  const per = Math.ceil(inputs.connections / hosts);
  const connectionsPerHost = tier === 'orchestrator'
    ? fig(0, 'connections', 'clients only look up a backend here; they do not stay connected')
    : fig(per, 'connections', `ceil(${num(inputs.connections)} / ${num(hosts)} hosts) = ${num(per)}`);
  const redundancy = nPlusOne(tier, constraints, b.hosts.value, hosts, inputs, backendHosts);
  return { tier, hosts, binding: b.name, constraints, connectionsPerHost, redundancy, settings: [] };
}

/** Sizes every tier of the topology; no settings, TIME_WAIT or what-if (what-if.ts calls this for its cases). */
export function sizeTiers(inputs: PlanInputs, costs: Costs, opts: { fixedCounts: boolean } = { fixedCounts: true }): TierPlan[] {
  const problems = tiersOf(inputs).flatMap((t) => impossible(t, inputs, costs));
  if (problems.length > 0) {
    throw new WsherdError('WSH_ERR_PLAN_IMPOSSIBLE', `The plan cannot be met:\n  ${problems.join('\n  ')}`, { hint: 'Change the host shape (--balancer-host / --backend-host, or hosts: in the plan file); see docs/plan.md.' });
  }
  const backend = tierPlan('backend', componentConstraints('backend', inputs, costs), inputs, opts.fixedCounts);
  const tiers: TierPlan[] = [];
  for (const t of tiersOf(inputs)) {
    if (t === 'backend') tiers.push(backend);
    else if (t === 'balancer') tiers.push(tierPlan(t, componentConstraints('balancer', inputs, costs, backend.hosts * inputs.hosts.backend.listenPorts), inputs, opts.fixedCounts, backend.hosts));
    else tiers.push(tierPlan(t, orchestratorConstraints(inputs, costs), inputs, opts.fixedCounts));
  }
  if (opts.fixedCounts) {
    const short = tiers.flatMap((t) => (inputs.hosts[t.tier].count === undefined ? [] : tooFew(t, t.hosts, inputs)));
    if (short.length > 0) {
      throw new WsherdError('WSH_ERR_PLAN_IMPOSSIBLE', `The hosts given cannot hold the load:\n  ${short.join('\n  ')}`, { hint: 'Remove count= to let wsherd size the tier, or change the host shape; see docs/plan.md.' });
    }
  }
  return tiers;
}
