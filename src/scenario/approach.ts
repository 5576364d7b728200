/**
 * `lab.approach`, `lab.dns`, `lab.orchestrator` and `behavior.dns`: how clients reach the lab's backends — through
 * the reference proxy, by DNS round robin, through the reference orchestrator, or DNS in front of several proxies —
 * and how a dns client resolves and caches. The engine follows from the approach, so a scenario names the approach
 * and wsherd picks the client that goes with it.
 */
import { isScalar } from 'yaml';
import { type Context, type Field, readBool, readChoice, readDuration, readInteger, readSection, readString } from './context.js';
import {
  APPROACHES,
  type Approach,
  type DnsClientSpec,
  type DnsLabSpec,
  type EngineName,
  type OrchestratorLabSpec,
  type OrchestratorStrategyName,
} from './types.js';

export const DNS_LAB_KEYS = ['name', 'ttl', 'health', 'proxies'] as const;
export const ORCHESTRATOR_KEYS = ['strategy', 'store', 'instances'] as const;
export const DNS_CLIENT_KEYS = ['cache', 'stale', 'pick', 'failover', 'timeout', 'server'] as const;
export const ORCHESTRATOR_STRATEGIES: readonly OrchestratorStrategyName[] = ['least-loaded', 'consistent-hash', 'power-of-two-choices'];
export const DEFAULT_DNS_NAME = 'app.wsherd.test';
export const MAX_DNS_PROXIES = 16;
export const MAX_ORCHESTRATORS = 8;
const NAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$/i;

export const DEFAULT_DNS_LAB: Readonly<DnsLabSpec> = { name: DEFAULT_DNS_NAME, ttlSeconds: 30, health: false, proxies: 2 };
export const DEFAULT_ORCHESTRATOR: Readonly<OrchestratorLabSpec> = { strategy: 'least-loaded', store: 'memory', instances: 1 };
export const DEFAULT_DNS_CLIENT: Readonly<DnsClientSpec> = { cache: 'ttl', staleMs: 0, pick: 'first', failover: false, timeoutMs: 2000 };

/** The engine an approach implies (ws clients of the proxy approaches keep their engine). */
export function engineFor(approach: Approach | undefined, engine: EngineName): EngineName {
  if (approach === 'dns' || approach === 'dns-proxies') return 'dns';
  if (approach === 'orchestrator') return 'orchestrated';
  return engine;
}

export function readApproach(ctx: Context, field: Field): Approach | undefined {
  return readChoice(ctx, field, APPROACHES);
}


/** Reads each present key with its reader; undefined when any of them had a problem (already reported). */
function readKeys<T extends object>(fields: ReadonlyMap<string, Field>, base: T, readers: Record<string, (f: Field) => Partial<T> | undefined>): T | undefined {
  let ok = true;
  const out: T = { ...base };
  for (const [key, reader] of Object.entries(readers)) {
    const f = fields.get(key);
    if (f === undefined) continue;
    const part = reader(f);
    if (part === undefined) ok = false;
    else Object.assign(out, part);
  }
  return ok ? out : undefined;
}

export function readDnsLab(ctx: Context, field: Field): DnsLabSpec | undefined {
  if (field.value === null || (isScalar(field.value) && field.value.value === null)) return { ...DEFAULT_DNS_LAB };
  const section = readSection(ctx, field, DNS_LAB_KEYS);
  if (section === undefined) return undefined;
  return readKeys(section.fields, { ...DEFAULT_DNS_LAB }, {
    name: (f) => {
      const name = readString(ctx, f);
      if (name === undefined) return undefined;
      if (!NAME.test(name)) {
        ctx.report(f.at, f.path, `${f.path} must be a DNS name with at least two labels, got "${name}"`, `e.g. name: ${DEFAULT_DNS_NAME}`);
        return undefined;
      }
      return { name: name.toLowerCase() };
    },
    ttl: (f) => {
      const ms = readDuration(ctx, f, { allowZero: true });
      if (ms === undefined) return undefined;
      if (ms % 1000 !== 0 || ms > 86_400_000) {
        ctx.report(f.at, f.path, `${f.path} must be whole seconds up to 1 day`, 'DNS TTLs are whole seconds, e.g. ttl: 30s');
        return undefined;
      }
      return { ttlSeconds: ms / 1000 };
    },
    health: (f) => {
      const health = readBool(ctx, f);
      return health === undefined ? undefined : { health };
    },
    proxies: (f) => {
      const proxies = readInteger(ctx, f, { min: 1, max: MAX_DNS_PROXIES, hint: 'proxies behind the name, with approach: dns-proxies' });
      return proxies === undefined ? undefined : { proxies };
    },
  });
}

