/**
 * `--workers N`: a primary process forks N workers that share the listening port (Node cluster with
 * SCHED_NONE: each worker accepts on the shared socket and the kernel spreads connections, so the primary never
 * touches client traffic). Workers use both cores and have one fd limit each. The primary owns what must be
 * one: the admin endpoint (merged stats; /backends changes applied to every worker), the certificate, the cookie
 * secret, and sticky tables kept in memory. A worker that dies is counted and replaced.
 */
import cluster, { type Worker } from 'node:cluster';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import type { ProxyStats } from '../results/lab-types.js';
import { listenOn } from '../lab/listen.js';
import { WsherdError } from '../errors.js';
import { fdLimit, openFds, rssBytes } from '../probes/proc.js';
import { bump } from './accept.js';
import { isBackendsPath, readBackendsCommand, send, type BackendsCommand } from './admin-backends.js';
import { toPrometheus } from './admin.js';
import type { ToPrimary, ToWorker, WorkerConfig } from './cluster-protocol.js';
import { startLoopLag } from './loop-lag.js';
import { needsStore, PROXY_NODE_FLAGS, type ProxyOptions, type RunningProxy } from './server.js';
import { mergeStats } from './stats-merge.js';
import { MemoryStore } from './store/memory.js';
import { STATS_PATH } from '../backend/identity.js';
import { loadTls } from './tls.js';

const WORKER_ENTRY = new URL('./cluster-worker.js', import.meta.url);
const START_TIMEOUT_MS = 15_000;
const ASK_TIMEOUT_MS = 2000;

export async function startCluster(opts: ProxyOptions): Promise<RunningProxy> {
  if (!cluster.isPrimary) throw new WsherdError('WSH_ERR_INTERNAL', 'A proxy worker cannot start workers of its own.');
  const tlsMaterial = opts.tls === undefined ? undefined : loadTls(opts.tls);
  const memoryTables = needsStore(opts) && (opts.store === undefined || opts.store === 'memory') ? new MemoryStore() : undefined;
  // Every worker must accept every other worker's cookies: one secret, made here unless given.
  const strategyOptions = opts.strategy === 'cookie' && opts.strategyOptions?.cookieSecret === undefined ? { ...opts.strategyOptions, cookieSecret: randomBytes(24).toString('hex') } : opts.strategyOptions;
  // Node's cluster shares one listening handle per (address, port): workers of two clusters in one process that
  // both listen on port 0 would share a port. A concrete port, found here, keeps each cluster on its own.
  const port0 = opts.port === undefined || opts.port === 0 ? await freePort(opts.host ?? '127.0.0.1') : opts.port;
  const config: WorkerConfig = {
    opts: { ...opts, port: port0, workers: 1, ...(strategyOptions === undefined ? {} : { strategyOptions }) },
    ...(tlsMaterial === undefined ? {} : { tlsPem: { cert: tlsMaterial.cert, key: tlsMaterial.key } }),
    store: !needsStore(opts) ? 'none' : memoryTables !== undefined ? 'primary' : 'own',
    clusterSize: opts.workers ?? 1,
  };
  cluster.schedulingPolicy = cluster.SCHED_NONE;
  // The config (cookie secret, TLS key, store URL with its password) goes over IPC, never argv: /proc/PID/cmdline
  // is world-readable.
  cluster.setupPrimary({ exec: fileURLToPath(WORKER_ENTRY), args: [], execArgv: [...PROXY_NODE_FLAGS] });

  const primaryErrors: Record<string, number> = {};
  const lag = startLoopLag();
  const workers = new Set<Worker>();
  let closing = false;
  let started = false;
  let nextId = 1;
  const pending = new Map<number, (value: unknown) => void>();

  const onMessage = (w: Worker, msg: ToPrimary): void => {
    if (msg.t === 'awaiting-config') w.send({ t: 'config', config } satisfies ToWorker);
    else if (msg.t === 'reply') {
      pending.get(msg.id)?.(msg.value);
      pending.delete(msg.id);
    } else if (msg.t === 'store' && memoryTables !== undefined) {
      const reply = (value?: string, error?: string): void => {
        if (w.isConnected()) w.send({ t: 'store-reply', id: msg.id, ...(value === undefined ? {} : { value }), ...(error === undefined ? {} : { error }) } satisfies ToWorker);
      };
      const op = msg.op === 'get' ? memoryTables.get(msg.table, msg.key) : msg.op === 'set' ? memoryTables.set(msg.table, msg.key, msg.value, msg.ttlMs) : memoryTables.delete(msg.table, msg.key);
      op.then((v) => reply(v ?? undefined), (err: unknown) => reply(undefined, String(err)));
    }
  };

  /** Forks one worker and resolves with its port once it listens. */
  const fork = (): Promise<number> =>
    new Promise((resolve, reject) => {
      const w = cluster.fork();
      workers.add(w);
      const timer = setTimeout(() => reject(new WsherdError('WSH_ERR_LAB_START', `Proxy worker ${w.process.pid ?? '?'} did not start within ${START_TIMEOUT_MS} ms.`)), START_TIMEOUT_MS);
      w.on('message', (msg: ToPrimary) => {
        if (msg.t === 'ready') {
          clearTimeout(timer);
          resolve(msg.port);
        } else if (msg.t === 'failed') {
          clearTimeout(timer);
          reject(new WsherdError((msg.code as 'WSH_ERR_INVALID_INPUT' | undefined) ?? 'WSH_ERR_LAB_START', msg.message));
        } else onMessage(w, msg);
      });
      w.once('exit', (code, signal) => {
        workers.delete(w);
        clearTimeout(timer);
        reject(new WsherdError('WSH_ERR_LAB_START', `Proxy worker exited during start (${signal ?? `code ${code}`}).`));
        if (closing || !started) return;
        // A worker lost mid-run: its clients' connections died with it. Count it and keep serving with a new one.
        bump(primaryErrors, 'worker_exit');
        fork().catch(() => bump(primaryErrors, 'worker_restart_failed'));
      });
    });

  const stopWorkers = async (): Promise<void> => {
    closing = true;
    lag.stop();
    await Promise.all(
      [...workers].map(
        (w) =>
          new Promise<void>((resolve) => {
            if (w.isDead()) return resolve();
            const kill = setTimeout(() => w.process.kill('SIGKILL'), 3000);
            w.once('exit', () => {
              clearTimeout(kill);
              resolve();
            });
            if (w.isConnected()) w.send({ t: 'shutdown' } satisfies ToWorker);
            else w.process.kill('SIGTERM');
          }),
      ),
    );
    await memoryTables?.close();
  };

  let port: number;
  try {
    const ports = await Promise.all(Array.from({ length: opts.workers ?? 1 }, () => fork()));
    port = ports[0] as number;
    started = true;
  } catch (err) {
    await stopWorkers();
    throw err;
  }

  /** Asks every live worker; answers that do not come within the timeout are left out. */
  const askAll = async <T>(make: (id: number) => ToWorker): Promise<T[]> => {
    const answers = await Promise.all(
      [...workers].filter((w) => w.isConnected()).map(
        (w) =>
          new Promise<T | undefined>((resolve) => {
            const id = nextId++;
            const timer = setTimeout(() => {
              pending.delete(id);
              resolve(undefined);
            }, ASK_TIMEOUT_MS);
            pending.set(id, (v) => {
              clearTimeout(timer);
              resolve(v as T);
            });
            w.send(make(id));
          }),
      ),
    );
    return answers.filter((a): a is Awaited<T> => a !== undefined) as T[];
  };

  const stats = async (): Promise<ProxyStats> => {
    const list = await askAll<ProxyStats>((id) => ({ t: 'stats', id }));
    if (list.length === 0) throw new Error('no proxy worker answered');
    return mergeStats(list, {
      pid: process.pid,
      fds: openFds(),
      fdLimit: fdLimit(),
      rssBytes: rssBytes(),
      eventLoopLagMs: lag.ms(),
      errors: primaryErrors,
      ...(memoryTables === undefined ? {} : { tables: memoryTables.sizes() }),
    });
  };

  const admin = createClusterAdmin(stats, (cmd) => askAll<[number, unknown]>((id) => ({ t: 'backends', id, cmd })));
  let adminPort: number;
  try {
    adminPort = await listenOn(admin, opts.adminHost ?? '127.0.0.1', opts.adminPort ?? 0, 'proxy admin');
  } catch (err) {
    await stopWorkers();
    throw err;
  }
  let lastStats: ProxyStats | undefined;
  const refresh = setInterval(() => {
    stats().then((s) => (lastStats = s), () => {});
  }, 1000);
  refresh.unref();
  lastStats = await stats().catch(() => undefined);

  let closed: Promise<void> | undefined;
  return {
    port,
    adminPort,
    ...(tlsMaterial === undefined ? {} : { tls: tlsMaterial }),
    // Synchronous callers get the last merged view (at most a second old); the admin endpoint asks afresh.
    stats: () => {
      if (lastStats === undefined) throw new Error('proxy workers have not reported yet');
      return lastStats;
    },
    close: () => {
      closed ??= (async () => {
        clearInterval(refresh);
        const done = new Promise<void>((resolve) => admin.close(() => resolve()));
        admin.closeAllConnections();
        await Promise.all([done, stopWorkers()]);
      })();
      return closed;
    },
  };
}

