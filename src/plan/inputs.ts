/**
 * What a plan is for, from flags (`--connections 100000 --churn 500 --balancer-host ram=8GiB,cores=4`) or a YAML
 * file (src/plan/inputs-file.ts), with flags overriding the file key by key. Every problem is collected and
 * reported at once (k6 style), naming the flag or file:line:col and how to fix it.
 */
import { WsherdError, formatProblem, type ScenarioProblem } from '../errors.js';
import { closest } from '../scenario/suggest.js';
import { MAX_WORKERS } from '../scenario/validate.js';
import { BALANCER_KINDS, TOPOLOGIES, type BalancerKind, type ClosesFirst, type GeneratorShape, type HostShape, type PlanInputs, type TierName, type Topology } from './types.js';

export const DEFAULT_HEADROOM = 0.3;
/** Linux's default net.ipv4.ip_local_port_range: 28,232 ports (the article's figure). */
export const DEFAULT_PORT_RANGE: [number, number] = [32768, 60999];
/** fs.nr_open's default: the highest LimitNOFILE a host takes without raising fs.nr_open first. */
export const DEFAULT_FD_LIMIT = 1_048_576;
const GIB = 2 ** 30;
/** Seconds a closed connection holds its port on the side that closed first (Linux TCP_TIMEWAIT_LEN). */
export const TIME_WAIT_SECONDS = 60;

export function portRangeSize(range: readonly [number, number]): number {
  return range[1] - range[0] + 1;
}

export const DEFAULT_HOSTS: Readonly<Record<TierName, HostShape>> = {
  balancer: { ramBytes: 8 * GIB, cores: 4, fds: DEFAULT_FD_LIMIT, portRange: DEFAULT_PORT_RANGE, sources: 1, listenPorts: 1 },
  backend: { ramBytes: 8 * GIB, cores: 4, fds: DEFAULT_FD_LIMIT, portRange: DEFAULT_PORT_RANGE, sources: 1, listenPorts: 1 },
  orchestrator: { ramBytes: 2 * GIB, cores: 2, fds: DEFAULT_FD_LIMIT, portRange: DEFAULT_PORT_RANGE, sources: 1, listenPorts: 1 },
};

/**
 * A generator host without --results: the production hosts' defaults. With --results the machine the run's generator
 * ran on (its results.json `environment`) comes between these and what the user gives.
 */
export const DEFAULT_GENERATOR: Readonly<GeneratorShape> = { ramBytes: 8 * GIB, cores: 4, fds: DEFAULT_FD_LIMIT, portRange: DEFAULT_PORT_RANGE, sources: 1, targets: 1 };

/** Inputs before defaults: what a file or the flags gave. */
export interface PartialInputs {
  connections?: number;
  churn?: number;
  messagesPerSecond?: number;
  messageBytes?: number;
  topology?: Topology;
  headroom?: number;
  closesFirst?: ClosesFirst;
  balancerKind?: BalancerKind;
  hosts?: Partial<Record<TierName, Partial<HostShape>>>;
  generator?: Partial<GeneratorShape>;
}

/** The flags of `wsherd plan`, as typed (strings, so that every bad value gets wsherd's own message). */
export interface PlanFlags {
  connections?: string;
  churn?: string;
  messages?: string;
  messageBytes?: string;
  topology?: string;
  headroom?: string;
  closesFirst?: string;
  balancerKind?: string;
  balancerHost?: string;
  backendHost?: string;
  orchestratorHost?: string;
  generatorHost?: string;
}

/** The keys of a host shape, in files (`hosts.balancer.port_range`) and in `--balancer-host port_range=…`. */
export const HOST_KEYS = ['ram', 'cores', 'fds', 'port_range', 'sources', 'listen_ports', 'count'] as const;
export type HostKey = (typeof HOST_KEYS)[number];
/** The keys of a generator host (`hosts.generator`, `--generator-host`): no listen_ports; workers, targets, open_rate. */
export const GENERATOR_KEYS = ['ram', 'cores', 'fds', 'port_range', 'sources', 'workers', 'targets', 'open_rate', 'count'] as const;
export type GeneratorKey = (typeof GENERATOR_KEYS)[number];

