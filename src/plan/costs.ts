/**
 * What one connection costs, measured from lab runs' probes (results.json `probes.series`): each component's
 * fds and RSS at peak open minus at idle (the t = 0 baseline), divided by the open connections; CPU from the slope
 * of cpuSeconds against messages/s over the hold, and against new connections/s over a ramp without messages.
 * A run that cannot say (no probes, an external target, too few connections) is skipped with the reason.
 */
import { WsherdError } from '../errors.js';
import type { Results } from '../results/types.js';
import type { ProbePoint } from '../results/observed.js';
import type { Approach } from '../scenario/types.js';
import { REFERENCE_COSTS, referenceCostsFor } from './reference-costs.js';
import type { BalancerKind, ComponentCosts, Cost, Costs, Topology } from './types.js';

/** Below this many open connections, one connection's fds and bytes drown in the process's own noise (GC, buffers). */
export const MIN_CONNECTIONS = 200;
/** Probe points within this fraction of the peak count as the hold. */
const HOLD_FRACTION = 0.95;
/** Below this rate, a CPU slope is mostly timer ticks (cpuSeconds moves in 10 ms steps). */
export const MIN_MESSAGES_PER_SECOND = 500;
export const MIN_NEW_PER_SECOND = 50;

type Key = 'memoryPerConnection' | 'fdsPerConnection' | 'idleFds' | 'idleMemoryBytes' | 'cpuPer1000Messages' | 'cpuPer100NewConnections';

interface Samples {
  balancer: Partial<Record<Key, number[]>>;
  backend: Partial<Record<Key, number[]>>;
  orchestratorCpuPer100Lookups: number[];
}

/** A cost from its samples: the mean, with the standard deviation as its spread. */
export function costOf(samples: readonly number[], source: string): Cost {
  const n = samples.length;
  const mean = samples.reduce((a, b) => a + b, 0) / n;
  const variance = n > 1 ? samples.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1) : 0;
  return { value: mean, spread: Math.sqrt(variance), samples: n, source };
}

function runName(r: Results, i: number): string {
  return `run ${i + 1} (${r.scenario.name}, ${r.startedAt})`;
}

/** The topology a run's lab approach corresponds to. */
export function topologyOf(approach: Approach | undefined): Topology {
  switch (approach) {
    case 'dns': return 'dns';
    case 'orchestrator': return 'orchestrator';
    case 'dns-proxies': return 'dns-balancers';
    default: return 'balancer';
  }
}

const hasBalancer = (t: Topology): boolean => t === 'balancer' || t === 'dns-balancers';

/**
 * Open connections when a probe point was taken. A point at t lies between the ends of seconds floor(t) − 1 and
 * floor(t); `stable` says both agree within the hold band, so a point taken while connections still opened or
 * already closed (the ramps' edges, where fds lag or lead the count) is not mistaken for the hold.
 */
function openAt(r: Results, p: ProbePoint, band = 0): { open: number; stable: boolean } {
  const k = Math.floor(p.t);
  const before = k < 1 ? 0 : (r.series[Math.min(k - 1, r.series.length - 1)]?.open ?? 0);
  const after = r.series[Math.min(k, r.series.length - 1)]?.open ?? before;
  const open = p.t - k < 0.5 ? before : after;
  return { open, stable: Math.min(before, after) >= band && Math.abs(before - after) <= Math.max(1, 0.02 * Math.max(before, after)) };
}

function sumOver(p: ProbePoint, ids: readonly string[], field: 'fds' | 'rssBytes' | 'cpuSeconds'): number | undefined {
  let sum = 0;
  for (const id of ids) {
    const v = p.components[id]?.[field];
    if (v === undefined || v < 0) return undefined;
    sum += v;
  }
  return sum;
}

/** Σ over the series' seconds [from, to) of what `pick` counts. */
function countBetween(r: Results, from: number, to: number, pick: (s: Results['series'][number]) => number): number {
  let n = 0;
  for (let k = Math.max(0, from); k < Math.min(to, r.series.length); k++) n += pick(r.series[k] as Results['series'][number]);
  return n;
}

function push(s: Samples, group: 'balancer' | 'backend', key: Key, v: number): void {
  (s[group][key] ??= []).push(v);
}

