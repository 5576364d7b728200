/**
 * Builds a worker's FlowContext from its plan, once: flows compiled, roles assigned to every slot, the data rows
 * of the worker's own slots read, script modules imported (lazily, once per module, shared by every client).
 */
import { pathToFileURL } from 'node:url';
import type { Behavior } from '../../scenario/types.js';
import type { RoleSpec } from '../../scenario/flow-types.js';
import { compileFlow } from './compile.js';
import type { FlowContext, FlowProgram } from './context.js';
import { assignRoles } from './roles.js';
import { loadRows, type Row } from './data-rows.js';
import type { FlowScript } from './script-api.js';

/** Whether the behavior runs flows (then the echo sender is off). */
export function hasFlow(b: Behavior): boolean {
  return b.flow !== undefined || b.roles !== undefined || b.script !== undefined;
}

export interface FlowSetup {
  startAt: number;
  clients: number;
  /** The slots this worker owns. */
  slots: Iterable<number>;
  groupOf?: (slot: number) => string | undefined;
  /** The rows of the worker's own slots and each slot's role index, when clientValues has read them already. */
  rows?: Map<number, Row>;
  roleIndex?: Uint16Array;
}

/** The rows of behavior.data for the worker's own slots, and each slot's role: what templates fill in, flow or not. */
export function clientValues(b: Behavior, clients: number, slots: Iterable<number>): { rows?: Map<number, Row>; roleIndex?: Uint16Array; roleOf?: (slot: number) => string | undefined } {
  const rows = b.data === undefined ? undefined : loadRows(b.data, slots);
  const roles = b.roles;
  const roleIndex = roles === undefined ? undefined : assignRoles(clients, roles.map((r) => r.share));
  return {
    ...(rows === undefined ? {} : { rows }),
    ...(roles === undefined || roleIndex === undefined ? {} : { roleIndex, roleOf: (slot: number) => roles[roleIndex[slot] ?? 0]?.name }),
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
  const roleIndex = roles === undefined ? undefined : (setup.roleIndex ?? assignRoles(setup.clients, roles.map((r) => r.share)));
  const data = b.data;
  const rows: Map<number, Row> | undefined = data === undefined ? undefined : (setup.rows ?? loadRows(data, setup.slots));
  const secretsCache = new Map<number, string[]>();
  return {
    startAt: setup.startAt,
    deliveryTimeoutMs: b.deliveryTimeoutMs ?? b.messageTimeoutMs,
    messageTimeoutMs: b.messageTimeoutMs,
    correlate: b.correlate,
    framesType: b.frames?.type,
    programOf: (slot) => programs[roleIndex?.[slot] ?? 0] as FlowProgram,
    roleOf: (slot) => (roles === undefined ? undefined : roles[roleIndex?.[slot] ?? 0]?.name),
    rowOf: (slot) => rows?.get(slot),
    groupOf: (slot) => setup.groupOf?.(slot),
    secretsOf: (slot) => {
      if (data === undefined || data.secret.length === 0) return [];
      let s = secretsCache.get(slot);
      if (s === undefined) {
        const row = rows?.get(slot);
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
