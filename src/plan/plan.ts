/**
 * `wsherd plan` as a library call: size the tiers (model.ts), add the settings to apply and the TIME_WAIT budget
 * (settings.ts), the what-if table (what-if.ts), the generator tier (generator.ts) and the notes a reader needs.
 */
import { bytes, num, usable } from './format.js';
import { portRangeSize } from './inputs.js';
import { sizeTiers } from './model.js';
import { hostsToCarry } from './redundancy.js';
import { settingsFor, timeWaitFigures } from './settings.js';
import { planGenerator } from './generator.js';
import { referenceGeneratorCosts } from './generator-costs.js';
import type { Costs, GeneratorCosts, Plan, PlanInputs, TierPlan } from './types.js';
import { whatIf } from './what-if.js';

/**
 * The whole plan: tiers with their settings, the TIME_WAIT budget, the what-if table, the generator tier (from the
 * reference generator costs unless `generatorCosts` says otherwise), and notes.
 */
export function planCapacity(inputs: PlanInputs, costs: Costs, generatorCosts: GeneratorCosts = referenceGeneratorCosts()): Plan {
  const tiers = sizeTiers(inputs, costs).map((t) => ({ ...t, settings: settingsFor(t, inputs, costs) }));
  const notes: string[] = [];
  for (const t of tiers) {
    if (!t.redundancy.met) notes.push(`${t.tier}: ${t.redundancy.reason}`);
    if (t.tier === 'balancer' && t.hosts > 1 && inputs.topology === 'balancer') notes.push(`${t.hosts} balancer hosts need something in front that spreads clients over them: DNS (topology dns-balancers), a cloud L4 load balancer, or ECMP/anycast.`);
    const c = costs[t.tier === 'orchestrator' ? 'backend' : t.tier];
    if (t.tier !== 'orchestrator' && !t.constraints.some((x) => x.name === 'cpu')) notes.push(`${t.tier}: no CPU cost applies (${c.cpuPer1000Messages === undefined ? 'none measured' : 'no messages or churn planned'}), so CPU is not sized.`);
    else if (t.tier !== 'orchestrator' && inputs.messagesPerSecond > 0 && c.cpuPer1000Messages === undefined) notes.push(`${t.tier}: CPU is sized by new connections only: no CPU per message was measured for it (${costs.origin === 'reference' ? `the ${inputs.balancerKind} reference has none` : 'no run sent enough messages'}); calibrate with --results from a run that sends messages.`);
  }
  const portNote = portsAlternative(tiers, inputs);
  if (portNote !== undefined) notes.push(portNote);
  if (inputs.messageBytes > 4096) notes.push(`Messages of ${bytes(inputs.messageBytes)} need socket buffers beyond the measured per-connection memory when clients read slowly; calibrate with a run that sends them.`);
  return { inputs, costs, tiers, timeWait: timeWaitFigures(tiers, inputs), whatIf: whatIf(inputs, costs, tiers), generator: planGenerator(inputs, generatorCosts), notes };
}

/**
 * Ports setting the balancer count is cheaper to fix with addresses than with hosts: say how many would let the
 * other constraints (and their N+1) set it. The addresses must cover the ports three ways, as the hosts did: with
 * the headroom free, with one balancer lost (N+1), and with one backend lost (its endpoints gone).
 */
function portsAlternative(tiers: readonly TierPlan[], inputs: PlanInputs): string | undefined {
  const b = tiers.find((t) => t.tier === 'balancer');
  const backends = tiers.find((t) => t.tier === 'backend')?.hosts ?? 1;
  const ports = b?.constraints.find((c) => c.name === 'ports');
  if (b === undefined || ports === undefined || inputs.hosts.balancer.count !== undefined) return undefined;
  const others = b.constraints.filter((c) => c.name !== 'ports');
  const next = others.reduce((a, c) => (c.hosts.value > a.hosts.value ? c : a));
  const hosts = Math.max(2, ...others.map((c) => Math.max(c.hosts.value, hostsToCarry(c.load.value, c.capacityPerHost.value) + 1)));
  if (hosts >= b.hosts) return undefined;
  const r = portRangeSize(inputs.hosts.balancer.portRange);
  const endpoints = ports.capacityPerHost.value / (inputs.hosts.balancer.sources * r);
  const load = ports.load.value;
  const ways: Array<[string, number, number]> = [
    [`${num(endpoints)} endpoints × ${usable(inputs.headroom)} × ${num(hosts)} hosts`, endpoints * (1 - inputs.headroom) * hosts, 0],
    [`${num(endpoints)} endpoints × ${num(hosts - 1)} hosts left of ${num(hosts)}`, endpoints * (hosts - 1), 0],
  ];
  if (backends >= 2) ways.push([`${num(endpoints * (backends - 1) / backends)} endpoints left with a backend lost × ${num(hosts)} hosts`, (endpoints * (backends - 1) / backends) * hosts, 0]);
  for (const w of ways) w[2] = Math.ceil(load / (r * w[1]));
  const [how, , sources] = ways.reduce((a, w) => (w[2] > a[2] ? w : a));
  const sets = b.binding === 'ports' ? 'Ports bind the balancer tier' : 'Ports set the balancer count (N+1)';
  return `${sets}: with ${num(sources)} upstream source addresses per balancer host (ceil(${num(load)} ports / (${num(r)} ports × ${how}))), or as many listening ports per backend, ${num(hosts)} balancer hosts would do (then bound by ${hosts > next.hosts.value ? `N+1 on ${next.name}` : next.name}).`;
}
