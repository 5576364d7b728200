/**
 * The lab manager: starts the reference backends (b1..bN) and whatever the scenario's approach puts between them
 * and the clients — the reference proxy; the reference DNS server (DNS round robin, each backend on its own
 * 127.1.x.y with one shared port); the reference orchestrator(s) the backends register with; or DNS in front of
 * several proxies — each component in its own child process, and tears it all down again.
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { getMaxListeners, setMaxListeners } from 'node:events';
import { WsherdError } from '../errors.js';
import { STATS_PATH } from '../backend/identity.js';
import type { BackendOptions } from '../backend/server.js';
import type { SocketIoBackendOptions } from '../backend/socketio-server.js';
import type { ProxyOptions } from '../proxy/server.js';
import { PROXY_NODE_FLAGS } from '../proxy/server.js';
import { loadTls, type TlsMaterial } from '../proxy/tls.js';
import type { DnsComponentConfig } from '../dns/main.js';
import type { OrchestratorChildConfig } from '../orchestrator/main.js';
import type { BackendOrchestratorConfig } from '../orchestrator/agent.js';
import type { LabSpec } from '../scenario/types.js';
import { DEFAULT_DNS_LAB, DEFAULT_ORCHESTRATOR } from '../scenario/approach.js';
import { registerChildren } from './cleanup.js';
import { describeExit, forkComponent, type ComponentProcess } from './component-process.js';
import { getJson } from './http-json.js';
import type { Lab } from './types.js';
import { connectHost, httpUrl, wsUrl } from './urls.js';
import { validateLab } from './validate.js';
import { startFaults, type LabHandle } from './faults.js';
import { waitForRegistrations } from './registrations.js';
import { startRegistrySync, type RegistrySync } from './registry-sync.js';
import { startDeadlineMs } from '../process/start-deadline.js';
import { startRedis } from './redis-component.js';
import type { BackendStats, ComponentKind, LabComponent, LabStats, ProxyStats } from '../results/lab-types.js';

export interface StartLabOptions {
  /** Aborts the start-up (children started so far are killed; rejects with WSH_ERR_ABORTED). No effect later. */
  signal?: AbortSignal;
  /** Per component: time allowed from fork to `ready`, ms. Default 10000. */
  readyTimeoutMs?: number;
  /** stop(): time between SIGTERM and SIGKILL, ms. Default 2000. */
  stopGraceMs?: number;
}

const BACKEND_ENTRY = new URL('../backend/main.js', import.meta.url);
const SOCKETIO_BACKEND_ENTRY = new URL('../backend/socketio-main.js', import.meta.url);
const PROXY_ENTRY = new URL('../proxy/main.js', import.meta.url);
const DNS_ENTRY = new URL('../dns/main.js', import.meta.url);
const ORCHESTRATOR_ENTRY = new URL('../orchestrator/main.js', import.meta.url);
/** Admin endpoints always bind loopback, whatever the component listens on. */
const ADMIN_HOST = '127.0.0.1';
/**
 * The lab's proxy checks its backends by TCP connect every second (rise 2, fall 3): scenarios kill backends
 * mid-run and must see them marked down within ~3 s and back ~2 s after a restart. A connect costs the
 * reference backend nothing it counts (no session, no HTTP request), unlike http or ws checks would.
 */
export const LAB_PROXY_HEALTH = { kind: 'tcp', intervalMs: 1000, timeoutMs: 1000, rise: 2, fall: 3 } as const;
/** Health-checked DNS and the orchestrator check the same way (each only when the scenario asks for checks). */
const LAB_CHECKS = { intervalMs: 1000, timeoutMs: 1000, rise: 2, fall: 3 } as const;

/** Backend i of a DNS-round-robin lab listens on its own address, so a name can answer with all of them. */
export function spreadHost(block: 1 | 2, i: number): string {
  return `127.${block}.${Math.floor(i / 250)}.${(i % 250) + 1}`;
}

