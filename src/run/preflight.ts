/**
 * The pre-flight budget: before any socket opens, does the scenario fit this machine? A run that would hit the
 * generator's own fd limit, or run out of local ports towards one destination, measures wsherd rather than the
 * target; so it is stopped with what to change, instead of producing failures that look like the target's.
 */
import os from 'node:os';
import { WsherdError } from '../errors.js';
import { clientsPerWorker } from '../load/worker-count.js';
import { assignPopulation } from '../load/population.js';
import type { Scenario } from '../scenario/types.js';
import { MAX_WORKERS } from '../scenario/validate.js';
import { MAX_GROUP_ADDRESSES } from '../scenario/population.js';
import { checkWorkerCount, type WorkerMachine } from './worker-budget.js';

/** Engines whose client is a session (engine.io / socket.io): a polling request can be open beside the WebSocket. */
const SESSION_ENGINES: ReadonlySet<string> = new Set(['socketio', 'engineio']);

export interface Machine {
  /** The generator's soft fd limit per process. */
  fdLimit: number;
  /** net.ipv4.ip_local_port_range. */
  portRange: [number, number];
  /** net.ipv4.tcp_tw_reuse: 0 off, 1 on, 2 loopback only (the default). Default 2. */
  twReuse?: 0 | 1 | 2;
  /** The machine's own IPv4 addresses (os.networkInterfaces); default: read them. */
  localAddresses?: ReadonlySet<string>;
  /** Cores and memory, for the worker count; default: this machine's. */
  workers?: WorkerMachine;
}

/** How long Linux holds a socket in TIME_WAIT (TCP_TIMEWAIT_LEN, fixed at 60 s). */
export const TIME_WAIT_S = 60;

export interface Budget {
  /** Peak concurrent clients. */
  clients: number;
  /** fds one client may hold at once: 1 for ws, 2 for the session engines (a poll and the WebSocket during the upgrade). */
  fdsPerClient: number;
  /** Clients one worker can hold under its fd limit. */
  perWorker: number;
  /** Local ports one source address has towards one destination address and port. */
  portsPerSource: number;
  /** Most client slots on one source address (all of them without a population). */
  clientsPerSource: number;
  /** Ports the busiest source address may hold towards the target at once: its clients, plus TIME_WAIT from churn. */
  portsNeeded: number;
}

/** `addresses`: each slot's source address when the scenario has a population (computed once by checkBudget). */
export function budgetOf(scenario: Scenario, machine: Machine, addresses = slotAddresses(scenario)): Budget {
  // A session engine's client may hold a polling request beside its WebSocket; ws, dns and orchestrated hold one socket.
  const fdsPerClient = SESSION_ENGINES.has(scenario.behavior.engine ?? 'ws') ? 2 : 1;
  const perWorker = Math.max(1, Math.floor(clientsPerWorker(machine.fdLimit > 0 ? machine.fdLimit : 1024) / fdsPerClient));
  const portsPerSource = machine.portRange[1] - machine.portRange[0] + 1;
  const clientsPerSource = busiestSource(scenario, addresses);
  return { clients: scenario.clients, fdsPerClient, perWorker, portsPerSource, clientsPerSource, portsNeeded: clientsPerSource + timeWaitPorts(scenario, machine, clientsPerSource) };
}

function slotAddresses(scenario: Scenario): string[] | undefined {
  return scenario.population === undefined ? undefined : assignPopulation(scenario.population, scenario.clients).address;
}

function busiestSource(scenario: Scenario, addresses: readonly string[] | undefined): number {
  if (addresses === undefined) return scenario.clients;
  const perAddress = new Map<string, number>();
  for (const a of addresses) perAddress.set(a, (perAddress.get(a) ?? 0) + 1);
  return Math.max(0, ...perAddress.values());
}

/**
 * TIME_WAIT the generator itself holds: only when it sends the first FIN (close: client-fin; with a closing
 * handshake the server closes TCP first, RFC 6455 §7.1.1), and only when the kernel may not reuse those ports
 * (tcp_tw_reuse 0, or 2 towards a target off loopback). Each slot churns once per lifetime + think time.
 */
function timeWaitPorts(scenario: Scenario, machine: Machine, slots: number): number {
  const b = scenario.behavior;
  if (b.close !== 'client-fin' || b.lifetimeMs === undefined) return 0;
  const reuse = machine.twReuse ?? 2;
  const loopback = scenario.lab !== undefined || /^wss?:\/\/(127\.|\[::1\]|localhost)/.test(scenario.target?.url ?? '');
  if (reuse === 1 || (reuse === 2 && loopback)) return 0;
  const perSecond = slots / ((b.lifetimeMs + (b.thinkTimeMs ?? 0)) / 1000);
  return Math.ceil(perSecond * TIME_WAIT_S);
}

/**
 * Throws WSH_ERR_INVALID_INPUT when the scenario cannot fit. Only what wsherd controls is checked: an explicit
 * `workers:` too small for the clients (the default count always fits), population addresses this machine does not
 * have, and local ports from one source address to one destination, the generator's to its target (the lab proxy's
 * towards each backend are what a port-depletion run measures, so they are left to happen and be attributed).
 */
