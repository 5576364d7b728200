/**
 * `wsherd plan` as a library call: size the tiers (model.ts), add the settings to apply and the TIME_WAIT budget
 * (settings.ts), the what-if table (what-if.ts) and the notes a reader needs.
 */
import { bytes, num, usable } from './format.js';
import { portRangeSize } from './inputs.js';
import { sizeTiers } from './model.js';
import { settingsFor, timeWaitFigures } from './settings.js';
import type { Costs, Plan, PlanInputs, TierPlan } from './types.js';
import { whatIf } from './what-if.js';

/** The whole plan: tiers with their settings, the TIME_WAIT budget, the what-if table, and notes. */
export function planCapacity(inputs: PlanInputs, costs: Costs): Plan {
  const tiers = sizeTiers(inputs, costs).map((t) => ({ ...t, settings: settingsFor(t, inputs, costs) }));
  const notes: string[] = [];
  for (const t of tiers) {
    if (t.hosts === 1 && t.tier !== 'orchestrator') notes.push(`One ${t.tier} host is enough for the load, but losing it loses every connection: run at least 2 (see the what-if table).`);
    if (t.tier === 'balancer' && t.hosts > 1 && inputs.topology === 'balancer') notes.push(`${t.hosts} balancer hosts need something in front that spreads clients over them: DNS (topology dns-balancers), a cloud L4 load balancer, or ECMP/anycast.`);
    const c = costs[t.tier === 'orchestrator' ? 'backend' : t.tier];
    if (t.tier !== 'orchestrator' && !t.constraints.some((x) => x.name === 'cpu')) notes.push(`${t.tier}: no CPU cost applies (${c.cpuPer1000Messages === undefined ? 'none measured' : 'no messages or churn planned'}), so CPU is not sized.`);
    else if (t.tier !== 'orchestrator' && inputs.messagesPerSecond > 0 && c.cpuPer1000Messages === undefined) notes.push(`${t.tier}: CPU is sized by new connections only: no CPU per message was measured for it (${costs.origin === 'reference' ? `the ${inputs.balancerKind} reference has none` : 'no run sent enough messages'}); calibrate with --results from a run that sends messages.`);
  }
  const portNote = portsAlternative(tiers, inputs);
  if (portNote !== undefined) notes.push(portNote);
  if (inputs.messageBytes > 4096) notes.push(`Messages of ${bytes(inputs.messageBytes)} need socket buffers beyond the measured per-connection memory when clients read slowly; calibrate with a run that sends them.`);
  return { inputs, costs, tiers, timeWait: timeWaitFigures(tiers, inputs), whatIf: whatIf(inputs, costs, tiers), notes };
}

/** Ports binding the balancers is cheaper to fix with addresses than with hosts: say how many would do. */
function portsAlternative(tiers: readonly TierPlan[], inputs: PlanInputs): string | undefined {
  const b = tiers.find((t) => t.tier === 'balancer');
  const ports = b?.constraints.find((c) => c.name === 'ports');
  if (b === undefined || ports === undefined || b.binding !== 'ports' || inputs.hosts.balancer.count !== undefined) return undefined;
  const others = b.constraints.filter((c) => c.name !== 'ports');
  const next = others.reduce((a, c) => (c.hosts.value > a.hosts.value ? c : a));
  const perSource = ports.capacityPerHost.value / inputs.hosts.balancer.sources;
  const sources = Math.ceil(ports.load.value / (perSource * (1 - inputs.headroom) * next.hosts.value));
  return `Ports bind the balancer tier: with ${num(sources)} upstream source addresses per balancer host (ceil(${num(ports.load.value)} ports / (${num(portRangeSize(inputs.hosts.balancer.portRange))} ports × ${num(perSource / portRangeSize(inputs.hosts.balancer.portRange))} endpoints × ${usable(inputs.headroom)} × ${num(next.hosts.value)} hosts))), or as many listening ports per backend, ${num(next.hosts.value)} balancer host${next.hosts.value === 1 ? '' : 's'} would do (then bound by ${next.name}).`;
}
