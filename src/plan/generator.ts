/**
 * The generator tier's plan: hosts from its constraints (generator-model.ts), the source addresses that would let
 * fewer hosts do, the pods and shards (generator-pods.ts), and why it gets no spare.
 */
import { WsherdError } from '../errors.js';
import { bytes, num, usable } from './format.js';
import { portRangeSize } from './inputs.js';
import { binding, fig } from './model.js';
import { generatorConstraints, workersFor } from './generator-model.js';
import { generatorPods, generatorSettings, shardCommands } from './generator-pods.js';
import type { Constraint, GeneratorCosts, GeneratorPlan, PlanInputs } from './types.js';

/** Connections a host opens from bound source addresses beyond which the kernel's port search slows (docs/scale.md). */
const BIND_SEARCH = 100_000;

/** Ports set the count: the source addresses per host that let the other constraints set it. */
function withSources(c: readonly Constraint[], inputs: PlanInputs): GeneratorPlan['withSources'] {
  const ports = c.find((x) => x.name === 'ports') as Constraint;
  const others = c.filter((x) => x.name !== 'ports');
  const hosts = Math.max(1, ...others.map((x) => x.hosts.value));
  if (ports.hosts.value <= hosts) return undefined;
  const g = inputs.generator;
  const r = portRangeSize(g.portRange);
  const sources = Math.ceil(ports.load.value / (r * g.targets * hosts));
  const by = others.reduce((a, x) => (x.hosts.value > a.hosts.value ? x : a));
  return { sources, hosts, formula: `ceil(${num(ports.load.value)} ports / (${num(r)} ports × ${num(g.targets)} target${g.targets === 1 ? '' : 's'} × ${num(hosts)} host${hosts === 1 ? '' : 's'})) = ${num(sources)} source addresses per host; then ${by.name} sets the count` };
}

function checkHost(inputs: PlanInputs, costs: GeneratorCosts, memory: Constraint): void {
  const room = memory.capacityPerHost.value * (1 - inputs.headroom);
  if (room >= costs.memoryPerConnection.value) return;
  throw new WsherdError('WSH_ERR_PLAN_IMPOSSIBLE', `The plan cannot be met:\n  a generator host with ram=${bytes(inputs.generator.ramBytes)} cannot hold one connection: ${memory.capacityPerHost.formula}, × ${usable(inputs.headroom)} = ${bytes(room)}.`, {
    hint: 'Give generator hosts more RAM (--generator-host ram=8GiB, or hosts.generator in the plan file), or fewer workers; see docs/plan.md.',
  });
}

export function planGenerator(inputs: PlanInputs, costs: GeneratorCosts): GeneratorPlan {
  const g = inputs.generator;
  const constraints = generatorConstraints(inputs, costs);
  checkHost(inputs, costs, constraints[0] as Constraint);
  const b = binding(constraints);
  const hosts = g.count ?? b.hosts.value;
  const per = Math.ceil(inputs.connections / hosts);
  const notes: string[] = [...costs.notes];
  const count = g.count;
  if (count !== undefined) {
    for (const c of constraints.filter((x) => x.hosts.value > count)) notes.push(`count=${num(count)} generator hosts cannot drive ${num(per)} connections each (${c.name}: ${c.hosts.formula}): use count=${num(c.hosts.value)}${c.name === 'ports' ? ', or more source addresses per host' : ''}.`);
  }
  const alt = g.count === undefined ? withSources(constraints, inputs) : undefined;
  const pods = generatorPods(inputs, costs, constraints);
  const redundancy = {
    rule: 'none' as const,
    reason: hosts === 1
      ? 'No spare needed: losing the generator host stops the test, not the service.'
      : `No spare needed: losing a generator host loses 1/${num(hosts)} of the load, not the service.`,
  };
  const bound = Math.ceil(inputs.connections / (alt?.hosts ?? hosts));
  if ((alt !== undefined || g.sources > 1) && bound > BIND_SEARCH) notes.push(`${num(bound)} connections a host from bound source addresses: give the scenario behavior.source_ports: named — with the kernel's pick, bind()'s search for a free port grows with what is held (docs/scale.md: past ~130,000 it held openings to ~200/s).`);
  if (inputs.churn > 0) notes.push(`With \`close: client-fin\` the generator closes TCP first and each closed connection holds its port 60 s: ${num(inputs.connections)} + ${num(inputs.churn)}/s × 60 s = ${num(inputs.connections + inputs.churn * 60)} ports (the default \`close: client\` leaves TIME_WAIT on the server).`);
  if (g.targets === 1 && inputs.topology !== 'balancer') notes.push(`Clients that reach several addresses (DNS round robin over ${inputs.topology === 'dns' ? 'the backends' : inputs.topology === 'dns-balancers' ? 'the balancers' : 'the backends an orchestrator names'}) get each address's ports per source address: give their number as targets= to count them (the plan assumes 1, the worst case).`);
  return {
    hosts,
    binding: b.name,
    constraints,
    connectionsPerHost: fig(per, 'connections', `ceil(${num(inputs.connections)} / ${num(hosts)} hosts) = ${num(per)}`),
    workersPerHost: workersFor(per, hosts, inputs, costs),
    ...(alt === undefined ? {} : { withSources: alt }),
    pods,
    shards: shardCommands(hosts, alt, pods.pods.value),
    redundancy,
    settings: generatorSettings(inputs, costs, per, hosts, alt),
    costs,
    notes,
  };
}
