/**
 * The lab manager: starts the reference backends (b1..bN) and the proxy in front of them, each in its own
 * child process so the lab scales past one process's fd limit, and tears them down again.
 */
import type { ChildProcess } from 'node:child_process';
import { WsherdError } from '../errors.js';
import { STATS_PATH } from '../backend/identity.js';
import type { BackendOptions } from '../backend/server.js';
import type { SocketIoBackendOptions } from '../backend/socketio-server.js';
import type { ProxyOptions } from '../proxy/server.js';
import { assertProxyMode, assertStrategyMode, PROXY_NODE_FLAGS } from '../proxy/server.js';
import { loadTls, type TlsMaterial } from '../proxy/tls.js';
import { createStrategy } from '../proxy/strategies/index.js';
import type { LabSpec } from '../scenario/types.js';
import { registerChildren } from './cleanup.js';
import { describeExit, forkComponent, type ComponentProcess } from './component-process.js';
import { getJson } from './http-json.js';
import type { BackendStats, Lab, LabComponent, LabStats, ProxyStats } from './types.js';
import { connectHost, httpUrl, wsUrl } from './urls.js';
import { fdHardLimit } from '../probes/proc.js';

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
/** The proxy's admin endpoint always binds loopback, whatever the proxy listens on. */
const ADMIN_HOST = '127.0.0.1';
/**
 * The lab's proxy checks its backends by TCP connect every second (rise 2, fall 3): scenarios kill backends
 * mid-run and must see them marked down within ~3 s and back ~2 s after a restart. A connect costs the
 * reference backend nothing it counts (no session, no HTTP request), unlike http or ws checks would.
 */
export const LAB_PROXY_HEALTH = { kind: 'tcp', intervalMs: 1000, timeoutMs: 1000, rise: 2, fall: 3 } as const;

export async function startLab(spec: LabSpec, opts: StartLabOptions = {}): Promise<Lab> {
  validate(spec);
  if (opts.signal?.aborted) throw new WsherdError('WSH_ERR_ABORTED', 'Lab start aborted before it began.');
  const readyTimeoutMs = opts.readyTimeoutMs ?? 10_000;
  const graceMs = opts.stopGraceMs ?? 2000;

  // Every forked child is known from its first moment, so a parent exit during start-up still kills it.
  const spawned = new Set<ChildProcess>();
  const unregister = registerChildren((signal) => {
    for (const c of spawned) if (c.exitCode === null && c.signalCode === null) c.kill(signal);
  });
  const fork = (id: string, entry: URL, config: unknown, execArgv?: string[], fdLimit?: number): Promise<ComponentProcess> =>
    forkComponent(id, entry, config, {
      readyTimeoutMs,
      onSpawn: (c) => spawned.add(c),
      ...(opts.signal ? { signal: opts.signal } : {}),
      ...(execArgv ? { execArgv } : {}),
      ...(fdLimit === undefined ? {} : { fdLimit }),
    });

  const started: ComponentProcess[] = [];
  let tlsMaterial: TlsMaterial | undefined;
  try {
    const backendHost = spec.backends.host;
    const socketio = spec.backends.kind === 'socketio';
    const results = await Promise.allSettled(
      Array.from({ length: spec.backends.count }, (_, i) => {
        const config: BackendOptions | SocketIoBackendOptions = { id: `b${i + 1}`, host: backendHost, port: 0, ...(socketio ? spec.backends.socketio : {}) };
        return fork(config.id, socketio ? SOCKETIO_BACKEND_ENTRY : BACKEND_ENTRY, config, undefined, spec.backends.limits?.fds);
      }),
    );
    for (const r of results) if (r.status === 'fulfilled') started.push(r.value);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;

    const p = spec.proxy;
    tlsMaterial = p.tls === undefined ? undefined : loadTls(p.tls);
    const proxyConfig: ProxyOptions = {
      host: spec.proxy.host,
      port: 0,
      adminHost: ADMIN_HOST,
      adminPort: 0,
      strategy: spec.proxy.strategy,
      mode: spec.proxy.mode,
      backends: started.map((b) => ({ id: b.id, host: connectHost(backendHost), port: b.port })),
      health: { ...LAB_PROXY_HEALTH },
      ...(p.options === undefined ? {} : { strategyOptions: p.options }),
      // Loaded here rather than in the child: the generator must trust this very certificate (Lab.ca).
      ...(tlsMaterial === undefined ? {} : { tls: { pem: { cert: tlsMaterial.cert, key: tlsMaterial.key } } }),
      ...(p.store === undefined ? {} : { store: p.store }),
      ...(p.sourceAddresses === undefined ? {} : { sourceAddresses: p.sourceAddresses }),
      ...(p.maxconn === undefined ? {} : { maxconn: p.maxconn }),
      ...(p.workers === undefined ? {} : { workers: p.workers }),
    };
    started.push(await fork('proxy', PROXY_ENTRY, proxyConfig, [...PROXY_NODE_FLAGS], spec.proxy.limits?.fds));
  } catch (err) {
    await Promise.all(started.map((c) => c.stop(graceMs)));
    unregister();
    throw err;
  }
  return assemble(spec, started, graceMs, unregister, tlsMaterial);
}