type Fork = (id: string, entry: URL, config: unknown, execArgv?: string[], fdLimit?: number) => Promise<ComponentProcess>;

export async function startLab(spec: LabSpec, opts: StartLabOptions = {}): Promise<Lab> {
  validateLab(spec);
  if (opts.signal?.aborted) throw new WsherdError('WSH_ERR_ABORTED', 'Lab start aborted before it began.');
  // Scaled with what starts at once (backends, proxy workers, the rest), or WSHERD_START_TIMEOUT.
  const readyTimeoutMs = opts.readyTimeoutMs ?? startDeadlineMs(spec.backends.count + (spec.proxy.workers ?? 1) + 2);
  // Every component starting at once listens on the signal until it is ready: more than Node's default of 10 is no
  // leak, and the warning it would print lands in the user's run output (seen with 14 backends).
  if (opts.signal !== undefined) setMaxListeners(Math.max(getMaxListeners(opts.signal), spec.backends.count + (spec.proxy.workers ?? 1) + 10), opts.signal);
  const graceMs = opts.stopGraceMs ?? 2000;
  const approach = spec.approach ?? 'proxy';

  // Every forked child is known from its first moment, so a parent exit during start-up still kills it.
  const spawned = new Set<ChildProcess>();
  const unregister = registerChildren((signal) => {
    for (const c of spawned) if (c.exitCode === null && c.signalCode === null) c.kill(signal);
  });
  const fork: Fork = (id, entry, config, execArgv, fdLimit) =>
    forkComponent(id, entry, config, {
      readyTimeoutMs,
      onSpawn: (c) => spawned.add(c),
      ...(opts.signal ? { signal: opts.signal } : {}),
      ...(execArgv ? { execArgv } : {}),
      ...(fdLimit === undefined ? {} : { fdLimit }),
    });

  const parts: Part[] = [];
  let tlsMaterial: TlsMaterial | undefined;
  let token: string | undefined;
  let startBackend: BackendStarter | undefined;
  try {
    // The bus first: every backend gets its URL in its config.
    let busUrl: string | undefined;
    if (spec.backends.bus === 'redis') {
      const redis = await startRedis({ readyTimeoutMs, onSpawn: (c) => spawned.add(c), ...(opts.signal ? { signal: opts.signal } : {}) });
      busUrl = `redis://${ADMIN_HOST}:${redis.port}`;
      parts.push(part(redis, 'redis', ADMIN_HOST, busUrl, busUrl));
    }
    let orchestrators: Part[] = [];
    if (approach === 'orchestrator' || approach === 'proxy-orchestrator') {
      token = randomBytes(16).toString('hex');
      orchestrators = await startOrchestrators(fork, spec, token);
      parts.push(...orchestrators);
    }
    startBackend = backendStarter(fork, spec, orchestrators.map((o) => o.component.url), token, busUrl);
    const backends = await startBackends(spec, startBackend);
    parts.unshift(...backends);
    if (token !== undefined) await waitForRegistrations(orchestrators[0]?.component.url ?? '', token, backends.map((b) => b.component.id), readyTimeoutMs);
    if (approach === 'proxy' || approach === 'dns-proxies' || approach === 'proxy-orchestrator') {
      tlsMaterial = spec.proxy.tls === undefined ? undefined : loadTls(spec.proxy.tls);
      parts.push(...(await startProxies(fork, spec, backends, tlsMaterial)));
    }
    if (approach === 'dns' || approach === 'dns-proxies') {
      const answered = approach === 'dns' ? backends : parts.filter((p) => p.component.kind === 'proxy');
      parts.push(await startDns(fork, spec, answered));
    }
  } catch (err) {
    await Promise.all(parts.map((c) => c.proc.stop(graceMs)));
    unregister();
    throw err;
  }
  // The hybrid's proxy follows the registry from here on (its pool starts with the backends that registered).
  const proxyAdmins = parts.filter((p) => p.component.kind === 'proxy').map((p) => p.component.adminUrl.replace(/\/stats$/, ''));
  const orchUrl = parts.find((p) => p.component.kind === 'orchestrator')?.component.url;
  const sync = approach === 'proxy-orchestrator' && token !== undefined && orchUrl !== undefined ? startRegistrySync(orchUrl, token, proxyAdmins) : undefined;
  return assemble(spec, parts, { graceMs, unregister, tlsMaterial, startBackend: startBackend as BackendStarter, token, ...(sync === undefined ? {} : { sync }) });
}