/** One run's samples; returns why it was skipped, or undefined when it was used. */
function sampleRun(r: Results, s: Samples): string | undefined {
  if (r.probes === undefined || r.probes.series.length < 3) return 'it has no probes (an external target, or too short a run): only a lab run measures what the balancer and backends spend';
  const comps = r.lab?.components ?? [];
  const ids = (kind: string): string[] => comps.filter((c) => c.kind === kind).map((c) => c.id);
  // A run whose clients bypassed the balancer (dns, orchestrator) says nothing about what a balancer spends.
  const balancers = hasBalancer(topologyOf(r.scenario.lab?.approach)) ? ids('proxy') : [];
  const groups: Array<['balancer' | 'backend', string[]]> = [['balancer', balancers], ['backend', ids('backend')]];
  const base = r.probes.series[0] as ProbePoint;
  const points = r.probes.series.slice(1);
  const peak = Math.max(0, ...r.series.map((x) => x.open));
  if (peak < MIN_CONNECTIONS) return `it held only ${peak} connections at peak; at least ${MIN_CONNECTIONS} are needed for one connection's cost to stand out from the processes' own noise`;
  const hold = points.filter((p) => openAt(r, p, HOLD_FRACTION * peak).stable);
  if (hold.length === 0) return 'no probe point fell inside a steady hold (a hold of a few seconds at least lets one)';
  for (const [group, gids] of groups) {
    if (gids.length === 0) continue;
    for (const id of gids) {
      const b = base.components[id];
      if (b !== undefined && b.fds >= 0) push(s, group, 'idleFds', b.fds);
      if (b !== undefined && b.rssBytes >= 0) push(s, group, 'idleMemoryBytes', b.rssBytes);
    }
    const fds0 = sumOver(base, gids, 'fds');
    const rss0 = sumOver(base, gids, 'rssBytes');
    for (const p of hold) {
      const { open } = openAt(r, p);
      const fds = sumOver(p, gids, 'fds');
      const rss = sumOver(p, gids, 'rssBytes');
      if (fds !== undefined && fds0 !== undefined) push(s, group, 'fdsPerConnection', (fds - fds0) / open);
      if (rss !== undefined && rss0 !== undefined) push(s, group, 'memoryPerConnection', (rss - rss0) / open);
    }
    cpuSamples(r, points, hold, gids, (key, v) => push(s, group, key, v));
  }
  const orch = ids('orchestrator');
  if (orch.length > 0) {
    perInterval(points, orch, (cpu, dt, from, to) => {
      const lookups = countBetween(r, from, to, (x) => x.opened + x.failed);
      if (lookups / dt >= MIN_NEW_PER_SECOND) s.orchestratorCpuPer100Lookups.push(cpu / dt / (lookups / dt / 100));
    });
  }
  return undefined;
}

/** Calls `each` for every pair of consecutive probe points with the group's CPU used between them. */
function perInterval(points: readonly ProbePoint[], ids: readonly string[], each: (cpu: number, dt: number, from: number, to: number, a: ProbePoint, b: ProbePoint) => void): void {
  for (let i = 1; i < points.length; i++) {
    const a = points[i - 1] as ProbePoint;
    const b = points[i] as ProbePoint;
    const ca = sumOver(a, ids, 'cpuSeconds');
    const cb = sumOver(b, ids, 'cpuSeconds');
    const dt = b.t - a.t;
    if (ca === undefined || cb === undefined || dt <= 0.5) continue;
    each(cb - ca, dt, Math.round(a.t), Math.round(b.t), a, b);
  }
}

function cpuSamples(r: Results, points: readonly ProbePoint[], hold: readonly ProbePoint[], ids: readonly string[], add: (key: Key, v: number) => void): void {
  const holdSet = new Set(hold);
  const msgs = (x: Results['series'][number]): number => x.messagesSent + x.messagesReceived;
  perInterval(points, ids, (cpu, dt, from, to, a, b) => {
    const rate = countBetween(r, from, to, msgs) / dt;
    const opened = countBetween(r, from, to, (x) => x.opened) / dt;
    if (holdSet.has(a) && holdSet.has(b) && rate >= MIN_MESSAGES_PER_SECOND && opened < MIN_NEW_PER_SECOND) add('cpuPer1000Messages', cpu / dt / (rate / 1000));
    // New connections cost CPU only where no messages muddle the slope: the ramp of an idle run.
    if (rate === 0 && opened >= MIN_NEW_PER_SECOND) add('cpuPer100NewConnections', cpu / dt / (opened / 100));
  });
}

