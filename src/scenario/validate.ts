/**
 * The whole scenario, top level: which keys exist, which are required, `lab` xor `target`, thresholds. Runs
 * every check and collects every problem before anything starts; returns the resolved Scenario only when the
 * file has no problem at all.
 */
import { isMap, isScalar, isSeq, type Node } from 'yaml';
import type { BaselineSpec, Behavior, CompareEntry, FaultSpec, LabSpec, NetworkSpec, PhaseSegment, PopulationSpec, Scenario, TargetSpec, ThresholdSpec } from './types.js';
import { engineFor } from './approach.js';
import { readNetwork } from './network.js';
import { readCompare } from './compare.js';
import { readPopulation } from './population.js';
import { readFaults } from './faults.js';
import { readBaseline } from './baseline.js';
import { type Context, type Field, childPath, describe, readInteger, readSection, readString, reportMissing } from './context.js';
import { readBehavior, readLab, readTarget } from './sections.js';
import { readPhases } from './phases.js';
import { parseThreshold } from './thresholds.js';
import { checkDataRows, checkFlowThresholds } from './flow-behavior.js';

export const ROOT_KEYS = ['name', 'lab', 'target', 'clients', 'workers', 'phases', 'behavior', 'thresholds', 'out', 'compare', 'network', 'population', 'faults', 'baseline'] as const;

/** Worker processes beyond this are a typo, not a plan (each is a Node process with its own heap). */
export const MAX_WORKERS = 256;

const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

export function validateRoot(ctx: Context, root: Node | null): Scenario | undefined {
  if (root === null || (isScalar(root) && root.value === null)) {
    ctx.report(undefined, '', 'the scenario file is empty', 'start from scenarios/quickstart.yaml; see docs/scenario.md');
    return undefined;
  }
  const section = readSection(ctx, { path: '', value: root, at: root }, ROOT_KEYS);
  if (section === undefined) return undefined;
  const f = section.fields;

  const nameField = f.get('name');
  if (nameField === undefined) reportMissing(ctx, section, 'name', 'e.g. name: quickstart; it names the results folder');
  const name = nameField && readName(ctx, nameField);
  const where = readWhere(ctx, f.get('lab'), f.get('target'), section.node, usesSessionEngine(f.get('behavior')));

  const clientsField = f.get('clients');
  if (clientsField === undefined) reportMissing(ctx, section, 'clients', 'the peak number of concurrent clients, e.g. clients: 1000');
  const clients = clientsField && readInteger(ctx, clientsField, { min: 1 });
  const workersField = f.get('workers');
  const workers = workersField && readInteger(ctx, workersField, { min: 1, max: MAX_WORKERS });
  const phases = readPhases(ctx, f.get('phases'), clients);
  const behavior = readBehavior(ctx, f.get('behavior'), { ...(where !== undefined && 'target' in where ? { targetUrl: where.target.url } : {}), population: f.has('population') });
  const thresholds = readThresholds(ctx, f.get('thresholds'));
  const outField = f.get('out');
  const out = outField && readString(ctx, outField);
  const compareField = f.get('compare');
  const networkField = f.get('network');
  const network = networkField === undefined ? undefined : readNetwork(ctx, networkField, f.has('target'));
  const faultsField = f.get('faults');
  const plannedMs = phases?.reduce((n, p) => n + p.durationMs, 0);
  const faults = faultsField === undefined ? undefined : readFaults(ctx, faultsField, where !== undefined && 'lab' in where ? where.lab : undefined, f.has('target'), plannedMs);
  const populationField = f.get('population');
  const population = populationField === undefined ? undefined : readPopulation(ctx, populationField, !f.has('target'));
  const compare = compareField === undefined ? undefined : readCompare(ctx, compareField, where !== undefined && 'lab' in where ? where.lab : undefined, f.has('target'));
  const baselineField = f.get('baseline');
  const baseline = baselineField === undefined ? undefined : readBaseline(ctx, baselineField);

  if (ctx.problems.length > 0 || name === undefined || where === undefined || clients === undefined) return undefined;
  if (phases === undefined || behavior === undefined || thresholds === undefined) return undefined;
  if (!checkDataRows(ctx, behavior, clients) || !checkFlowThresholds(ctx, behavior, thresholds)) return undefined;
  if (!checkEngine(ctx, f.get('behavior'), behavior, 'lab' in where ? where.lab : undefined, compare)) return undefined;
  return assemble({ name, ...where, clients, workers, phases, behavior, thresholds, out, compare, network, population, faults, baseline });
}

interface Parts {
  name: string;
  lab?: LabSpec;
  target?: TargetSpec;
  clients: number;
  workers: number | undefined;
  phases: PhaseSegment[];
  behavior: Scenario['behavior'];
  thresholds: ThresholdSpec[];
  out: string | undefined;
  compare: CompareEntry[] | undefined;
  network: NetworkSpec | undefined;
  population: PopulationSpec | undefined;
  faults: FaultSpec[] | undefined;
  baseline: BaselineSpec | undefined;
}

/** Builds the Scenario without `undefined`-valued optional keys, so it serializes and compares cleanly. */
function assemble(p: Parts): Scenario {
  const scenario: Scenario = { name: p.name, clients: p.clients, phases: p.phases, behavior: p.behavior, thresholds: p.thresholds };
  if (p.lab) scenario.lab = p.lab;
  if (p.target) scenario.target = p.target;
  if (p.workers !== undefined) scenario.workers = p.workers;
  if (p.out !== undefined) scenario.out = p.out;
  if (p.compare !== undefined) scenario.compare = p.compare;
  if (p.network !== undefined) scenario.network = p.network;
  if (p.population !== undefined) scenario.population = p.population;
  if (p.faults !== undefined) scenario.faults = p.faults;
  if (p.baseline !== undefined) scenario.baseline = p.baseline;
  return scenario;
}