export interface Part {
  proc: ComponentProcess;
  component: LabComponent;
}

function part(proc: ComponentProcess, kind: ComponentKind, host: string, url: string, adminUrl: string): Part {
  return { proc, component: { id: proc.id, kind, pid: proc.pid, host, port: proc.port, url, adminUrl } };
}

/** Starts backend i (id b<i+1>) on its host and `port`: at start, and when a fault adds one mid-run. */
export type BackendStarter = (i: number, port: number) => Promise<Part>;

function backendStarter(fork: Fork, spec: LabSpec, orchestratorUrls: string[], token: string | undefined, busUrl: string | undefined): BackendStarter {
  const { kind, socketio, limits, pushIntervalMs } = spec.backends;
  // The realtime app's options travel in the config over IPC like the rest (the bus URL is loopback, no secret).
  const app = { ...(busUrl === undefined ? {} : { bus: busUrl }), ...(pushIntervalMs === undefined || kind === 'socketio' ? {} : { pushIntervalMs }) };
  const hostOf = (i: number): string => (spec.approach === 'dns' ? spreadHost(1, i) : spec.backends.host);
  return async (i, port) => {
    const orchestrator: BackendOrchestratorConfig | undefined = token === undefined ? undefined : { url: orchestratorUrls[i % orchestratorUrls.length] ?? '', token, intervalMs: 1000 };
    const host = hostOf(i);
    const config: (BackendOptions | SocketIoBackendOptions) & { orchestrator?: BackendOrchestratorConfig } = {
      id: `b${i + 1}`, host, port, ...(kind === 'socketio' ? socketio : {}), ...app, ...(orchestrator === undefined ? {} : { orchestrator }),
    };
    // The ws backend holds idle connections like the proxy does: the same small young generation (see PROXY_NODE_FLAGS).
    const flags = kind === 'socketio' ? undefined : [...PROXY_NODE_FLAGS];
    const proc = await fork(config.id, kind === 'socketio' ? SOCKETIO_BACKEND_ENTRY : BACKEND_ENTRY, config, flags, limits?.fds);
    return part(proc, 'backend', host, wsUrl(host, proc.port), httpUrl(host, proc.port, STATS_PATH));
  };
}

async function startBackends(spec: LabSpec, start: BackendStarter): Promise<Part[]> {
  const count = spec.backends.count;
  const spread = spec.approach === 'dns';
  const started: Part[] = [];
  try {
    // Spread backends share one port (a DNS answer carries addresses, not ports): the first picks it.
    const first = spread ? await start(0, 0) : undefined;
    if (first !== undefined) started.push(first);
    const results = await Promise.allSettled(Array.from({ length: count - started.length }, (_, k) => start(k + started.length, first?.component.port ?? 0)));
    for (const r of results) if (r.status === 'fulfilled') started.push(r.value);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  } catch (err) {
    await Promise.all(started.map((c) => c.proc.stop(1000)));
    throw err;
  }
  return started.sort((a, b) => Number(a.component.id.slice(1)) - Number(b.component.id.slice(1)));
}

