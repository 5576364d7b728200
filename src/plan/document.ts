/**
 * The plan as a neutral document (titled sections of paragraphs, tables and lists), so that the terminal,
 * Markdown and HTML outputs say exactly the same things; render.ts and render-html.ts only lay it out.
 */
import { bytes, num, pct } from './format.js';
import type { ComponentCosts, Cost, Plan, TierPlan } from './types.js';
import type { Block, DocSection, DocTable, PlanDocument, Tone } from './document-types.js';
import { generatorCostBlocks, generatorRow, generatorSection } from './document-generator.js';

export type { Block, DocSection, DocTable, PlanDocument, Tone } from './document-types.js';

const p = (text: string): Block => ({ kind: 'p', text });
const table = (t: DocTable): Block => ({ kind: 'table', table: t });

function costText(c: Cost | undefined, fmt: (n: number) => string): string {
  if (c === undefined) return '–';
  return c.spread > 0 ? `${fmt(c.value)} ± ${fmt(c.spread)} (n=${c.samples})` : `${fmt(c.value)} (n=${c.samples})`;
}

function costsSection(plan: Plan): DocSection {
  const cores = (n: number): string => `${num(n)} cores`;
  const rows: Array<[string, (c: ComponentCosts) => Cost | undefined, (n: number) => string]> = [
    ['memory per connection', (c) => c.memoryPerConnection, bytes],
    ['fds per connection', (c) => c.fdsPerConnection, num],
    ['CPU per 1,000 messages/s', (c) => c.cpuPer1000Messages, cores],
    ['CPU per 100 new connections/s', (c) => c.cpuPer100NewConnections, cores],
    ['held idle: fds', (c) => c.idleFds, num],
    ['held idle: memory', (c) => c.idleMemoryBytes, bytes],
  ];
  const o = plan.costs.orchestratorCpuPer100Lookups;
  const balancer = plan.tiers.some((t) => t.tier === 'balancer');
  const blocks: Block[] = [
    p(plan.costs.label),
    balancer
      ? table({ head: ['cost', 'balancer', 'backend'], rows: rows.map(([name, get, fmt]) => [name, costText(get(plan.costs.balancer), fmt), costText(get(plan.costs.backend), fmt)]) })
      : table({ head: ['cost', 'backend'], rows: rows.map(([name, get, fmt]) => [name, costText(get(plan.costs.backend), fmt)]) }),
  ];
  if (plan.inputs.topology === 'orchestrator') blocks.push(p(`Orchestrator: ${costText(o, cores)} per 100 lookups/s.`));
  blocks.push(...generatorCostBlocks(plan));
  blocks.push(p('± is the standard deviation over the samples (probe points, one-second intervals); the plan uses the mean and leaves the rest to the headroom.'));
  return { title: plan.costs.origin === 'reference' ? 'Costs (reference, not your hosts)' : 'Costs (calibrated)', blocks };
}

/** The binding constraint, and the spare N+1 added on top of what it needs. */
function boundBy(t: TierPlan): string {
  const spare = t.hosts - t.redundancy.forLoad;
  return t.redundancy.raised ? `${t.binding}, +${num(spare)} for N+1` : t.binding;
}

function summarySection(plan: Plan): DocSection {
  const rows = plan.tiers.map((t) => [t.tier, num(t.hosts), boundBy(t), t.tier === 'orchestrator' ? '–' : num(t.connectionsPerHost.value)]);
  rows.push(generatorRow(plan.generator));
  return { title: 'Hosts', blocks: [table({ head: ['tier', 'hosts', 'bound by', 'connections per host'], rows, right: [1, 3] })] };
}

function tierSection(t: TierPlan, plan: Plan): DocSection {
  const fixed = plan.inputs.hosts[t.tier].count;
  const head = fixed === undefined
    ? `${num(t.hosts)} host${t.hosts === 1 ? '' : 's'}${t.redundancy.raised ? '' : `, bound by ${t.binding} (the constraint that needs most hosts)`}. ${t.tier === 'orchestrator' ? '' : `Connections per host: ${t.connectionsPerHost.formula}.`}`
    : `${num(fixed)} host${fixed === 1 ? '' : 's'} given (count=${num(fixed)}); they hold the load. ${t.connectionsPerHost.formula} connections per host.`;
  const rows = t.constraints.map((c) => [c.name, c.load.formula, c.capacityPerHost.formula, c.hosts.formula]);
  const tones = t.constraints.map((c): Tone => (c.name === t.binding ? 'key' : undefined));
  const settings = t.settings.map((s) => [s.name, s.value, s.formula + (s.note === undefined ? '' : ` — ${s.note}`)]);
  return {
    title: `${t.tier[0]?.toUpperCase()}${t.tier.slice(1)} tier`,
    blocks: [
      p(head.trim()),
      p(t.redundancy.reason),
      table({ head: ['constraint', 'load (whole tier)', 'capacity per host', `hosts = ceil(load / (capacity × (1 − headroom)))`], rows, tones, keep: 1 }),
      { kind: 'h', text: 'Settings' },
      table({ head: ['setting', 'value', 'because'], rows: settings, right: [1], keep: 2 }),
    ],
  };
}

function whatIfSection(plan: Plan): DocSection {
  const tiers = plan.tiers.map((t) => t.tier);
  const rows = plan.whatIf.map((w) => [w.case, ...tiers.map((t) => (w.hosts[t] === undefined ? '–' : num(w.hosts[t] as number))), w.holds === undefined ? '' : w.holds ? 'holds' : 'fails', w.note]);
  const tones = plan.whatIf.map((w): Tone => (w.holds === undefined ? undefined : w.holds ? 'good' : 'bad'));
  return {
    title: 'What if',
    blocks: [
      p(`Growth multiplies connections and churn; a lost host leaves its tier's load on the others, with the ${pct(plan.inputs.headroom)} headroom spent (above 100% the survivors do not hold).`),
      table({ head: ['case', ...tiers.map((t) => `${t} hosts`), '', 'what happens'], rows, right: tiers.map((_, i) => i + 1), tones, keep: tiers.length + 2 }),
    ],
  };
}

export function planDocument(plan: Plan): PlanDocument {
  const i = plan.inputs;
  const msgs = i.messagesPerSecond > 0 ? `${num(i.messagesPerSecond)} msg/s of ${bytes(i.messageBytes)} per connection` : 'idle connections';
  const closes = plan.tiers.some((t) => t.tier === 'balancer') ? `; ${i.closesFirst === 'balancer' ? 'the balancer closes first (holds TIME_WAIT)' : 'the backends close first'}` : '';
  const subtitle = `${num(i.connections)} connections, ${num(i.churn)} new/s, ${msgs}; topology ${i.topology}; headroom ${pct(i.headroom)}${closes}`;
  const notes = [...plan.costs.notes, ...plan.generator.costs.notes, ...plan.notes];
  const sections: DocSection[] = [
    summarySection(plan),
    ...plan.tiers.map((t) => tierSection(t, plan)),
    { title: 'TIME_WAIT', blocks: [{ kind: 'list', items: plan.timeWait.map((f) => f.formula) }] },
    whatIfSection(plan),
    generatorSection(plan),
    costsSection(plan),
  ];
  if (notes.length > 0) sections.push({ title: 'Notes', blocks: [{ kind: 'list', items: notes }] });
  return { title: 'wsherd plan', subtitle, sections };
}
