/**
 * The what-if table: the same plan at ×2 and ×10 growth (connections and churn; messages per connection as
 * planned), and the planned hosts minus one per tier — do the survivors hold the full load with the headroom
 * spent, and which limit do they come closest to?
 */
import { num, pct } from './format.js';
import { sizeTiers } from './model.js';
import type { Constraint, Costs, PlanInputs, TierName, TierPlan, WhatIfRow } from './types.js';

const GROWTH = [2, 10] as const;

function hostsOf(tiers: readonly TierPlan[]): Partial<Record<TierName, number>> {
  return Object.fromEntries(tiers.map((t) => [t.tier, t.hosts]));
}

function bindings(tiers: readonly TierPlan[]): string {
  return tiers.map((t) => `${t.tier}: ${t.binding}`).join(', ');
}

function growthRow(factor: number, inputs: PlanInputs, costs: Costs, planned: readonly TierPlan[]): WhatIfRow {
  const grown: PlanInputs = { ...inputs, connections: inputs.connections * factor, churn: inputs.churn * factor };
  const tiers = sizeTiers(grown, costs, { fixedCounts: false });
  const more = tiers.map((t) => {
    const had = planned.find((p) => p.tier === t.tier)?.hosts ?? 0;
    return t.hosts > had ? `+${num(t.hosts - had)} ${t.tier}` : undefined;
  }).filter((s) => s !== undefined);
  const note = `${num(grown.connections)} connections, ${num(grown.churn)} new/s: ${more.length === 0 ? 'the planned hosts still hold it' : `hosts to add: ${more.join(', ')}`}`;
  return { case: `×${factor} growth`, hosts: hostsOf(tiers), binding: bindings(tiers), note };
}

/** Load over the survivors' full capacity (no headroom): above 1, they do not hold. */
function use(c: Constraint, survivors: number, capacity = c.capacityPerHost.value): number {
  return c.load.value / (survivors * capacity);
}

function lostRow(lost: TierPlan, inputs: PlanInputs, tiers: readonly TierPlan[]): WhatIfRow {
  const hosts = { ...hostsOf(tiers), [lost.tier]: lost.hosts - 1 };
  const name = `one ${lost.tier} host lost`;
  if (lost.hosts === 1) {
    const what = lost.tier === 'orchestrator' ? 'new connections cannot look up a backend (open ones stay up)' : `all ${num(inputs.connections)} connections drop and have nowhere to reconnect`;
    return { case: name, hosts, binding: '–', holds: false, note: `the only ${lost.tier} host: ${what}. Run at least 2.` };
  }
  const survivors = lost.hosts - 1;
  const uses: Array<{ tier: TierName; name: string; use: number }> = lost.constraints.map((c) => ({ tier: lost.tier, name: c.name, use: use(c, survivors) }));
  // Losing a backend also takes its listening ports away from every balancer's port budget.
  const balancer = tiers.find((t) => t.tier === 'balancer');
  const ports = balancer?.constraints.find((c) => c.name === 'ports');
  if (lost.tier === 'backend' && balancer !== undefined && ports !== undefined) {
    uses.push({ tier: 'balancer', name: 'ports', use: use(ports, balancer.hosts, (ports.capacityPerHost.value * survivors) / lost.hosts) });
  }
  const worst = uses.reduce((a, b) => (b.use > a.use ? b : a));
  const holds = worst.use <= 1;
  const moved = lost.tier === 'orchestrator' ? '' : `its ${num(lost.connectionsPerHost.value)} connections reconnect onto ${num(survivors)} host${survivors === 1 ? '' : 's'} (a reconnect storm on top of ${num(inputs.churn)} new/s); `;
  const where = worst.tier === lost.tier ? worst.name : `${worst.tier} ${worst.name}`;
  const verdict = holds ? `the survivors hold it at ${pct(worst.use)} of ${where} capacity${worst.use > 1 - inputs.headroom ? ', headroom spent' : ''}` : `the survivors run out of ${where} (${pct(worst.use)} of capacity)`;
  return { case: name, hosts, binding: `${where} ${pct(worst.use)}`, holds, note: moved + verdict };
}

export function whatIf(inputs: PlanInputs, costs: Costs, tiers: readonly TierPlan[]): WhatIfRow[] {
  const planned: WhatIfRow = { case: 'as planned', hosts: hostsOf(tiers), binding: bindings(tiers), note: `${num(inputs.connections)} connections, ${num(inputs.churn)} new/s` };
  return [planned, ...GROWTH.map((g) => growthRow(g, inputs, costs, tiers)), ...tiers.map((t) => lostRow(t, inputs, tiers))];
}