/** Which calibrated costs do not apply to the planned topology. */
function topologyNotes(runs: ReadonlyArray<{ r: Results; name: string }>, planned: Topology): string[] {
  const notes: string[] = [];
  for (const { r, name } of runs) {
    const ran = topologyOf(r.scenario.lab?.approach);
    if (hasBalancer(planned) && !hasBalancer(ran)) notes.push(`${name} ran ${ran} (no balancer in the path), but the plan is ${planned}: its costs cannot size the balancer tier.`);
    else if (!hasBalancer(planned) && hasBalancer(ran)) notes.push(`${name} ran through a balancer (${ran}), but the plan is ${planned}: only its backend costs apply.`);
    else if (ran !== planned) notes.push(`${name} ran ${ran}, the plan is ${planned}: per-connection costs carry over, what the topology adds (lookups, DNS) does not.`);
    if (r.scenario.lab?.proxy.mode === 'l7' && hasBalancer(planned) && hasBalancer(ran)) notes.push(`${name}: the balancer ran in L7 mode (parses each upgrade); an L4 balancer costs less per new connection.`);
  }
  return notes;
}

/**
 * Costs from lab runs. Costs no usable run measured fall back to the bundled reference, each said in `notes`.
 * Throws WSH_ERR_PLAN_INVALID when no run can be used at all, with every run's reason.
 */
/** `balancerKind`: whose reference fills the balancer costs the runs did not measure. */
export function calibrate(results: readonly Results[], planned: Topology = 'balancer', names: readonly string[] = [], balancerKind: BalancerKind = 'wsherd'): Costs {
  const s: Samples = { balancer: {}, backend: {}, orchestratorCpuPer100Lookups: [] };
  const notes: string[] = [];
  const runs: Array<{ r: Results; name: string }> = [];
  results.forEach((r, i) => {
    const name = names[i] ?? runName(r, i);
    const why = sampleRun(r, s);
    if (why === undefined) runs.push({ r, name });
    else notes.push(`${name} was not used: ${why}.`);
  });
  const used = runs.map((x) => x.name);
  if (used.length === 0) {
    throw new WsherdError('WSH_ERR_PLAN_INVALID', `None of the results can calibrate the plan:\n  ${notes.join('\n  ')}`, {
      hint: 'Calibrate from lab runs holding at least a few hundred connections (e.g. wsherd run scenarios/idle-8000.yaml), or leave out --results to plan from the reference costs.',
    });
  }
  notes.push(...topologyNotes(runs, planned));
  const source = used.length === 1 ? (used[0] as string) : `${used.length} runs`;
  const component = (group: 'balancer' | 'backend'): ComponentCosts => {
    const ref = group === 'balancer' ? referenceCostsFor(balancerKind).balancer : REFERENCE_COSTS.backend;
    const pick = (key: Key, what: string): Cost | undefined => {
      const xs = s[group][key];
      if (xs !== undefined && xs.length > 0) return costOf(xs, source);
      const fallback = ref[key];
      if (fallback !== undefined && (group === 'backend' || hasBalancer(planned))) notes.push(`${group} ${what}: no run measured it; using the ${group === 'balancer' && balancerKind !== 'wsherd' ? `${balancerKind} ` : ''}reference (not your hosts).`);
      return fallback;
    };
    const out: ComponentCosts = {
      memoryPerConnection: pick('memoryPerConnection', 'memory per connection') as Cost,
      fdsPerConnection: pick('fdsPerConnection', 'fds per connection') as Cost,
      idleFds: pick('idleFds', 'idle fds') as Cost,
      idleMemoryBytes: pick('idleMemoryBytes', 'idle memory') as Cost,
    };
    const cpuMsg = pick('cpuPer1000Messages', `CPU per 1,000 messages/s (needs a hold of at least ${MIN_MESSAGES_PER_SECOND} messages/s)`);
    if (cpuMsg !== undefined) out.cpuPer1000Messages = cpuMsg;
    const cpuNew = pick('cpuPer100NewConnections', `CPU per 100 new connections/s (needs a ramp of at least ${MIN_NEW_PER_SECOND}/s without messages)`);
    if (cpuNew !== undefined) out.cpuPer100NewConnections = cpuNew;
    return out;
  };
  const orch = s.orchestratorCpuPer100Lookups.length > 0 ? costOf(s.orchestratorCpuPer100Lookups, source) : REFERENCE_COSTS.orchestratorCpuPer100Lookups;
  if (s.orchestratorCpuPer100Lookups.length === 0 && planned === 'orchestrator') notes.push('orchestrator CPU per 100 lookups/s: no orchestrator run; using the reference (not your hosts).');
  return { origin: 'calibrated', label: `calibrated from ${used.join(', ')}`, balancer: component('balancer'), backend: component('backend'), orchestratorCpuPer100Lookups: orch, notes };
}

/** The bundled reference costs with `kind`'s balancer (default wsherd's proxy), labelled as such. */
export function referenceCosts(kind: BalancerKind = 'wsherd'): Costs {
  return { ...referenceCostsFor(kind), notes: [] };
}