function assemble(spec: LabSpec, children: ComponentProcess[], graceMs: number, unregister: () => void, tlsMaterial: TlsMaterial | undefined): Lab {
  const proxy = children[children.length - 1] as ComponentProcess;
  const backends = children.slice(0, -1);
  const components: LabComponent[] = backends.map((b) => ({
    id: b.id,
    kind: 'backend',
    pid: b.pid,
    host: spec.backends.host,
    port: b.port,
    url: wsUrl(spec.backends.host, b.port),
    adminUrl: httpUrl(spec.backends.host, b.port, STATS_PATH),
  }));
  const proxyUrl = tlsMaterial === undefined ? wsUrl(spec.proxy.host, proxy.port) : wsUrl(spec.proxy.host, proxy.port).replace(/^ws:/, 'wss:');
  components.push({
    id: 'proxy',
    kind: 'proxy',
    pid: proxy.pid,
    host: spec.proxy.host,
    port: proxy.port,
    url: proxyUrl,
    adminUrl: httpUrl(ADMIN_HOST, proxy.adminPort, '/stats'),
  });

  let stopping: Promise<void> | undefined;
  const died = new Promise<string>((resolve) => {
    for (const c of children) {
      const kind = c === proxy ? 'proxy' : 'backend';
      void c.exited.then(async () => {
        if (stopping) return;
        const info = await c.closed;
        const tail = c.stderrTail();
        resolve(`Lab ${kind} ${c.id} (pid ${c.pid}) exited unexpectedly (${describeExit(info)})${tail ? `: ${tail}` : '.'}`);
      });
    }
  });

  const stats = async (): Promise<LabStats> => {
    const byId = new Map(components.map((c) => [c.id, c.adminUrl]));
    const [backendStats, proxyStats] = await Promise.all([
      Promise.all(backends.map((b) => getJson<BackendStats>(byId.get(b.id) ?? ''))),
      getJson<ProxyStats>(byId.get('proxy') ?? ''),
    ]);
    return { backends: backendStats, proxy: proxyStats };
  };

  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      // The proxy first, so clients see one clean close rather than backends vanishing behind it.
      await proxy.stop(graceMs);
      await Promise.all(backends.map((b) => b.stop(graceMs)));
      unregister();
    })();
    return stopping;
  };

  return { components, entryUrl: proxyUrl, stats, stop, died, ...(tlsMaterial === undefined ? {} : { ca: tlsMaterial.cert }) };
}

function validate(spec: LabSpec): void {
  const { count, kind } = spec.backends;
  if (!Number.isInteger(count) || count < 1) {
    throw new WsherdError('WSH_ERR_INVALID_INPUT', `lab.backends.count must be a whole number >= 1, got ${count}.`, { hint: 'Set lab.backends.count, e.g. 3.' });
  }
  if (kind !== 'ws' && kind !== 'socketio') {
    throw new WsherdError('WSH_ERR_INVALID_INPUT', `lab.backends.kind "${String(kind)}" is not supported; valid kinds: ws, socketio.`, { hint: 'Use kind: ws or kind: socketio.' });
  }
  assertProxyMode(spec.proxy.mode);
  // Builds (and drops) one instance so bad options fail here, not in the child; a sticky one gets an unref'd memory store.
  createStrategy(spec.proxy.strategy, spec.proxy.options ?? {});
  assertStrategyMode(spec.proxy.strategy, spec.proxy.mode);
  checkFdLimit('lab.backends.limits.fds', spec.backends.limits?.fds);
  checkFdLimit('lab.proxy.limits.fds', spec.proxy.limits?.fds);
}

/** A limit can be lowered by anyone, raised only up to the hard limit (and, here, not at all): say so before forking. */
function checkFdLimit(what: string, fds: number | undefined): void {
  if (fds === undefined) return;
  const hard = fdHardLimit();
  if (hard > 0 && fds > hard) {
    throw new WsherdError('WSH_ERR_INVALID_INPUT', `${what} is ${fds}, above this machine's hard limit of ${hard} open files.`, {
      hint: `Use at most ${hard}; a process may lower its limit but not raise it past the hard limit (ulimit -Hn).`,
    });
  }
}
