/**
 * The pre-flight budget: before any socket opens, does the scenario fit this machine? A run that would hit the
 * generator's own fd limit, or run out of local ports towards one destination, measures wsherd rather than the
 * target; so it is stopped with what to change, instead of producing failures that look like the target's.
 */
import { WsherdError } from '../errors.js';
import { clientsPerWorker } from '../load/worker-count.js';
import type { Scenario } from '../scenario/types.js';

export interface Machine {
  /** The generator's soft fd limit per process. */
  fdLimit: number;
  /** net.ipv4.ip_local_port_range. */
  portRange: [number, number];
}

export interface Budget {
  /** Peak concurrent clients. */
  clients: number;
  /** fds one client may hold at once: 1 for ws, 2 for the session engines (a poll and the WebSocket during the upgrade). */
  fdsPerClient: number;
  /** Clients one worker can hold under its fd limit. */
  perWorker: number;
  /** Local ports one source address has towards one destination address and port. */
  portsPerSource: number;
}

export function budgetOf(scenario: Scenario, machine: Machine): Budget {
  const fdsPerClient = (scenario.behavior.engine ?? 'ws') === 'ws' ? 1 : 2;
  const perWorker = Math.max(1, Math.floor(clientsPerWorker(machine.fdLimit > 0 ? machine.fdLimit : 1024) / fdsPerClient));
  const portsPerSource = machine.portRange[1] - machine.portRange[0] + 1;
  return { clients: scenario.clients, fdsPerClient, perWorker, portsPerSource };
}

/**
 * Throws WSH_ERR_INVALID_INPUT when the scenario cannot fit. Only what wsherd controls is checked: an explicit
 * `workers:` too small for the clients (the default count always fits), and local ports from one source address
 * to one destination, the generator's to its target (the lab proxy's towards each backend need no more: each
 * backend gets a share of the same clients). TIME_WAIT from churn is not counted here: a run that churns faster
 * than the range allows shows EADDRNOTAVAIL, attributed to its side.
 */
export function checkBudget(scenario: Scenario, machine: Machine): Budget {
  const b = budgetOf(scenario, machine);
  const fmt = (n: number): string => n.toLocaleString('en-US');
  if (scenario.workers !== undefined && scenario.workers * b.perWorker < b.clients) {
    const need = Math.ceil(b.clients / b.perWorker);
    throw new WsherdError(
      'WSH_ERR_INVALID_INPUT',
      `workers: ${scenario.workers} cannot hold ${fmt(b.clients)} clients: one worker holds at most ${fmt(b.perWorker)} under its fd limit of ${fmt(machine.fdLimit)} (80% of it, less 200, ${b.fdsPerClient === 2 ? 'two fds per session-engine client' : 'one fd per client'}).`,
      { hint: `Set workers: ${need} or more, or remove workers: to let wsherd choose.` },
    );
  }
  if (b.clients > b.portsPerSource) {
    throw new WsherdError(
      'WSH_ERR_INVALID_INPUT',
      `${fmt(b.clients)} concurrent clients need ${fmt(b.clients)} local ports towards one destination, but one source address has ${fmt(b.portsPerSource)} (ip_local_port_range ${machine.portRange[0]}-${machine.portRange[1]}).`,
      { hint: `Lower clients to ${fmt(b.portsPerSource)} or fewer, or widen net.ipv4.ip_local_port_range.` },
    );
  }
  return b;
}