async function startProxies(fork: Fork, spec: LabSpec, backends: readonly Part[], tls: TlsMaterial | undefined): Promise<Part[]> {
  const p = spec.proxy;
  const many = spec.approach === 'dns-proxies';
  const count = many ? (spec.dns ?? DEFAULT_DNS_LAB).proxies : 1;
  const out: Part[] = [];
  for (let k = 0; k < count; k++) {
    const host = many ? spreadHost(2, k) : p.host;
    const config: ProxyOptions = {
      host,
      // Proxies behind one name share a port, as the backends of a DNS-round-robin lab do.
      port: out[0]?.component.port ?? 0,
      adminHost: ADMIN_HOST,
      adminPort: 0,
      strategy: p.strategy,
      mode: p.mode,
      backends: backends.map((b) => ({ id: b.component.id, host: connectHost(b.component.host), port: b.component.port })),
      health: { ...LAB_PROXY_HEALTH },
      ...(p.options === undefined ? {} : { strategyOptions: p.options }),
      // Loaded by the parent rather than in the child: the generator must trust this very certificate (Lab.ca).
      ...(tls === undefined ? {} : { tls: { pem: { cert: tls.cert, key: tls.key } } }),
      ...(p.store === undefined ? {} : { store: p.store }),
      ...(p.sourceAddresses === undefined ? {} : { sourceAddresses: p.sourceAddresses }),
      ...(p.sourcePorts === undefined ? {} : { sourcePorts: p.sourcePorts }),
      ...(p.maxconn === undefined ? {} : { maxconn: p.maxconn }),
      ...(p.workers === undefined ? {} : { workers: p.workers }),
    };
    const proc = await fork(many ? `proxy${k + 1}` : 'proxy', PROXY_ENTRY, config, [...PROXY_NODE_FLAGS], p.limits?.fds);
    const url = tls === undefined ? wsUrl(host, proc.port) : wsUrl(host, proc.port).replace(/^ws:/, 'wss:');
    out.push(part(proc, 'proxy', host, url, httpUrl(ADMIN_HOST, proc.adminPort, '/stats')));
  }
  return out;
}

async function startDns(fork: Fork, spec: LabSpec, answered: readonly Part[]): Promise<Part> {
  const dns = spec.dns ?? DEFAULT_DNS_LAB;
  const port = answered[0]?.component.port ?? 0;
  const config: DnsComponentConfig = {
    id: 'dns',
    host: ADMIN_HOST,
    port: 0,
    zone: [{ name: dns.name, addresses: answered.map((p) => p.component.host), port }],
    ttlSeconds: dns.ttlSeconds,
    ...(dns.health ? { health: { ...LAB_CHECKS } } : {}),
  };
  const proc = await fork('dns', DNS_ENTRY, config);
  return part(proc, 'dns', ADMIN_HOST, `dns://${ADMIN_HOST}:${proc.port}/${dns.name}`, httpUrl(ADMIN_HOST, proc.adminPort, '/'));
}

async function startOrchestrators(fork: Fork, spec: LabSpec, token: string): Promise<Part[]> {
  const o = spec.orchestrator ?? DEFAULT_ORCHESTRATOR;
  const procs = await Promise.all(Array.from({ length: o.instances }, (_, j) => {
    const config: OrchestratorChildConfig = {
      id: `orch${j + 1}`,
      host: ADMIN_HOST,
      port: 0,
      token,
      strategy: o.strategy,
      health: { ...LAB_CHECKS },
      heartbeatTimeoutMs: 3000,
      ...(o.store === 'memory' ? {} : { redis: o.store, cluster: `lab-${process.pid}-${token.slice(0, 8)}` }),
    };
    return fork(config.id, ORCHESTRATOR_ENTRY, config);
  }));
  return procs.map((p) => part(p, 'orchestrator', ADMIN_HOST, httpUrl(ADMIN_HOST, p.port, ''), httpUrl(ADMIN_HOST, p.port, '/v1/stats')));
}

interface AssembleOptions {
  graceMs: number;
  unregister: () => void;
  tlsMaterial: TlsMaterial | undefined;
  startBackend: BackendStarter;
  token: string | undefined;
  sync?: RegistrySync;
}