export function checkBudget(scenario: Scenario, machine: Machine): Budget {
  const addresses = slotAddresses(scenario);
  const b = budgetOf(scenario, machine, addresses);
  const fmt = (n: number): string => n.toLocaleString('en-US');
  const needed = Math.ceil(b.clients / b.perWorker);
  if (needed > MAX_WORKERS) {
    throw new WsherdError(
      'WSH_ERR_INVALID_INPUT',
      `${fmt(b.clients)} clients are more than one generator machine holds: at most ${MAX_WORKERS} workers × ${fmt(b.perWorker)} clients each under the fd limit of ${fmt(machine.fdLimit)} = ${fmt(MAX_WORKERS * b.perWorker)}.`,
      { hint: `Lower clients to ${fmt(MAX_WORKERS * b.perWorker)} or fewer, or run the load from several machines.` },
    );
  }
  if (scenario.workers !== undefined) checkWorkerCount(scenario.workers, b.clients, needed, machine.workers);
  if (scenario.workers !== undefined && scenario.workers * b.perWorker < b.clients) {
    const need = Math.ceil(b.clients / b.perWorker);
    throw new WsherdError(
      'WSH_ERR_INVALID_INPUT',
      `workers: ${scenario.workers} cannot hold ${fmt(b.clients)} clients: one worker holds at most ${fmt(b.perWorker)} under its fd limit of ${fmt(machine.fdLimit)} (80% of it, less 200, ${b.fdsPerClient === 2 ? 'two fds per session-engine client' : 'one fd per client'}).`,
      { hint: `Set workers: ${need} or more, or remove workers: to let wsherd choose.` },
    );
  }
  checkLocalAddresses(addresses, machine);
  if (b.portsNeeded > b.portsPerSource) {
    const tw = b.portsNeeded - b.clientsPerSource;
    const what = tw > 0 ? `${fmt(b.clientsPerSource)} concurrent clients plus about ${fmt(tw)} ports in TIME_WAIT from churn (close: client-fin, ${TIME_WAIT_S} s each)` : `${fmt(b.clientsPerSource)} concurrent clients`;
    const factor = Math.ceil(b.portsNeeded / b.portsPerSource);
    const where = scenario.population === undefined ? 'one source address' : 'the busiest source address of the population';
    // A population holds at most MAX_GROUP_ADDRESSES addresses per group: never propose more than it accepts.
    const spread = factor <= MAX_GROUP_ADDRESSES
      ? `Spread clients over more source addresses (${scenario.population === undefined ? `population: {addresses: ${factor}}` : `${factor}× as many in the busiest group`}), lower clients, or ${widenPorts(scenario, tw > 0)}.`
      : `Lower clients: even ${fmt(MAX_GROUP_ADDRESSES)} source addresses (the most one population group may have) give ${fmt(MAX_GROUP_ADDRESSES * b.portsPerSource)} ports; or run the load from several machines.`;
    throw new WsherdError(
      'WSH_ERR_INVALID_INPUT',
      `${what} need ${fmt(b.portsNeeded)} local ports from ${where} towards the target, but one source address has ${fmt(b.portsPerSource)} (ip_local_port_range ${machine.portRange[0]}-${machine.portRange[1]}).`,
      { hint: spread },
    );
  }
  return b;
}

/**
 * How to get more local ports. A private network namespace (network:) holds the lab and its clients only, so it is
 * offered for lab runs; against a target the host's own settings apply (and TIME_WAIT reuse when churn is the cause).
 */
function widenPorts(scenario: Scenario, churn: boolean): string {
  if (scenario.lab !== undefined) return 'widen the port range (network: {namespace: true, port_range: …})';
  const reuse = churn ? '; or let the kernel reuse TIME_WAIT ports (sysctl -w net.ipv4.tcp_tw_reuse=1) or close with close: server' : '';
  return `widen this host's port range (sysctl -w net.ipv4.ip_local_port_range="1024 65535")${reuse}`;
}

/** Source addresses outside 127.0.0.0/8 must be this machine's: binding anything else fails on every connect. */
function checkLocalAddresses(addresses: readonly string[] | undefined, machine: Machine): void {
  if (addresses === undefined) return;
  const local = machine.localAddresses ?? new Set(Object.values(os.networkInterfaces()).flatMap((list) => (list ?? []).map((i) => i.address)));
  const missing = new Set<string>();
  for (const a of addresses) if (!a.startsWith('127.') && !local.has(a)) missing.add(a);
  if (missing.size === 0) return;
  const list = [...missing].slice(0, 5).join(', ');
  throw new WsherdError('WSH_ERR_INVALID_INPUT', `The population uses ${missing.size} address${missing.size === 1 ? '' : 'es'} this machine does not have (${list}${missing.size > 5 ? ', …' : ''}).`, {
    hint: 'Clients can only come from addresses on a local interface; add them (ip addr add … dev …) or name addresses this machine has.',
  });
}
