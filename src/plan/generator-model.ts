/**
 * The generator tier: the hosts (or Kubernetes pods) that drive the plan's connections in a load test, from what the
 * generator spends per connection (generator-costs.ts). Per host:
 * - memory: connections × the whole tree's bytes per held connection, within RAM less the coordinator and workers
 *   before their first connection — estimated, so the headroom applies;
 * - fds, when the workers per host are given: each worker holds (80% of its fd limit − 200) clients, the rule
 *   `wsherd run` enforces itself (src/load/worker-count.ts); without a worker count, more workers absorb the fds
 *   and each costs its base memory, charged per connection it can hold;
 * - ports: one per connection per (source address, target address:port): S × R × T per host — counted, not
 *   estimated, so no headroom (200,000 connections to one address:port with 28,232 ports need 8 hosts);
 * - CPU: the opening rate and the messages, within the cores — estimated, headroom applies.
 * Ports are a setting before they are hardware: when they set the count, the plan also gives the source addresses
 * per host that let the other constraints set it. A generator host is not production: it gets no spare.
 */
import { MSGS_PER_WORKER, OPENS_PER_WORKER, clientsPerWorker } from '../load/worker-count.js';
import { bytes, num } from './format.js';
import { portRangeSize } from './inputs.js';
import { constraint, fig, messageRate } from './model.js';
import type { Constraint, Figure, GeneratorCosts, PlanInputs } from './types.js';

/** Without open_rate, the ramp opens every connection within this many seconds. */
export const RAMP_SECONDS = 60;

/** Connections opened per second at the steepest: the ramp, or the churn when it is steeper. */
export function openRate(inputs: PlanInputs): Figure {
  const given = inputs.generator.openRate;
  if (given !== undefined) return fig(given, 'new/s', `open_rate ${num(given)}/s (given)`);
  const ramp = Math.ceil(inputs.connections / RAMP_SECONDS);
  const v = Math.max(inputs.churn, ramp);
  return fig(v, 'new/s', `max(churn ${num(inputs.churn)}/s, a ramp to ${num(inputs.connections)} in ${RAMP_SECONDS} s ${num(ramp)}/s) = ${num(v)}/s`);
}

/** Clients one worker may hold: the fds `wsherd run` allows a worker, over the fds one client holds. */
export function clientsPerWorkerOf(fds: number, costs: GeneratorCosts): number {
  return Math.max(1, Math.floor(clientsPerWorker(fds) / Math.max(1, costs.fdsPerConnection.value)));
}

/** A count, not an estimate: ceil(load / capacity) with no headroom. */
function counted(name: 'fds' | 'ports', load: Figure, cap: Figure, why: string): Constraint {
  const value = Math.max(1, Math.ceil(load.value / cap.value));
  return { name, load, capacityPerHost: cap, hosts: fig(value, 'hosts', `ceil(${num(load.value)} ${load.unit} / ${num(cap.value)} ${cap.unit}) = ${num(value)} (${why})`) };
}

/** CPU a host (or the tier) spends at `open` new connections/s and `msgs` messages/s. */
export function cpuLoad(open: number, msgs: number, costs: GeneratorCosts): { value: number; formula: string } {
  const parts = [`${num(open)} new/s / 100 × ${num(costs.cpuPer100NewConnections.value)} cores`];
  let value = (open / 100) * costs.cpuPer100NewConnections.value;
  if (msgs > 0) {
    value += (msgs / 1000) * costs.cpuPer1000Messages.value;
    parts.push(`${num(msgs)} messages/s / 1,000 × ${num(costs.cpuPer1000Messages.value)} cores`);
  }
  return { value, formula: `${parts.join(' + ')} = ${num(value)} cores` };
}