function assemble(spec: LabSpec, parts: Part[], o: AssembleOptions): Lab {
  const components = parts.map((p) => p.component);
  const byKind = (k: ComponentKind): Part[] => parts.filter((p) => p.component.kind === k);
  const approach = spec.approach ?? 'proxy';
  const dnsPart = byKind('dns')[0];
  const dns = spec.dns ?? DEFAULT_DNS_LAB;
  const entryUrls = approach === 'proxy' || approach === 'proxy-orchestrator'
    ? [byKind('proxy')[0]?.component.url ?? '']
    : approach === 'orchestrator'
      ? byKind('orchestrator').map((p) => p.component.url)
      : [wsUrl(dns.name, approach === 'dns' ? (byKind('backend')[0]?.component.port ?? 0) : (byKind('proxy')[0]?.component.port ?? 0))];

  let stopping: Promise<void> | undefined;
  /** Components a fault stopped on purpose: their exit is the scenario's doing, not a lab failure. */
  const expected = new Set<ComponentProcess>();
  let reportDeath: (reason: string) => void = () => {};
  const died = new Promise<string>((resolve) => (reportDeath = resolve));
  const watch = (p: Part): void => {
    void p.proc.exited.then(async () => {
      if (stopping || expected.has(p.proc)) return;
      const info = await p.proc.closed;
      const tail = p.proc.stderrTail();
      reportDeath(`Lab ${p.component.kind} ${p.component.id} (pid ${p.proc.pid}) exited unexpectedly (${describeExit(info)})${tail ? `: ${tail}` : '.'}`);
    });
  };
  parts.forEach(watch);

  const stats = async (): Promise<LabStats> => {
    const live = parts.filter((p) => !expected.has(p.proc));
    const read = <T>(k: ComponentKind): Promise<T[]> => Promise.all(live.filter((p) => p.component.kind === k).map((p) => getJson<T>(p.component.adminUrl)));
    const [backends, proxies, dnsStats, orchestrators] = await Promise.all([
      read<BackendStats>('backend'),
      read<ProxyStats>('proxy'),
      read<Record<string, unknown>>('dns'),
      read<Record<string, unknown>>('orchestrator'),
    ]);
    return {
      backends,
      ...(proxies[0] === undefined ? {} : { proxy: proxies[0] }),
      ...(proxies.length > 1 ? { proxies } : {}),
      ...(dnsStats[0] === undefined ? {} : { dns: dnsStats[0] }),
      ...(orchestrators.length === 0 ? {} : { orchestrators }),
    };
  };

  const handle: LabHandle = {
    spec,
    parts,
    expected,
    startBackend: o.startBackend,
    token: o.token,
    ...(o.sync === undefined ? {} : { sync: o.sync }),
    adopt: (p) => {
      parts.push(p);
      components.push(p.component);
      watch(p);
    },
  };
  const faults = startFaults(handle);

  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      o.sync?.stop();
      faults.resume();
      // Entry points first, so clients see one clean close rather than backends vanishing behind them.
      for (const kind of ['dns', 'proxy', 'orchestrator'] as const) await Promise.all(byKind(kind).map((p) => p.proc.stop(o.graceMs)));
      // The bus last: backends that lose it mid-stop would only log reconnect attempts.
      await Promise.all(parts.filter((p) => p.component.kind !== 'redis').map((p) => p.proc.stop(o.graceMs)));
      await Promise.all(byKind('redis').map((p) => p.proc.stop(o.graceMs)));
      o.unregister();
    })();
    return stopping;
  };

  return {
    components,
    entryUrl: entryUrls[0] ?? '',
    entryUrls,
    ...(dnsPart === undefined ? {} : { dnsServer: { host: dnsPart.component.host, port: dnsPart.component.port } }),
    stats,
    stop,
    died,
    fault: faults.apply,
    ...(o.tlsMaterial === undefined ? {} : { ca: o.tlsMaterial.cert }),
  };
}