function readName(ctx: Context, field: Field): string | undefined {
  const name = readString(ctx, field);
  if (name === undefined || NAME_PATTERN.test(name)) return name;
  ctx.report(field.at, field.path, `name must use letters, digits, ".", "_" and "-" only, got ${JSON.stringify(name)}`, 'the name becomes part of the results folder name');
  return undefined;
}

/** Exactly one of `lab` and `target`; both sections are still checked when both are given. */
/** True when behavior.engine names a session engine, whose targets may be http(s):// URLs (checked fully later). */
/**
 * The engine follows from the lab's approach (dns → dns, orchestrator → orchestrated); a scenario that names another
 * engine with such an approach, or dns/orchestrated with the proxy approach, is contradicting itself. Against a target
 * `dns` needs behavior.dns.server (whose name to ask) and `orchestrated` an http(s) URL of the orchestrator.
 */
function checkEngine(ctx: Context, field: Field | undefined, behavior: Behavior, lab: LabSpec | undefined, compare: CompareEntry[] | undefined): boolean {
  const engine = behavior.engine ?? 'ws';
  const engineField = isMap(field?.value) ? field.value.items.find((p) => isScalar(p.key) && p.key.value === 'engine') : undefined;
  const at = (engineField?.value ?? field?.value ?? undefined) as Node | undefined;
  const approaches = lab === undefined ? [] : [lab.approach ?? 'proxy', ...(compare ?? []).map((e) => e.approach ?? 'proxy')];
  if (lab !== undefined) {
    const derived = approaches.some((a) => a !== 'proxy');
    if ((engine === 'dns' || engine === 'orchestrated') && approaches.every((a) => engineFor(a, 'ws') !== engine)) {
      ctx.report(at, 'behavior.engine', `behavior.engine: ${engine} follows from lab.approach, which is ${lab.approach ?? 'proxy'}`, `set lab.approach: ${engine === 'dns' ? 'dns' : 'orchestrator'} and leave behavior.engine out`);
      return false;
    }
    if (derived && (engine === 'socketio' || engine === 'engineio')) {
      ctx.report(at, 'behavior.engine', `behavior.engine: ${engine} cannot be used with the ${approaches.find((a) => a !== 'proxy')} approach (its clients are plain WebSockets)`, 'use the proxy approach for socket.io sessions');
      return false;
    }
  } else if (engine === 'dns' && behavior.dns?.server === undefined) {
    ctx.report(at, 'behavior.dns.server', 'behavior.engine: dns against a target needs behavior.dns.server', 'name the DNS server to ask, e.g. dns: {server: 127.0.0.53:53}');
    return false;
  }
  if (behavior.dns !== undefined && engine !== 'dns' && !approaches.some((a) => engineFor(a, 'ws') === 'dns')) {
    ctx.report(at, 'behavior.dns', 'behavior.dns applies to dns clients', 'use lab.approach: dns (or dns-proxies), or behavior.engine: dns against a target; or remove behavior.dns');
    return false;
  }
  return true;
}

function usesSessionEngine(behavior: Field | undefined): boolean {
  if (!isMap(behavior?.value)) return false;
  const engine = behavior.value.items.find((p) => isScalar(p.key) && p.key.value === 'engine')?.value;
  return isScalar(engine) && (engine.value === 'socketio' || engine.value === 'engineio' || engine.value === 'orchestrated');
}

function readWhere(ctx: Context, labField: Field | undefined, targetField: Field | undefined, root: Node, httpAllowed: boolean): { lab: LabSpec } | { target: TargetSpec } | undefined {
  if (labField === undefined && targetField === undefined) {
    ctx.report(root, '', 'either "lab" or "target" is required', '"lab" starts backends and a balancer on this machine; "target" points at a WebSocket server you run');
    return undefined;
  }
  const lab = labField && readLab(ctx, labField);
  const target = targetField && readTarget(ctx, targetField, httpAllowed);
  if (labField !== undefined && targetField !== undefined) {
    ctx.report(targetField.key ?? targetField.at, 'target', '"lab" and "target" are both given; use exactly one', 'remove "lab" to test your own server, or remove "target" to test the built-in lab');
    return undefined;
  }
  if (lab !== undefined) return { lab };
  if (target !== undefined) return { target };
  return undefined;
}

function readThresholds(ctx: Context, field: Field | undefined): ThresholdSpec[] | undefined {
  if (field === undefined || field.value === null || (isScalar(field.value) && field.value.value === null)) return [];
  if (!isSeq(field.value)) {
    ctx.report(field.at, field.path, `thresholds must be a list, got ${describe(field.value)}`, 'write one "- p99(connect) < 50ms" style item per threshold');
    return undefined;
  }
  const specs: ThresholdSpec[] = [];
  let ok = true;
  field.value.items.forEach((item, i) => {
    const node = ctx.deref(item);
    const path = childPath('thresholds', i);
    const at = node ?? field.value ?? undefined;
    if (!isScalar(node) || typeof node.value !== 'string') {
      ctx.report(at, path, `${path} must be a string such as "p99(connect) < 50ms", got ${describe(node)}`, 'quote the whole expression if it contains ": "');
      ok = false;
      return;
    }
    const parsed = parseThreshold(node.value);
    if ('error' in parsed) {
      ctx.report(at, path, `${path} ${JSON.stringify(node.value)}: ${parsed.error}`, parsed.hint);
      ok = false;
      return;
    }
    specs.push({ source: node.value.trim(), metric: parsed.metric, op: parsed.op, value: parsed.value, location: ctx.location(node) });
  });
  return ok ? specs : undefined;
}