export function readOrchestrator(ctx: Context, field: Field): OrchestratorLabSpec | undefined {
  if (field.value === null || (isScalar(field.value) && field.value.value === null)) return { ...DEFAULT_ORCHESTRATOR };
  const section = readSection(ctx, field, ORCHESTRATOR_KEYS);
  if (section === undefined) return undefined;
  const spec = readKeys(section.fields, { ...DEFAULT_ORCHESTRATOR }, {
    strategy: (f) => {
      const strategy = readChoice(ctx, f, ORCHESTRATOR_STRATEGIES);
      return strategy === undefined ? undefined : { strategy };
    },
    store: (f) => {
      const store = readString(ctx, f);
      if (store === undefined) return undefined;
      if (store !== 'memory' && !/^redis:\/\/[^/\s]+:\d+(\/\d+)?$/.test(store)) {
        ctx.report(f.at, f.path, `${f.path} must be memory or redis://host:port[/db], got "${store}"`, 'several orchestrator instances agree through Redis, e.g. store: redis://127.0.0.1:6379');
        return undefined;
      }
      return { store };
    },
    instances: (f) => {
      const instances = readInteger(ctx, f, { min: 1, max: MAX_ORCHESTRATORS });
      return instances === undefined ? undefined : { instances };
    },
  });
  if (spec !== undefined && spec.instances > 1 && spec.store === 'memory') {
    const f = section.fields.get('instances');
    ctx.report(f?.at, f?.path ?? field.path, `${spec.instances} orchestrator instances need a shared registry`, 'add store: redis://127.0.0.1:6379 (a redis-server you run), or use instances: 1');
    return undefined;
  }
  return spec;
}

export function readDnsClient(ctx: Context, field: Field): DnsClientSpec | undefined {
  const section = readSection(ctx, field, DNS_CLIENT_KEYS);
  if (section === undefined) return undefined;
  return readKeys(section.fields, { ...DEFAULT_DNS_CLIENT }, {
    cache: (f) => {
      const cache = readChoice(ctx, f, ['ttl', 'none', 'forever'] as const);
      return cache === undefined ? undefined : { cache };
    },
    stale: (f) => {
      const staleMs = readDuration(ctx, f, { allowZero: true });
      return staleMs === undefined ? undefined : { staleMs };
    },
    pick: (f) => {
      const pick = readChoice(ctx, f, ['first', 'random'] as const);
      return pick === undefined ? undefined : { pick };
    },
    failover: (f) => {
      const failover = readBool(ctx, f);
      return failover === undefined ? undefined : { failover };
    },
    timeout: (f) => {
      const timeoutMs = readDuration(ctx, f);
      return timeoutMs === undefined ? undefined : { timeoutMs };
    },
    server: (f) => {
      const server = readString(ctx, f);
      if (server === undefined) return undefined;
      if (!/^[\w.-]+:\d{1,5}$|^\[[0-9a-f:]+\]:\d{1,5}$/i.test(server)) {
        ctx.report(f.at, f.path, `${f.path} must be host:port, got "${server}"`, 'e.g. server: 127.0.0.53:53');
        return undefined;
      }
      return { server };
    },
  });
}
