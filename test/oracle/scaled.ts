/**
 * Small copies of the bundled scenarios (scenarios/*.yaml) for tests: the same file, parsed and rewritten into a temp
 * dir — fewer clients, shorter phases, finite loops, and optionally `lab:` replaced by `target:` (wsherd has no flag to
 * point a lab scenario elsewhere, and needs none: a test rewrites the YAML, as a user would copy it).
 */
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import YAML from 'yaml';
import { ROOT } from '../helpers/cli.js';

export interface ScaleDown {
  clients: number;
  phases: unknown[];
  /** Replace `lab:` by `target: URL` (the oracle app). */
  target?: string;
  /** `forever: true` loops become `count: N` (none in flight when the clients close: their deliveries all land). */
  loopCount?: number;
  /** Every loop's `every`, when set. */
  every?: string;
  /** Every `think` step's duration, when set. */
  think?: string;
  /** `behavior.delivery_timeout`, when set. */
  deliveryTimeout?: string;
  /** Role shares by name, when set. */
  shares?: Record<string, number>;
  /** Text replacements applied to the file before parsing (e.g. `client % 50` → `client % 5`: fewer, fuller rooms). */
  replace?: Array<[string, string]>;
  /** Drop the thresholds (an oracle run asserts counts, not the scenario's targets). */
  noThresholds?: boolean;
  workers?: number;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

function rewriteSteps(steps: unknown, o: ScaleDown): void {
  if (!Array.isArray(steps)) return;
  for (const step of steps) {
    if (!isObj(step)) continue;
    if (o.think !== undefined && step.think !== undefined) step.think = o.think;
    const loop = step.loop;
    if (isObj(loop)) {
      if (loop.forever === true && o.loopCount !== undefined) {
        delete loop.forever;
        loop.count = o.loopCount;
      } else if (typeof loop.count === 'number' && o.loopCount !== undefined) {
        loop.count = o.loopCount;
      }
      if (o.every !== undefined && loop.every !== undefined) loop.every = o.every;
      rewriteSteps(loop.steps, o);
    }
  }
}

/** The rewritten scenario's text. */
export function scaledText(name: string, o: ScaleDown): string {
  let text = readFileSync(path.join(ROOT, 'scenarios', name), 'utf8');
  for (const [a, b] of o.replace ?? []) text = text.split(a).join(b);
  const doc = YAML.parse(text) as Obj;
  doc.clients = o.clients;
  doc.phases = o.phases;
  if (o.workers !== undefined) doc.workers = o.workers;
  if (o.target !== undefined) {
    delete doc.lab;
    doc.target = o.target;
  }
  if (o.noThresholds === true) delete doc.thresholds;
  const b = doc.behavior as Obj;
  if (o.deliveryTimeout !== undefined) b.delivery_timeout = o.deliveryTimeout;
  // The copy lives in a temp dir: a data file is the bundled one, by absolute path.
  if (isObj(b.data) && typeof b.data.file === 'string') b.data.file = path.join(ROOT, 'scenarios', b.data.file);
  rewriteSteps(b.flow, o);
  if (isObj(b.roles)) {
    for (const [role, spec] of Object.entries(b.roles)) {
      if (!isObj(spec)) continue;
      if (o.shares?.[role] !== undefined) spec.share = o.shares[role];
      rewriteSteps(spec.flow, o);
    }
  }
  return YAML.stringify(doc);
}

/** Writes the rewritten copy into `dir`; its path. */
export async function writeScaled(dir: string, name: string, o: ScaleDown): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, scaledText(name, o));
  return file;
}
