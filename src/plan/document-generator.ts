/** The generator tier's part of the plan document (document.ts): its section, its Hosts row and its costs. */
import { bytes, num } from './format.js';
import type { Cost, GeneratorPlan, Plan } from './types.js';
import type { Block, DocSection, DocTable, Tone } from './document-types.js';

const p = (text: string): Block => ({ kind: 'p', text });
const h = (text: string): Block => ({ kind: 'h', text });
const table = (t: DocTable): Block => ({ kind: 'table', table: t });

/** The Hosts table's row: the hosts with the addresses given, and the fewer hosts more addresses allow. */
export function generatorRow(g: GeneratorPlan): string[] {
  const bound = g.withSources === undefined ? g.binding : `${g.binding}; ${num(g.withSources.hosts)} with ${num(g.withSources.sources)} source addresses each`;
  return ['generator (load test)', num(g.hosts), bound, num(g.connectionsPerHost.value)];
}

function podsBlocks(g: GeneratorPlan): Block[] {
  const pods = g.pods;
  const same = pods.pods.value === g.hosts;
  const out: Block[] = [
    h('Kubernetes pods'),
    p(`${num(pods.pods.value)} pods${same ? ', as many as hosts' : ` where hosts need ${num(g.hosts)}`}: ${pods.pods.formula}. Each pod: ${num(pods.connectionsPerPod)} connections, ${num(pods.workersPerPod)} worker${pods.workersPerPod === 1 ? '' : 's'}.`),
    table({ head: ['request', 'value', 'because'], rows: [pods.cpuRequest, pods.memoryRequest].map((s) => [s.name, s.value, s.formula + (s.note === undefined ? '' : ` — ${s.note}`)]), right: [1], keep: 2 }),
  ];
  if (!same) out.push(p('Pods and hosts differ: a pod has an address and a port range of its own (one source address each) and is sized by its cpu/memory requests; a host is sized by its shape and the source addresses given.'));
  out.push(p('A pod\'s address is its source address only when the target sees it: a target outside the cluster usually sees the node\'s (SNAT), and then the node\'s port range is shared by its pods — count those as hosts. net.ipv4.ip_local_port_range is a pod-level sysctl (securityContext.sysctls).'));
  return out;
}

export function generatorSection(plan: Plan): DocSection {
  const g = plan.generator;
  const fixed = plan.inputs.generator.count;
  const head = fixed === undefined
    ? `${num(g.hosts)} host${g.hosts === 1 ? '' : 's'}, bound by ${g.binding}. Connections per host: ${g.connectionsPerHost.formula}. Workers per host: ${g.workersPerHost.formula}.`
    : `${num(fixed)} host${fixed === 1 ? '' : 's'} given (count=${num(fixed)}). Connections per host: ${g.connectionsPerHost.formula}. Workers per host: ${g.workersPerHost.formula}.`;
  const blocks: Block[] = [p(head)];
  if (g.withSources !== undefined) {
    blocks.push(p(`Ports are a setting before they are hardware: with ${num(g.withSources.sources)} source addresses per host, ${num(g.withSources.hosts)} host${g.withSources.hosts === 1 ? '' : 's'} would do (${g.withSources.formula}).`));
  }
  blocks.push(p(g.redundancy.reason));
  const tones = g.constraints.map((c): Tone => (c.name === g.binding ? 'key' : undefined));
  blocks.push(table({ head: ['constraint', 'load (whole tier)', 'capacity per host', 'hosts'], rows: g.constraints.map((c) => [c.name, c.load.formula, c.capacityPerHost.formula, c.hosts.formula]), tones, keep: 1 }));
  blocks.push(...podsBlocks(g));
  blocks.push(h('Shards'), { kind: 'list', items: g.shards });
  blocks.push(h('Settings'), table({ head: ['setting', 'value', 'because'], rows: g.settings.map((s) => [s.name, s.value, s.formula + (s.note === undefined ? '' : ` — ${s.note}`)]), right: [1], keep: 2 }));
  const notes = g.notes.filter((n) => !g.costs.notes.includes(n));
  if (notes.length > 0) blocks.push({ kind: 'list', items: notes });
  return { title: 'Generator tier (the load test\'s clients)', blocks };
}

function costText(c: Cost, fmt: (n: number) => string): string {
  return c.spread > 0 ? `${fmt(c.value)} ± ${fmt(c.spread)} (n=${c.samples})` : `${fmt(c.value)} (n=${c.samples})`;
}

/** The generator's costs, for the Costs section. */
export function generatorCostBlocks(plan: Plan): Block[] {
  const c = plan.generator.costs;
  const cores = (n: number): string => `${num(n)} cores`;
  const rows: Array<[string, Cost, (n: number) => string]> = [
    ['memory per held connection (whole tree)', c.memoryPerConnection, bytes],
    ['fds per connection', c.fdsPerConnection, num],
    ['CPU per 100 new connections/s', c.cpuPer100NewConnections, cores],
    ['CPU per 1,000 messages/s', c.cpuPer1000Messages, cores],
    ['coordinator before the run', c.coordinatorIdleBytes, bytes],
    ['one worker before its first connection', c.workerIdleBytes, bytes],
  ];
  return [h(`Generator (${c.origin})`), p(c.label), table({ head: ['cost', 'generator'], rows: rows.map(([name, cost, fmt]) => [name, costText(cost, fmt)]) })];
}
