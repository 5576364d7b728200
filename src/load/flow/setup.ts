/**
 * Builds a worker's FlowContext from its plan, once: flows compiled, roles assigned (every slot walked, the own
 * slots' kept: 2 bytes each), the data file read (a slot's row made on demand), script modules imported (lazily, once per module, shared by every client).
 */
import { pathToFileURL } from 'node:url';
import type { Behavior } from '../../scenario/types.js';
import type { RoleSpec } from '../../scenario/flow-types.js';
import { compileFlow } from './compile.js';
import type { FlowContext, FlowProgram } from './context.js';
import { assignRoles } from './roles.js';
import { rowReader, type Row } from './data-rows.js';
import type { FlowScript } from './script-api.js';

/** Whether the behavior runs flows (then the echo sender is off). */
export function hasFlow(b: Behavior): boolean {
  return b.flow !== undefined || b.roles !== undefined || b.script !== undefined;
}

export interface FlowSetup {
  startAt: number;
  clients: number;
  /** The worker's share: it owns the slots s with s % workerCount === workerId. */
  workerId: number;
  workerCount: number;
  groupOf?: (slot: number) => string | undefined;
  /** Each own slot's row and role index, when clientValues has made them already. */
  rowOf?: (slot: number) => Row | undefined;
  roleIndexOf?: (slot: number) => number;
  /** behavior.send_during_ramp (ClientContext.sendsFrom). */
  sendsFrom?: (nowPerf: number) => number;
}

/**
 * Each own slot's role index: the assignment walks every slot (the seeded shuffle must be the same in every
 * worker), then keeps the worker's own slots only, at (s − workerId) / workerCount.
 */
export function ownRoleIndex(clients: number, shares: readonly number[], workerId: number, workerCount: number): (slot: number) => number {
  const all = assignRoles(clients, shares);
  const own = new Uint16Array(workerId >= clients ? 0 : Math.floor((clients - 1 - workerId) / workerCount) + 1);
  for (let k = 0; k < own.length; k++) own[k] = all[workerId + k * workerCount] as number;
  return (slot) => own[(slot - workerId) / workerCount] ?? 0;
}

/** Each own slot's data row and role: what templates fill in, flow or not. */
export function clientValues(b: Behavior, share: { clients: number; workerId: number; workerCount: number }): { rowOf?: (slot: number) => Row | undefined; roleIndexOf?: (slot: number) => number; roleOf?: (slot: number) => string | undefined } {
  const rowOf = b.data === undefined ? undefined : rowReader(b.data);
  const roles = b.roles;
  const roleIndexOf = roles === undefined ? undefined : ownRoleIndex(share.clients, roles.map((r) => r.share), share.workerId, share.workerCount);
  return {
    ...(rowOf === undefined ? {} : { rowOf }),
    ...(roles === undefined || roleIndexOf === undefined ? {} : { roleIndexOf, roleOf: (slot: number) => roles[roleIndexOf(slot)]?.name }),
  };
}

export function buildFlowContext(b: Behavior, setup: FlowSetup): FlowContext | undefined {
  if (!hasFlow(b)) return undefined;
  const scripts = new Map<string, Promise<FlowScript>>();
  const program = (flow: RoleSpec['flow'], script: RoleSpec['script']): FlowProgram => {
    if (script !== undefined) {
      const module = script.module;
      return { kind: 'script', module, load: () => loadScript(scripts, module) };
    }
    return { kind: 'steps', steps: compileFlow(flow ?? []) };
  };
  const roles = b.roles;
  const programs = roles === undefined ? [program(b.flow, b.script)] : roles.map((r) => program(r.flow, r.script));
  const roleIndexOf = roles === undefined ? undefined : (setup.roleIndexOf ?? ownRoleIndex(setup.clients, roles.map((r) => r.share), setup.workerId, setup.workerCount));
  const data = b.data;
  const rowOf = data === undefined ? undefined : (setup.rowOf ?? rowReader(data));
  const secretsCache = new Map<number, string[]>();
  return {
    startAt: setup.startAt,
    deliveryTimeoutMs: b.deliveryTimeoutMs ?? b.messageTimeoutMs,
    messageTimeoutMs: b.messageTimeoutMs,
    correlate: b.correlate,
    framesType: b.frames?.type,
    programOf: (slot) => programs[roleIndexOf?.(slot) ?? 0] as FlowProgram,
    roleOf: (slot) => (roles === undefined ? undefined : roles[roleIndexOf?.(slot) ?? 0]?.name),
    rowOf: (slot) => rowOf?.(slot),
    groupOf: (slot) => setup.groupOf?.(slot),
    ...(setup.sendsFrom === undefined ? {} : { sendsFrom: setup.sendsFrom }),
    secretsOf: (slot) => {
      if (data === undefined || data.secret.length === 0) return [];
      let s = secretsCache.get(slot);
      if (s === undefined) {
        const row = rowOf?.(slot);
        s = data.secret.map((c) => row?.[c] ?? '').filter((v) => v.length > 0);
        secretsCache.set(slot, s);
      }
      return s;
    },
  };
}

function loadScript(cache: Map<string, Promise<FlowScript>>, module: string): Promise<FlowScript> {
  let p = cache.get(module);
  if (p === undefined) {
    p = import(pathToFileURL(module).href).then((m: { default?: unknown }) => {
      if (typeof m.default !== 'function') throw new Error(`${module} has no default export function (export default async function (session) { … })`);
      return m.default as FlowScript;
    });
    cache.set(module, p);
  }
  return p;
}