/** Problems of the inputs: each says where (a flag, or file:line:col), what, and how to fix it. */
export class PlanInputError extends WsherdError {
  readonly problems: string[];
  constructor(problems: string[]) {
    const head = problems.length === 1 ? 'The plan has 1 problem:' : `The plan has ${problems.length} problems:`;
    super('WSH_ERR_PLAN_INVALID', [head, ...problems.map((p) => `  ${p}`)].join('\n'), { hint: 'See docs/plan.md for every input, its unit and its default.' });
    this.name = 'PlanInputError';
    this.problems = problems;
  }
}

export function fileProblems(problems: ScenarioProblem[]): string[] {
  return problems.map(formatProblem);
}

/** `8GiB`, `512MiB`, `8G` (binary, as `free -g`), `16GB` (decimal) or a plain number of bytes. */
export function parseSize(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]i?b?|b)?\s*$/i.exec(text);
  if (m === null) return undefined;
  const unit = (m[2] ?? 'b').toLowerCase();
  const power = 'bkmgt'.indexOf(unit[0] as string);
  const decimal = unit.length === 2 && unit.endsWith('b') && unit !== 'b';
  return Math.round(Number(m[1]) * (decimal ? 1000 : 1024) ** power);
}

/** `1024-65535` → [1024, 65535]; a message when it is not a range of ports. */
export function parsePortRange(text: string): [number, number] | string {
  const m = /^\s*(\d+)\s*[-–]\s*(\d+)\s*$/.exec(text);
  if (m === null) return `must be low-high, e.g. 1024-65535, got "${text}"`;
  return checkPortRange(Number(m[1]), Number(m[2]));
}

export function checkPortRange(low: number, high: number): [number, number] | string {
  if (!Number.isInteger(low) || !Number.isInteger(high) || low < 1 || high > 65535) return `must lie within 1-65535, got ${low}-${high}`;
  if (low > high) return `must go from low to high, got ${low}-${high} (did you mean ${high}-${low}?)`;
  return [low, high];
}

interface NumberRule {
  min: number;
  /** The minimum itself is not allowed (e.g. cores > 0). */
  above?: boolean;
  max?: number;
  integer?: boolean;
}

/** A number against its rule; a message when it breaks it. */
export function checkNumber(text: string, rule: NumberRule): number | string {
  const v = Number(text.replace(/_/g, ''));
  if (text.trim() === '' || !Number.isFinite(v)) return `must be a number, got "${text}"`;
  if (rule.integer === true && !Number.isInteger(v)) return `must be a whole number, got ${v}`;
  if (rule.above === true ? v <= rule.min : v < rule.min) return `must be ${rule.above === true ? 'above' : 'at least'} ${rule.min}, got ${v}`;
  if (rule.max !== undefined && v > rule.max) return `must be at most ${rule.max}, got ${v}`;
  return v;
}

export const RULES = {
  connections: { min: 1, integer: true },
  churn: { min: 0 },
  messages: { min: 0 },
  messageBytes: { min: 1, integer: true },
  headroom: { min: 0, max: 0.9 },
  cores: { min: 0, above: true },
  fds: { min: 16, integer: true },
  sources: { min: 1, max: 4096, integer: true },
  listenPorts: { min: 1, max: 1024, integer: true },
  count: { min: 1, integer: true },
  workers: { min: 1, max: MAX_WORKERS, integer: true },
  targets: { min: 1, max: 65535, integer: true },
  openRate: { min: 0, above: true },
} satisfies Record<string, NumberRule>;