export function generatorConstraints(inputs: PlanInputs, costs: GeneratorCosts): Constraint[] {
  const g = inputs.generator;
  const n = inputs.connections;
  const mem = costs.memoryPerConnection.value;
  const coord = costs.coordinatorIdleBytes.value;
  const worker = costs.workerIdleBytes.value;
  const cpw = clientsPerWorkerOf(g.fds, costs);
  const out: Constraint[] = [];
  if (g.workers === undefined) {
    const per = mem + worker / cpw;
    out.push(constraint('memory',
      fig(n * per, 'bytes', `${num(n)} connections × (${bytes(mem)} + a worker's ${bytes(worker)} / ${num(cpw)} clients it holds) = ${bytes(n * per)}`),
      fig(g.ramBytes - coord - worker, 'bytes', `${bytes(g.ramBytes)} RAM − ${bytes(coord)} coordinator − ${bytes(worker)} one worker, before the first connection = ${bytes(g.ramBytes - coord - worker)}`),
      inputs.headroom));
  } else {
    const base = coord + g.workers * worker;
    out.push(constraint('memory',
      fig(n * mem, 'bytes', `${num(n)} connections × ${bytes(mem)} = ${bytes(n * mem)}`),
      fig(g.ramBytes - base, 'bytes', `${bytes(g.ramBytes)} RAM − ${bytes(coord)} coordinator − ${num(g.workers)} workers × ${bytes(worker)}, before the first connection = ${bytes(g.ramBytes - base)}`),
      inputs.headroom));
    const fdsPer = costs.fdsPerConnection.value;
    const allowed = clientsPerWorker(g.fds);
    out.push(counted('fds',
      fig(n * fdsPer, 'fds', `${num(n)} connections × ${num(fdsPer)} fds = ${num(n * fdsPer)} fds`),
      fig(g.workers * allowed, 'fds', `${num(g.workers)} workers × (80% of ${num(g.fds)} − 200) = ${num(g.workers * allowed)} fds`),
      '`wsherd run` keeps 20% of each worker\'s limit free itself'));
  }
  const r = portRangeSize(g.portRange);
  out.push(counted('ports',
    fig(n, 'ports', `${num(n)} connections, one port each`),
    fig(g.sources * r * g.targets, 'ports', `${num(g.sources)} source address${g.sources === 1 ? '' : 'es'} × ${num(r)} ports × ${num(g.targets)} target address:port${g.targets === 1 ? '' : 's'} = ${num(g.sources * r * g.targets)} ports`),
    'one port per connection per (source, target): counted, no headroom'));
  const cpu = cpuLoad(openRate(inputs).value, messageRate(inputs), costs);
  out.push(constraint('cpu', fig(cpu.value, 'cores', cpu.formula), fig(g.cores, 'cores', `${num(g.cores)} cores`), inputs.headroom));
  return out;
}

/** Workers for `per` connections on one host or pod: `wsherd run`'s own rule (enough for the fds; one per core of need). */
export function workersFor(per: number, hostsOrPods: number, inputs: PlanInputs, costs: GeneratorCosts): Figure {
  const g = inputs.generator;
  if (g.workers !== undefined) return fig(g.workers, 'workers', `workers=${num(g.workers)} (given)`);
  const cpw = clientsPerWorkerOf(g.fds, costs);
  const forFds = Math.ceil(per / cpw);
  const opens = openRate(inputs).value / hostsOrPods;
  const msgs = messageRate(inputs) / hostsOrPods;
  const forCpu = Math.max(Math.ceil(opens / OPENS_PER_WORKER), Math.ceil(msgs / MSGS_PER_WORKER));
  const value = Math.max(1, forFds, Math.min(Math.max(1, Math.floor(g.cores)), forCpu));
  const cpuParts = [`ceil(${num(opens)} new/s / ${num(OPENS_PER_WORKER)})`, ...(msgs > 0 ? [`ceil(${num(msgs)} msg/s / ${num(MSGS_PER_WORKER)})`] : [])];
  return fig(value, 'workers', `max(ceil(${num(per)} clients / ${num(cpw)} a worker), min(${num(Math.max(1, Math.floor(g.cores)))} cores, ${cpuParts.join(', ')})) = ${num(value)}`);
}

