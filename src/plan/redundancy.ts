/**
 * N+1: a production tier runs enough hosts that losing any one still carries the whole load — the test the what-if
 * table applies ("one X host lost", what-if.ts): the survivors' use of every limit at full capacity (the headroom
 * spent) must stay at or below 100%. For each constraint that is
 *
 *   hosts − 1 ≥ load / capacity per host   →   hosts ≥ ceil(load / capacity) + 1,
 *
 * and never fewer than 2 (one host lost is all of them). A balancer tier also loses ports when a backend goes: each
 * balancer host's port budget shrinks to (b − 1) / b of its endpoints, so its hosts must carry the ports on that
 * (what-if.ts checks the same). The count is closed-form, so it shows its arithmetic like every other figure.
 */
import { bytes, num } from './format.js';
import type { Constraint, Figure, PlanInputs, Redundancy, TierName } from './types.js';

/** The fewest hosts h with load / (h × capacity) ≤ 1: the what-if's own test, float for float. */
export function hostsToCarry(load: number, capacity: number): number {
  if (load <= 0) return 0;
  let h = Math.ceil(load / capacity);
  if (load / (h * capacity) > 1) h += 1;
  return h;
}

function show(value: number, unit: string): string {
  return unit === 'bytes' ? bytes(value) : `${num(value)} ${unit}`;
}

/** What losing the only host of a tier does (the what-if's words). */
export function loneLoss(tier: TierName, inputs: PlanInputs): string {
  return tier === 'orchestrator' ? 'stops new connections\' lookups (open ones stay up)' : `drops all ${num(inputs.connections)} connections with nowhere to reconnect`;
}

interface Need {
  /** What losing a host would do if the tier ran only `forLoad`. */
  loss: string;
  hosts: number;
  formula: string;
}

/**
 * N+1 for one tier: its constraints, the hosts its load needs (`forLoad`, with the headroom) and the hosts it runs;
 * `backendHosts` only for a balancer tier (its ports after a backend is lost).
 */
export function nPlusOne(tier: TierName, constraints: readonly Constraint[], forLoad: number, hosts: number, inputs: PlanInputs, backendHosts?: number): Redundancy {
  const needs: Need[] = constraints.map((c) => {
    const carry = hostsToCarry(c.load.value, c.capacityPerHost.value);
    return { loss: `losing one of ${num(forLoad)} leaves the survivors short of ${c.name}`, hosts: carry + 1, formula: `${c.name} ceil(${show(c.load.value, c.load.unit)} / ${show(c.capacityPerHost.value, c.capacityPerHost.unit)}) + 1 = ${num(carry + 1)}` };
  });
  const ports = constraints.find((c) => c.name === 'ports');
  if (tier === 'balancer' && ports !== undefined && backendHosts !== undefined && backendHosts >= 2) {
    // The what-if's own expression for a balancer's ports once one backend (and its listen ports) is gone.
    const left = (ports.capacityPerHost.value * (backendHosts - 1)) / backendHosts;
    const h = hostsToCarry(ports.load.value, left);
    needs.push({ loss: `losing one of ${num(backendHosts)} backends takes its endpoints' ports from every balancer, and ${num(forLoad)} would run out`, hosts: h, formula: `ports with one of ${num(backendHosts)} backends lost: ceil(${num(ports.load.value)} ports / ${num(left)} ports) = ${num(h)}` });
  }
  const worst = needs.reduce<Need>((a, b) => (b.hosts > a.hosts ? b : a), { loss: 'one host lost is all of them', hosts: 2, formula: '' });
  const value = worst.hosts;
  const nPlusOneFig: Figure = { value, unit: 'hosts', formula: `max(2, ${needs.map((n) => n.formula).join(', ')}) = ${num(value)}` };
  const raised = hosts > forLoad && hosts === value;
  const met = hosts >= value;
  const name = `${tier} host${forLoad === 1 ? '' : 's'}`;
  const loss = forLoad === 1 ? `losing the only one ${loneLoss(tier, inputs)}` : worst.loss;
  let reason: string;
  if (raised) reason = `N+1: the load needs ${num(forLoad)} ${name} (${bindingOf(constraints, forLoad)}), but ${loss}: ${num(value)} carry the whole load with one lost (${nPlusOneFig.formula}).`;
  else if (met) reason = `N+1 met: losing one of ${num(hosts)} ${tier} hosts leaves ${num(hosts - 1)}, enough for the whole load (${nPlusOneFig.formula}).`;
  else reason = `N+1 not met with count=${num(hosts)}: ${hosts === 1 ? `losing the only one ${loneLoss(tier, inputs)}` : `losing one host fails the what-if (${worst.formula})`}; use count=${num(value)}.`;
  return { rule: 'N+1', forLoad, nPlusOne: nPlusOneFig, raised, met, reason };
}

function bindingOf(constraints: readonly Constraint[], forLoad: number): string {
  return constraints.find((c) => c.hosts.value === forLoad)?.name ?? 'its load';
}