/** One host-shape value (`cores`, `8GiB`, `1024-65535`) → the shape's field; a message when it is wrong. */
export function hostValue(key: HostKey, text: string): Partial<HostShape> | string {
  const num = (rule: NumberRule, set: (v: number) => Partial<HostShape>): Partial<HostShape> | string => {
    const v = checkNumber(text, rule);
    return typeof v === 'string' ? v : set(v);
  };
  switch (key) {
    case 'ram': {
      const bytes = parseSize(text);
      if (bytes === undefined) return `must be a size such as 8GiB or 512MiB, got "${text}"`;
      return bytes < 64 * 2 ** 20 ? `must be at least 64MiB, got "${text}"` : { ramBytes: bytes };
    }
    case 'port_range': {
      const r = parsePortRange(text);
      return typeof r === 'string' ? r : { portRange: r };
    }
    case 'cores': return num(RULES.cores, (v) => ({ cores: v }));
    case 'fds': return num(RULES.fds, (v) => ({ fds: v }));
    case 'sources': return num(RULES.sources, (v) => ({ sources: v }));
    case 'listen_ports': return num(RULES.listenPorts, (v) => ({ listenPorts: v }));
    case 'count': return num(RULES.count, (v) => ({ count: v }));
  }
}

/** One generator-host value → the shape's field; a message when it is wrong. */
export function generatorValue(key: GeneratorKey, text: string): Partial<GeneratorShape> | string {
  const num = (rule: NumberRule, set: (v: number) => Partial<GeneratorShape>): Partial<GeneratorShape> | string => {
    const v = checkNumber(text, rule);
    return typeof v === 'string' ? v : set(v);
  };
  switch (key) {
    case 'workers': return num(RULES.workers, (v) => ({ workers: v }));
    case 'targets': return num(RULES.targets, (v) => ({ targets: v }));
    case 'open_rate': return num(RULES.openRate, (v) => ({ openRate: v }));
    default: return hostValue(key, text) as Partial<GeneratorShape> | string;
  }
}

/** `ram=8GiB,cores=4,fds=65536` → a partial host shape; problems are pushed with the flag's name. */
export function parseHostSpec(flag: string, spec: string, problems: string[]): Partial<HostShape> {
  return parseSpec<HostKey, HostShape>(flag, spec, problems, HOST_KEYS, hostValue);
}

export function parseGeneratorSpec(flag: string, spec: string, problems: string[]): Partial<GeneratorShape> {
  return parseSpec<GeneratorKey, GeneratorShape>(flag, spec, problems, GENERATOR_KEYS, generatorValue);
}

function parseSpec<K extends string, S>(flag: string, spec: string, problems: string[], keys: readonly K[], value: (key: K, text: string) => Partial<S> | string): Partial<S> {
  let out: Partial<S> = {};
  for (const part of spec.split(',').map((s) => s.trim()).filter((s) => s !== '')) {
    const eq = part.indexOf('=');
    const key = (eq < 0 ? part : part.slice(0, eq)).trim().replace(/-/g, '_');
    if (eq < 0 || !(keys as readonly string[]).includes(key)) {
      const match = closest(key, keys);
      const fix = match === undefined ? `keys: ${keys.join(', ')}` : `did you mean "${match}"?`;
      problems.push(`${flag}: "${part}" is not key=value with a known key (${fix}), e.g. ${flag} ram=8GiB,cores=4,fds=65536`);
      continue;
    }
    const v = value(key as K, part.slice(eq + 1));
    if (typeof v === 'string') problems.push(`${flag} ${key} ${v}`);
    else out = { ...out, ...v };
  }
  return out;
}

function flagNumber(name: string, text: string | undefined, rule: NumberRule, problems: string[]): number | undefined {
  if (text === undefined) return undefined;
  const v = checkNumber(text, rule);
  if (typeof v === 'string') {
    problems.push(`--${name} ${v}`);
    return undefined;
  }
  return v;
}

function flagChoice<T extends string>(name: string, text: string | undefined, choices: readonly T[], problems: string[]): T | undefined {
  if (text === undefined) return undefined;
  if ((choices as readonly string[]).includes(text)) return text as T;
  const match = closest(text, choices);
  problems.push(`--${name} must be one of ${choices.join(', ')}, got "${text}"${match === undefined ? '' : ` (did you mean "${match}"?)`}`);
  return undefined;
}