/** The admin endpoint of a cluster: the same routes as one process's (admin.ts), answered by asking the workers. */
function createClusterAdmin(stats: () => Promise<ProxyStats>, backends: (cmd: BackendsCommand) => Promise<Array<[number, unknown]>>): http.Server {
  return http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (isBackendsPath(path)) {
      void readBackendsCommand(req, path)
        .then(async (cmd) => {
          if (cmd === undefined) return send(res, 404, { error: `No route ${path}.` });
          // Every worker applies the change; they hold the same set, so the first answer stands for all.
          const answers = await backends(cmd);
          const [status, body] = answers[0] ?? [503, { error: 'no proxy worker answered' }];
          send(res, status, cmd.method === 'GET' && cmd.id === undefined ? (answers.length > 0 ? (await stats()).backends : body) : body);
        })
        .catch((err: unknown) => send(res, (err as { status?: number }).status ?? 500, { error: err instanceof Error ? err.message : String(err) }));
      return;
    }
    if (req.method !== 'GET') {
      res.writeHead(405, { 'content-type': 'text/plain', allow: 'GET' }).end('Only GET is supported.\n');
      return;
    }
    if (path !== '/' && path !== '/stats' && path !== STATS_PATH && path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('Not found: try GET /stats or GET /metrics\n');
      return;
    }
    stats().then(
      (s) => {
        if (path === '/metrics') res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }).end(toPrometheus(s));
        else res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(s));
      },
      (err: unknown) => res.writeHead(503, { 'content-type': 'text/plain' }).end(`${String(err)}\n`),
    );
  });
}

/** A port the kernel considers free on `host` right now. */
async function freePort(host: string): Promise<number> {
  const probe = net.createServer();
  const port = await listenOn(probe, host, 0, 'proxy');
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}
