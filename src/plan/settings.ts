/**
 * What to set on each host for the plan to hold: fd limits, port range, upstream source addresses, the accept
 * queue, and the HAProxy/nginx equivalents; plus the TIME_WAIT budget at the planned churn. Each value carries the
 * arithmetic behind it. Limits are sized so the planned load uses (1 − headroom) of them: the headroom stays
 * usable, not refused.
 */
import { num, usable } from './format.js';
import { DEFAULT_FD_LIMIT, TIME_WAIT_SECONDS, portRangeSize } from './inputs.js';
import type { Costs, Figure, PlanInputs, Setting, TierPlan } from './types.js';

/** Linux's somaxconn default since 5.4; older kernels had 128. */
const SOMAXCONN_DEFAULT = 4096;
/** The widest port range worth suggesting: below 1024 are privileged ports services listen on. */
const WIDE_RANGE: [number, number] = [1024, 65535];

function roundUp(n: number, step: number): number {
  return Math.ceil(n / step) * step;
}

function perHostChurn(t: TierPlan, inputs: PlanInputs): number {
  return inputs.churn / t.hosts;
}

/**
 * Connections a host must be allowed: its share with the headroom free, or — N+1 — its share once one host of the
 * tier is lost, with none; a limit sized for the first alone would refuse the survivors' reconnects.
 */
function allowed(t: TierPlan, inputs: PlanInputs): { value: number; formula: string } {
  const per = t.connectionsPerHost.value;
  const normal = per / (1 - inputs.headroom);
  if (t.hosts < 2) return { value: normal, formula: `${num(per)} connections / ${usable(inputs.headroom)}` };
  const survivor = Math.ceil(inputs.connections / (t.hosts - 1));
  return { value: Math.max(normal, survivor), formula: `max(${num(per)} connections / ${usable(inputs.headroom)}, ${num(survivor)} after losing one of ${num(t.hosts)} hosts)` };
}

function fdSettings(t: TierPlan, inputs: PlanInputs, costs: Costs): Setting[] {
  const c = costs[t.tier === 'balancer' ? 'balancer' : 'backend'];
  const a = allowed(t, inputs);
  const raw = a.value * c.fdsPerConnection.value + c.idleFds.value;
  const limit = roundUp(raw, 1024);
  const formula = `${a.formula} × ${num(c.fdsPerConnection.value)} fds + ${num(c.idleFds.value)} idle = ${num(Math.ceil(raw))}, rounded up to a multiple of 1,024`;
  const out: Setting[] = [
    { name: 'LimitNOFILE (systemd) / ulimit -n', value: num(limit), formula, note: `the ${t.tier} process's fd limit` },
  ];
  if (limit > DEFAULT_FD_LIMIT) {
    out.push({ name: 'fs.nr_open', value: num(roundUp(limit, 1024)), formula: `≥ LimitNOFILE ${num(limit)}`, note: `the kernel refuses an fd limit above fs.nr_open (default ${num(DEFAULT_FD_LIMIT)})` });
  }
  return out;
}

function somaxconn(t: TierPlan, inputs: PlanInputs): Setting {
  const burst = perHostChurn(t, inputs);
  const value = Math.max(SOMAXCONN_DEFAULT, 2 ** Math.ceil(Math.log2(Math.max(1, burst))));
  return {
    name: 'net.core.somaxconn',
    value: num(value),
    formula: `max(${num(SOMAXCONN_DEFAULT)}, one second of new connections per host ${num(inputs.churn)} / ${num(t.hosts)} = ${num(burst)}, to a power of 2)`,
    note: 'the accept queue absorbs a second of arrivals while the process is busy; raise the listener\'s backlog too (HAProxy `backlog`, nginx `listen … backlog=`)',
  };
}