/** The flags as partial inputs; problems are pushed, one per bad flag. */
export function inputsFromFlags(flags: PlanFlags, problems: string[]): PartialInputs {
  const hosts: Partial<Record<TierName, Partial<HostShape>>> = {};
  if (flags.balancerHost !== undefined) hosts.balancer = parseHostSpec('--balancer-host', flags.balancerHost, problems);
  if (flags.backendHost !== undefined) hosts.backend = parseHostSpec('--backend-host', flags.backendHost, problems);
  if (flags.orchestratorHost !== undefined) hosts.orchestrator = parseHostSpec('--orchestrator-host', flags.orchestratorHost, problems);
  const generator = flags.generatorHost === undefined ? undefined : parseGeneratorSpec('--generator-host', flags.generatorHost, problems);
  return dropUndefined({
    connections: flagNumber('connections', flags.connections, RULES.connections, problems),
    churn: flagNumber('churn', flags.churn, RULES.churn, problems),
    messagesPerSecond: flagNumber('messages', flags.messages, RULES.messages, problems),
    messageBytes: flagNumber('message-bytes', flags.messageBytes, RULES.messageBytes, problems),
    headroom: flagNumber('headroom', flags.headroom, RULES.headroom, problems),
    topology: flagChoice('topology', flags.topology, TOPOLOGIES, problems),
    closesFirst: flagChoice<ClosesFirst>('closes-first', flags.closesFirst, ['balancer', 'backend'], problems),
    balancerKind: flagChoice('balancer-kind', flags.balancerKind, BALANCER_KINDS, problems),
    hosts,
    generator,
  });
}

function dropUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/** The file's inputs, then the flags over them key by key, then the defaults. */
export function mergeInputs(file: PartialInputs, flags: PartialInputs): PartialInputs {
  const hosts: Partial<Record<TierName, Partial<HostShape>>> = {};
  for (const tier of ['balancer', 'backend', 'orchestrator'] as const) {
    const h = { ...file.hosts?.[tier], ...flags.hosts?.[tier] };
    if (Object.keys(h).length > 0) hosts[tier] = h;
  }
  const generator = { ...file.generator, ...flags.generator };
  return { ...file, ...flags, hosts, ...(Object.keys(generator).length > 0 ? { generator } : {}) };
}

/**
 * Defaults applied; throws PlanInputError when connections are missing. `generatorBase`: the machine a --results run's
 * generator ran on, between the defaults and what was given.
 */
export function resolveInputs(p: PartialInputs, fromFile: boolean, generatorBase: Partial<GeneratorShape> = {}): PlanInputs {
  if (p.connections === undefined) {
    throw new PlanInputError([fromFile ? '"connections" is required in the plan file, e.g. connections: 100000' : '--connections is required: the peak number of concurrent connections, e.g. --connections 100000']);
  }
  const host = (tier: TierName): HostShape => ({ ...DEFAULT_HOSTS[tier], ...p.hosts?.[tier] });
  return {
    connections: p.connections,
    churn: p.churn ?? 0,
    messagesPerSecond: p.messagesPerSecond ?? 0,
    messageBytes: p.messageBytes ?? 64,
    topology: p.topology ?? 'balancer',
    headroom: p.headroom ?? DEFAULT_HEADROOM,
    closesFirst: p.closesFirst ?? 'balancer',
    balancerKind: p.balancerKind ?? 'wsherd',
    hosts: { balancer: host('balancer'), backend: host('backend'), orchestrator: host('orchestrator') },
    generator: { ...DEFAULT_GENERATOR, ...generatorBase, ...p.generator },
  };
}

/** Flags only (no file): the inputs, or a PlanInputError listing every bad flag. */
export function planInputsFromFlags(flags: PlanFlags): PlanInputs {
  const problems: string[] = [];
  const partial = inputsFromFlags(flags, problems);
  if (problems.length > 0) throw new PlanInputError(problems);
  return resolveInputs(partial, false);
}
