/**
 * A plan file (`wsherd plan plan.yaml`, scenarios/plan-example.yaml): the same inputs as the flags, validated
 * with the scenario loader's readers so that every problem comes back at once with file:line:col.
 */
import { readFile } from 'node:fs/promises';
import { LineCounter, isScalar, isSeq, parseDocument } from 'yaml';
import { WsherdError, type ScenarioProblem } from '../errors.js';
import { Context, readChoice, readInteger, readNumber, readSection, type Field } from '../scenario/context.js';
import { GENERATOR_KEYS, HOST_KEYS, PlanInputError, RULES, checkPortRange, fileProblems, hostValue, type PartialInputs } from './inputs.js';
import { BALANCER_KINDS, TOPOLOGIES, type ClosesFirst, type GeneratorShape, type HostShape, type TierName } from './types.js';

const ROOT_KEYS = ['connections', 'churn', 'messages_per_second', 'message_bytes', 'topology', 'headroom', 'closes_first', 'balancer_kind', 'hosts'] as const;
const TIERS: readonly TierName[] = ['balancer', 'backend', 'orchestrator'];

export async function loadPlanFile(file: string): Promise<PartialInputs> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'does not exist' : code === 'EISDIR' ? 'is a folder, not a file' : `cannot be read (${(err as Error).message})`;
    throw new WsherdError('WSH_ERR_PLAN_INVALID', `Plan file ${file} ${why}.`, { hint: 'check the path; an example is scenarios/plan-example.yaml', cause: err });
  }
  return parsePlanFile(text, file);
}

/** Parses and validates plan-file text; `file` names it in problems. */
export function parsePlanFile(text: string, file: string): PartialInputs {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new PlanInputError(doc.errors.map((e) => {
      const { line, col } = lines.linePos(e.pos[0]);
      return `${file}:${line}:${col} YAML syntax error: ${e.message}`;
    }));
  }
  const ctx = new Context(file, lines, doc);
  const root = doc.contents;
  if (root === null || (isScalar(root) && root.value === null)) {
    throw new PlanInputError([`${file}:1:1 the plan file is empty (start from scenarios/plan-example.yaml)`]);
  }
  const out = readRoot(ctx, { path: '', value: root, at: root });
  if (ctx.problems.length > 0) throw new PlanInputError(fileProblems(sorted(ctx.problems)));
  return out;
}

function sorted(problems: ScenarioProblem[]): ScenarioProblem[] {
  return [...problems].sort((a, b) => a.line - b.line || a.col - b.col);
}

function readRoot(ctx: Context, field: Field): PartialInputs {
  const section = readSection(ctx, field, ROOT_KEYS);
  if (section === undefined) return {};
  const f = section.fields;
  const out: PartialInputs = {};
  const get = <T>(key: string, read: (fd: Field) => T | undefined): T | undefined => {
    const fd = f.get(key);
    return fd === undefined ? undefined : read(fd);
  };
  const connections = get('connections', (fd) => readInteger(ctx, fd, { min: 1, hint: 'the peak number of concurrent connections, e.g. connections: 100000' }));
  if (f.get('connections') === undefined && !section.suggested.has('connections')) {
    ctx.report(section.node, 'connections', '"connections" is required', 'the peak number of concurrent connections, e.g. connections: 100000');
  }
  if (connections !== undefined) out.connections = connections;
  const churn = get('churn', (fd) => readNumber(ctx, fd, { min: 0, hint: 'new connections per second, 0 for none' }));
  if (churn !== undefined) out.churn = churn;
  const mps = get('messages_per_second', (fd) => readNumber(ctx, fd, { min: 0, hint: 'per connection, both directions counted; 0 for idle connections' }));
  if (mps !== undefined) out.messagesPerSecond = mps;
  const bytes = get('message_bytes', (fd) => readInteger(ctx, fd, { min: 1 }));
  if (bytes !== undefined) out.messageBytes = bytes;
  const headroom = get('headroom', (fd) => readNumber(ctx, fd, { min: 0, max: 0.9, hint: 'the fraction of each capacity kept free, e.g. headroom: 0.3' }));
  if (headroom !== undefined) out.headroom = headroom;
  const topology = get('topology', (fd) => readChoice(ctx, fd, TOPOLOGIES));
  if (topology !== undefined) out.topology = topology;
  const closes = get('closes_first', (fd) => readChoice<ClosesFirst>(ctx, fd, ['balancer', 'backend']));
  if (closes !== undefined) out.closesFirst = closes;
  const kind = get('balancer_kind', (fd) => readChoice(ctx, fd, BALANCER_KINDS));
  if (kind !== undefined) out.balancerKind = kind;
  const hostsField = f.get('hosts');
  if (hostsField !== undefined) {
    const { hosts, generator } = readHosts(ctx, hostsField);
    out.hosts = hosts;
    if (generator !== undefined) out.generator = generator;
  }
  return out;
}

