/**
 * The generator tier on Kubernetes and as shards. A pod is one shard (`wsherd run --shards N` in an Indexed Job) with
 * its own address and its own net.ipv4.ip_local_port_range, so pods are counted with one source address each, and
 * sized by their requests rather than by a host's shape — but never bigger than one host (the node), so the hosts'
 * memory, fds and CPU counts bound them from below too. Also the settings each generator host needs.
 */
import { clientsPerWorker } from '../load/worker-count.js';
import { bytes, num, usable } from './format.js';
import { portRangeSize } from './inputs.js';
import { fig, messageRate } from './model.js';
import { cpuLoad, openRate, workersFor } from './generator-model.js';
import type { Constraint, GeneratorCosts, GeneratorPlan, GeneratorPods, PlanInputs, Setting } from './types.js';

const MI = 2 ** 20;
const WIDE_RANGE: [number, number] = [1024, 65535];

export function generatorPods(inputs: PlanInputs, costs: GeneratorCosts, hostConstraints: readonly Constraint[]): GeneratorPods {
  const g = inputs.generator;
  const n = inputs.connections;
  const r = portRangeSize(g.portRange);
  const byPorts = Math.ceil(n / (r * g.targets));
  const shaped = hostConstraints.filter((c) => c.name !== 'ports');
  const value = Math.max(1, byPorts, ...shaped.map((c) => c.hosts.value));
  const parts = [`ports with one address per pod ceil(${num(n)} / (${num(r)} ports × ${num(g.targets)} target${g.targets === 1 ? '' : 's'})) = ${num(byPorts)}`, ...shaped.map((c) => `${c.name} ${num(c.hosts.value)} (a pod is no bigger than a host)`)];
  const per = Math.ceil(n / value);
  const workers = workersFor(per, value, inputs, costs).value;
  const f = 1 - inputs.headroom;
  const coord = costs.coordinatorIdleBytes.value;
  const worker = costs.workerIdleBytes.value;
  const mem = costs.memoryPerConnection.value;
  const memBytes = (coord + workers * worker + per * mem) / f;
  const mi = Math.ceil(memBytes / MI / 64) * 64;
  const cpu = cpuLoad(openRate(inputs).value / value, messageRate(inputs) / value, costs);
  const milli = Math.max(100, Math.ceil((cpu.value / f) * 10) * 100);
  return {
    pods: fig(value, 'pods', `max(${parts.join(', ')}) = ${num(value)}`),
    connectionsPerPod: per,
    workersPerPod: workers,
    memoryRequest: {
      name: 'resources.requests.memory',
      value: `${mi}Mi`,
      formula: `(${bytes(coord)} coordinator + ${num(workers)} worker${workers === 1 ? '' : 's'} × ${bytes(worker)} + ${num(per)} connections × ${bytes(mem)}) / ${usable(inputs.headroom)} = ${bytes(memBytes)}, rounded up to 64 MiB`,
      note: 'set the limit to the same: a generator pod killed for memory takes its share of the test with it',
    },
    cpuRequest: {
      name: 'resources.requests.cpu',
      value: `${milli}m`,
      formula: `(${cpu.formula}) / ${usable(inputs.headroom)}, rounded up to 100m`,
      note: `${num(workers)} worker${workers === 1 ? '' : 's'}: each uses at most one core`,
    },
  };
}

/** How to run the tier: one `wsherd run --shard i/N` per host (shards count from 0), and one pod per shard. */
export function shardCommands(hosts: number, alt: GeneratorPlan['withSources'], pods: number): string[] {
  const run = (n: number): string => (n === 1 ? 'one host: `wsherd run <scenario>` (no shards)' : `${num(n)} hosts: on host i (0 to ${num(n - 1)}) \`wsherd run <scenario> --shard i/${n}\``);
  const out = [run(hosts)];
  if (alt !== undefined) {
    const whose = alt.hosts === 1 ? 'its scenario giving' : 'each host\'s scenario giving its own';
    out.push(`or, with ${num(alt.sources)} source addresses per host, ${run(alt.hosts)}, ${whose} ${num(alt.sources)} addresses (population: {addresses: …}, e.g. through -e)`);
  }
  out.push(`Kubernetes: ${num(pods)} pods = ${num(pods)} shards: \`wsherd k8s render <scenario> --shards ${pods}\` (pod i runs \`wsherd run --shards ${pods}\`, i from JOB_COMPLETION_INDEX)`);
  return out;
}

/** What to set on each generator host: workers, the fd limit per process, the port range, the source addresses. */
export function generatorSettings(inputs: PlanInputs, costs: GeneratorCosts, per: number, hosts: number, alt: GeneratorPlan['withSources']): Setting[] {
  const g = inputs.generator;
  const w = workersFor(per, hosts, inputs, costs);
  const fdsPer = costs.fdsPerConnection.value;
  const perWorker = Math.ceil(per / w.value);
  // The inverse of clientsPerWorker(): the limit under which `wsherd run` lets a worker hold this many clients.
  let limit = Math.ceil((perWorker * fdsPer + 200) / 0.8);
  if (clientsPerWorker(limit) < perWorker * fdsPer) limit += 1; // float rounding of the division, at most one step
  const r = portRangeSize(g.portRange);
  const perPair = Math.ceil(per / (g.sources * g.targets));
  const range: Setting = perPair <= r
    ? { name: 'net.ipv4.ip_local_port_range', value: `${g.portRange[0]} ${g.portRange[1]}`, formula: `${num(per)} connections / (${num(g.sources)} source${g.sources === 1 ? '' : 's'} × ${num(g.targets)} target${g.targets === 1 ? '' : 's'}) = ${num(perPair)} ports per pair ≤ ${num(r)}: keep it` }
    : { name: 'net.ipv4.ip_local_port_range', value: `${WIDE_RANGE[0]} ${WIDE_RANGE[1]}`, formula: `${num(per)} connections / (${num(g.sources)} sources × ${num(g.targets)} targets) = ${num(perPair)} ports per pair > ${num(r)}: widen it, or add source addresses` };
  return [
    { name: 'wsherd run --workers', value: num(w.value), formula: w.formula, note: `${num(perWorker)} clients a worker; leave it out and wsherd run picks the same by the same rule` },
    { name: 'ulimit -n (each process)', value: num(limit), formula: `(${num(perWorker)} clients × ${num(fdsPer)} fds + 200) / 0.8 = ${num(limit)}; ${num(g.fds)} given${g.fds >= limit ? '' : ': raise it, or run more workers'}`, note: 'wsherd run keeps 20% of each worker\'s limit and 200 fds free (src/load/worker-count.ts)' },
    range,
    { name: 'source addresses per host', value: num(g.sources), formula: alt === undefined ? `${num(g.sources)} given: enough` : `${num(g.sources)} given; ${alt.formula}`, note: 'the scenario\'s population: {addresses: …}; each address must be on the host\'s interfaces' },
  ];
}
