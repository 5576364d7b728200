/**
 * `behavior.roles`: named shares of the clients (publishers and subscribers, say), each with its own flow or
 * script. The shares add up to 1; which slot gets which role is the engine's (largest remainder, spread evenly).
 */
import { isMap, isScalar } from 'yaml';
import type { FlowStep, RoleSpec, ScriptSpec } from './flow-types.js';
import { type Context, type Field, childPath, describe, readNumber, readSection, reportMissing } from './context.js';

/** A role name is what results and {{ role }} show. */
export const ROLE_NAME = /^[A-Za-z0-9_.-]+$/;
/** More roles than this is a population of its own, not a handful of behaviours. */
export const MAX_ROLES = 100;
/** Shares are written as decimals: 0.1 + 0.2 must still count as 0.3. */
export const SHARE_TOLERANCE = 1e-9;

const ROLES_HINT = 'e.g. roles: {publisher: {share: 0.01, flow: [...]}, subscriber: {share: 0.99, flow: [...]}}';

export interface RoleReaders {
  flow: (field: Field) => FlowStep[] | undefined;
  script: (field: Field) => ScriptSpec | undefined;
}

export function readRoles(ctx: Context, field: Field, read: RoleReaders): RoleSpec[] | undefined {
  const node = field.value;
  if (!isMap(node) || node.items.length === 0 || node.items.length > MAX_ROLES) {
    ctx.report(field.at, field.path, `${field.path} must be a map of 1 to ${MAX_ROLES} roles, got ${isMap(node) ? `${node.items.length} roles` : describe(node)}`, ROLES_HINT);
    return undefined;
  }
  const roles: RoleSpec[] = [];
  let ok = true;
  for (const pair of node.items) {
    const keyNode = ctx.deref(pair.key);
    const name = isScalar(keyNode) ? keyNode.value : undefined;
    if (typeof name !== 'string' || !ROLE_NAME.test(name)) {
      ctx.report(keyNode ?? field.at, field.path, `${field.path} has an invalid role name ${typeof name === 'string' ? JSON.stringify(name) : describe(keyNode)}`, 'a role name is letters, digits, "_", "." and "-"');
      ok = false;
      continue;
    }
    const value = ctx.deref(pair.value);
    const role = readRole(ctx, { path: childPath(field.path, name), value, at: value ?? keyNode ?? undefined, key: keyNode ?? undefined }, name, read);
    if (role === undefined) ok = false;
    else roles.push(role);
  }
  if (!ok) return undefined;
  const sum = roles.reduce((n, r) => n + r.share, 0);
  if (Math.abs(sum - 1) > SHARE_TOLERANCE) {
    const each = roles.map((r) => `${r.name} ${r.share}`).join(' + ');
    ctx.report(field.at, field.path, `${field.path}: the shares add up to ${Number(sum.toFixed(12))} (${each}), not 1`, 'each share is the fraction of the clients in that role; make them add up to 1');
    return undefined;
  }
  return roles;
}

function readRole(ctx: Context, field: Field, name: string, read: RoleReaders): RoleSpec | undefined {
  const section = readSection(ctx, field, ['share', 'flow', 'script']);
  if (section === undefined) return undefined;
  const f = section.fields;
  const shareField = f.get('share');
  if (shareField === undefined) reportMissing(ctx, section, 'share', 'the fraction of the clients in this role, e.g. share: 0.1');
  const share = shareField && readNumber(ctx, shareField, { min: 0, max: 1, hint: 'a fraction of the clients: more than 0, at most 1' });
  if (shareField !== undefined && share === 0) {
    ctx.report(shareField.at, shareField.path, `${shareField.path} must be more than 0`, `remove the role ${name} instead`);
    return undefined;
  }
  const flowField = f.get('flow');
  const scriptField = f.get('script');
  if (flowField !== undefined && scriptField !== undefined) {
    ctx.report(scriptField.key ?? scriptField.at, scriptField.path, `${field.path} has both flow and script`, 'a role runs either steps (flow) or a module (script): keep one');
    return undefined;
  }
  if (flowField === undefined && scriptField === undefined) {
    ctx.report(field.at, field.path, `${field.path} needs a flow or a script`, 'e.g. flow: [{send: {text: hello}}], or script: ./role.mjs');
    return undefined;
  }
  const flow = flowField && read.flow(flowField);
  const script = scriptField && read.script(scriptField);
  if (share === undefined || (flowField !== undefined && flow === undefined) || (scriptField !== undefined && script === undefined)) return undefined;
  return { name, share, ...(flow === undefined ? {} : { flow }), ...(script === undefined ? {} : { script }), location: ctx.location(field.key ?? field.at) };
}