function balancerSettings(t: TierPlan, inputs: PlanInputs, costs: Costs): Setting[] {
  const host = inputs.hosts.balancer;
  const per = t.connectionsPerHost.value;
  const f = 1 - inputs.headroom;
  const endpoints = backendEndpoints(t, inputs);
  const tw = inputs.closesFirst === 'balancer' ? perHostChurn(t, inputs) * TIME_WAIT_SECONDS : 0;
  const portsPerHost = per + tw;
  const pairs = host.sources * endpoints;
  const perPair = portsPerHost / pairs;
  const needRange = Math.ceil(perPair / f);
  const r = portRangeSize(host.portRange);
  const pairFormula = `(${num(per)} open${tw > 0 ? ` + ${num(perHostChurn(t, inputs))}/s × ${TIME_WAIT_SECONDS} s TIME_WAIT` : ''}) / (${num(host.sources)} sources × ${num(endpoints)} endpoints) / ${usable(inputs.headroom)} = ${num(needRange)} ports per (source, endpoint)`;
  const range = needRange <= r
    ? { name: 'net.ipv4.ip_local_port_range', value: `${host.portRange[0]} ${host.portRange[1]}`, formula: `${pairFormula} ≤ ${num(r)} in the range: keep it` }
    : { name: 'net.ipv4.ip_local_port_range', value: `${WIDE_RANGE[0]} ${WIDE_RANGE[1]}`, formula: `${pairFormula} > ${num(r)} in the range: widen it${needRange > portRangeSize(WIDE_RANGE) ? ' (still too few: add source addresses)' : ''}` };
  const minSources = Math.max(1, Math.ceil(portsPerHost / (f * r * endpoints)));
  const sources: Setting = {
    name: 'upstream source addresses per balancer host',
    value: num(Math.max(minSources, host.sources)),
    formula: `ceil(${num(portsPerHost)} ports / (${num(r)} ports × ${num(endpoints)} endpoints × ${usable(inputs.headroom)})) = ${num(minSources)} needed; ${num(host.sources)} given`,
    note: 'HAProxy `source <addr>` on each server line (or several server lines per backend, one per address); nginx `proxy_bind` over split_clients; or more listening ports per backend (listen_ports)',
  };
  const a = allowed(t, inputs);
  const maxconn = Math.ceil(a.value);
  const workers = Math.max(1, Math.floor(host.cores));
  // Both derive their fd needs from sockets per connection: the chosen balancer's measured fds per connection.
  const fdsPer = costs.balancer.fdsPerConnection.value;
  const sockets = Math.ceil((fdsPer * maxconn) / workers);
  const of = (kind: string): string => (inputs.balancerKind === kind ? '; the balancer kind planned' : '');
  return [
    range,
    sources,
    { name: 'HAProxy maxconn (global and frontend)', value: num(maxconn), formula: `${a.formula} = ${num(maxconn)}`, note: `HAProxy derives ulimit-n from it (about ${num(fdsPer)} fds per connection × maxconn + its own)${of('haproxy')}` },
    { name: 'nginx worker_connections', value: num(sockets), formula: `${num(fdsPer)} fds per connection × ${num(maxconn)} connections / ${num(workers)} workers (worker_processes ${num(workers)}) = ${num(sockets)}`, note: `nginx counts both sides of a proxied connection; set worker_rlimit_nofile to at least the same${of('nginx')}` },
  ];
}

export function backendEndpoints(t: TierPlan, inputs: PlanInputs): number {
  const ports = t.constraints.find((c) => c.name === 'ports');
  return ports === undefined ? 0 : ports.capacityPerHost.value / (inputs.hosts.balancer.sources * portRangeSize(inputs.hosts.balancer.portRange));
}

export function settingsFor(t: TierPlan, inputs: PlanInputs, costs: Costs): Setting[] {
  if (t.tier === 'orchestrator') return [somaxconn(t, inputs)];
  const out = [...fdSettings(t, inputs, costs), somaxconn(t, inputs)];
  if (t.tier === 'balancer') out.push(...balancerSettings(t, inputs, costs));
  return out;
}

/** The TIME_WAIT budget at the planned churn, on whichever side closes first. */
export function timeWaitFigures(tiers: readonly TierPlan[], inputs: PlanInputs): Figure[] {
  if (inputs.churn === 0) return [{ value: 0, unit: 'sockets', formula: 'no churn planned: nothing sits in TIME_WAIT' }];
  const balancer = tiers.find((t) => t.tier === 'balancer');
  const backend = tiers.find((t) => t.tier === 'backend') as TierPlan;
  if (balancer !== undefined && inputs.closesFirst === 'balancer') {
    const perHost = perHostChurn(balancer, inputs) * TIME_WAIT_SECONDS;
    const host = inputs.hosts.balancer;
    const pairs = host.sources * backendEndpoints(balancer, inputs);
    const r = portRangeSize(host.portRange);
    const ceiling = (pairs * r - balancer.connectionsPerHost.value) / TIME_WAIT_SECONDS;
    return [
      { value: perHost, unit: 'sockets per balancer host', formula: `${num(inputs.churn)} new/s / ${num(balancer.hosts)} hosts × ${TIME_WAIT_SECONDS} s = ${num(perHost)} sockets in TIME_WAIT, each holding an ephemeral port` },
      { value: perHost / pairs, unit: 'ports per (source, endpoint)', formula: `${num(perHost)} / (${num(host.sources)} sources × ${num(pairs / host.sources)} endpoints) = ${num(perHost / pairs)} of its ${num(r)} ports` },
      { value: ceiling, unit: 'new connections/s per balancer host', formula: `churn ceiling before ports run out: (${num(pairs)} pairs × ${num(r)} ports − ${num(balancer.connectionsPerHost.value)} open) / ${TIME_WAIT_SECONDS} s = ${num(ceiling)}/s` },
    ];
  }
  const perHost = (inputs.churn / backend.hosts) * TIME_WAIT_SECONDS;
  const who = balancer === undefined ? 'the backends (they close first, as RFC 6455 asks of servers)' : 'the backends (closes_first: backend)';
  return [{ value: perHost, unit: 'sockets per backend host', formula: `${num(inputs.churn)} new/s / ${num(backend.hosts)} hosts × ${TIME_WAIT_SECONDS} s = ${num(perHost)} sockets in TIME_WAIT on ${who}, on the listening port: they cost no ephemeral port, a few hundred bytes each` }];
}