function readHosts(ctx: Context, field: Field): { hosts: Partial<Record<TierName, Partial<HostShape>>>; generator?: Partial<GeneratorShape> } {
  const section = readSection(ctx, field, [...TIERS, 'generator']);
  const hosts: Partial<Record<TierName, Partial<HostShape>>> = {};
  if (section === undefined) return { hosts };
  for (const tier of TIERS) {
    const tf = section.fields.get(tier);
    if (tf !== undefined) hosts[tier] = readHost(ctx, tf, HOST_KEYS);
  }
  const gf = section.fields.get('generator');
  return gf === undefined ? { hosts } : { hosts, generator: readHost(ctx, gf, GENERATOR_KEYS) };
}

type Key = (typeof HOST_KEYS)[number] | (typeof GENERATOR_KEYS)[number];
type Shape = HostShape & GeneratorShape;

function readHost(ctx: Context, field: Field, keys: readonly Key[]): Partial<Shape> {
  const section = readSection(ctx, field, keys);
  let out: Partial<Shape> = {};
  if (section === undefined) return out;
  for (const [key, fd] of section.fields) {
    const v = readHostValue(ctx, key as Key, fd);
    if (v !== undefined) out = { ...out, ...v };
  }
  return out;
}

function readHostValue(ctx: Context, key: Key, fd: Field): Partial<Shape> | undefined {
  const integer = (rule: { min: number; max?: number }, set: (v: number) => Partial<Shape>): Partial<Shape> | undefined => {
    const v = readInteger(ctx, fd, rule);
    return v === undefined ? undefined : set(v);
  };
  switch (key) {
    case 'cores': {
      const v = readNumber(ctx, fd, { min: 0 });
      if (v === 0) ctx.report(fd.at, fd.path, `${fd.path} must be above 0, got 0`);
      return v === undefined || v === 0 ? undefined : { cores: v };
    }
    case 'fds': return integer(RULES.fds, (v) => ({ fds: v }));
    case 'sources': return integer(RULES.sources, (v) => ({ sources: v }));
    case 'listen_ports': return integer(RULES.listenPorts, (v) => ({ listenPorts: v }));
    case 'count': return integer(RULES.count, (v) => ({ count: v }));
    case 'workers': return integer(RULES.workers, (v) => ({ workers: v }));
    case 'targets': return integer(RULES.targets, (v) => ({ targets: v }));
    case 'open_rate': {
      const v = readNumber(ctx, fd, { min: 0, hint: 'new connections per second the generator opens at its steepest, e.g. open_rate: 2000' });
      if (v === 0) ctx.report(fd.at, fd.path, `${fd.path} must be above 0, got 0`);
      return v === undefined || v === 0 ? undefined : { openRate: v };
    }
    case 'port_range': return readPortRange(ctx, fd);
    case 'ram': {
      const raw = isScalar(fd.value) ? fd.value.value : undefined;
      if (typeof raw !== 'string' && typeof raw !== 'number') {
        ctx.report(fd.at, fd.path, `${fd.path} must be a size such as 8GiB`, 'e.g. ram: 8GiB');
        return undefined;
      }
      return reportString(ctx, fd, hostValue('ram', String(raw)));
    }
  }
}

function readPortRange(ctx: Context, fd: Field): Partial<HostShape> | undefined {
  if (isSeq(fd.value)) {
    const [lo, hi] = fd.value.items.map((n) => (isScalar(n) ? Number(n.value) : NaN));
    if (fd.value.items.length !== 2 || lo === undefined || hi === undefined) {
      ctx.report(fd.at, fd.path, `${fd.path} must be [low, high] or "low-high"`, 'e.g. port_range: 1024-65535');
      return undefined;
    }
    const r = checkPortRange(lo, hi);
    return reportString(ctx, fd, typeof r === 'string' ? r : { portRange: r });
  }
  const raw = isScalar(fd.value) ? fd.value.value : undefined;
  if (typeof raw !== 'string') {
    ctx.report(fd.at, fd.path, `${fd.path} must be a range such as 1024-65535`, 'net.ipv4.ip_local_port_range, low-high');
    return undefined;
  }
  return reportString(ctx, fd, hostValue('port_range', raw));
}

function reportString(ctx: Context, fd: Field, v: Partial<HostShape> | string): Partial<HostShape> | undefined {
  if (typeof v !== 'string') return v;
  ctx.report(fd.at, fd.path, `${fd.path} ${v}`);
  return undefined;
}
