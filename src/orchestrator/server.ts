/**
 * wsherd's reference orchestrator: the "ask, then connect directly" way of balancing WebSockets. Backends register
 * and heartbeat their load over a small authenticated HTTP API; clients GET an endpoint (a backend URL, a lease and
 * fallbacks) and connect to it themselves, so no proxy sits in the data path and a balancer's limits (its file
 * descriptors, its ephemeral ports) never apply. What it costs instead, a lookup before every connect and load
 * that is only as fresh as the last heartbeat, is what the lab measures.
 *
 * Errors are JSON `{error: {code, message}}` with a status that says who must act: 400 bad input, 401 no or wrong
 * token, 404 unknown backend or route, 503 nothing to hand out (no_backend) or the shared registry unreachable.
 */
import http from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import { WsherdError } from '../errors.js';
import { listenOn } from '../lab/listen.js';
import { HealthChecks, type OrchestratorHealthOptions } from './health.js';
import { ORCHESTRATOR_STRATEGIES, Picker, type Candidate, type OrchestratorStrategy } from './pick.js';
import type { RegisteredBackend, Registry } from './registry.js';

export type { OrchestratorStrategy } from './pick.js';

export interface OrchestratorOptions {
  /** Listen address. Default 127.0.0.1. */
  host?: string;
  /** Listen port; 0 (default) picks an ephemeral one. */
  port?: number;
  /** Bearer token the backend (admin) API requires. Clients asking for an endpoint need none. */
  token: string;
  strategy: OrchestratorStrategy;
  registry: Registry;
  /** Active TCP checks of every registered backend. Absent: none (heartbeats alone decide). */
  health?: OrchestratorHealthOptions;
  /** A backend whose last heartbeat is older than this is down, ms. Default 3000. */
  heartbeatTimeoutMs?: number;
  /** The lease an endpoint answer carries: expiresAt = now + leaseMs. Default 60000. */
  leaseMs?: number;
  /** How many fallback URLs an endpoint answer lists. Default 2. */
  fallbacks?: number;
  /** PRNG seed for power-of-two-choices (reproducible tests). Default: from the OS. */
  seed?: number;
}

export interface OrchestratorStats {
  strategy: OrchestratorStrategy;
  registry: 'memory' | 'redis';
  /** Every HTTP request answered. */
  requests: number;
  /** Endpoint answers given (successful GET /v1/endpoint). */
  endpoints: number;
  /** Endpoint answers per chosen backend id. */
  handedOut: Record<string, number>;
  /** Error answers by code (no_backend, unauthorized, …). */
  errors: Record<string, number>;
}

export interface RunningOrchestrator {
  port: number;
  /** http://host:port */
  url: string;
  stats(): OrchestratorStats;
  close(): Promise<void>;
}

/** The most a request body may hold: registration and heartbeat bodies are a few dozen bytes. */
const MAX_BODY_BYTES = 64 * 1024;
const ID_PATTERN = /^[A-Za-z0-9._-]{1,128}$/;

class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export async function startOrchestrator(opts: OrchestratorOptions): Promise<RunningOrchestrator> {
  validate(opts);
  const { registry } = opts;
  if (opts.heartbeatTimeoutMs !== undefined) registry.heartbeatTimeoutMs = opts.heartbeatTimeoutMs;
  const leaseMs = opts.leaseMs ?? 60_000;
  const fallbacks = opts.fallbacks ?? 2;
  const picker = new Picker(opts.strategy, opts.seed);
  const health = opts.health === undefined ? undefined : new HealthChecks(opts.health, () => registry.list());
  const token = Buffer.from(opts.token);
  const stats: OrchestratorStats = { strategy: opts.strategy, registry: registry.kind, requests: 0, endpoints: 0, handedOut: {}, errors: {} };

  const authorize = (req: http.IncomingMessage): void => {
    const m = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
    const given = Buffer.from(m?.[1] ?? '');
    if (given.length !== token.length || !timingSafeEqual(given, token)) {
      throw new ApiError(401, 'unauthorized', 'This API needs Authorization: Bearer <token> with the orchestrator token.');
    }
  };

  const candidates = (list: RegisteredBackend[]): Candidate[] =>
    list.map((b) => ({ backend: b, eligible: b.state === 'up' && (health?.isUp(b.id, b.url) ?? true) }));

  const describe = (b: RegisteredBackend): Record<string, unknown> => {
    const check = health?.describe(b.id);
    const down = b.state === 'up' && health !== undefined && !health.isUp(b.id, b.url);
    return {
      ...b,
      lastHeartbeat: new Date(b.lastHeartbeat).toISOString(),
      state: down ? 'down' : b.state,
      ...(check === undefined ? {} : { check: check.check, ...(check.lastError === undefined ? {} : { checkError: check.lastError }) }),
    };
  };

  async function endpoint(url: URL): Promise<unknown> {
    const client = url.searchParams.get('client');
    if (client === null || client === '') throw new ApiError(400, 'missing_client', 'GET /v1/endpoint needs ?client=<id> (a stable id per client).');
    const chosen = picker.choose(candidates(await registry.list()), client, 1 + fallbacks);
    const first = chosen[0];
    if (first === undefined) throw new ApiError(503, 'no_backend', 'No backend is up (registered, heartbeating, passing checks, not drained).');
    // Counting must not fail the client: a lost increment only makes least-loaded slightly less exact.
    void registry.handOut(first.id).catch(() => {
      stats.errors['handout_unrecorded'] = (stats.errors['handout_unrecorded'] ?? 0) + 1;
    });
    stats.endpoints++;
    stats.handedOut[first.id] = (stats.handedOut[first.id] ?? 0) + 1;
    return { url: first.url, backendId: first.id, expiresAt: new Date(Date.now() + leaseMs).toISOString(), fallbacks: chosen.slice(1).map((b) => b.url) };
  }

  async function route(req: http.IncomingMessage, url: URL): Promise<[number, unknown]> {
    const method = req.method ?? 'GET';
    const path = url.pathname.replace(/\/+$/, '');
    if (path === '/v1/endpoint') {
      allow(method, 'GET');
      return [200, await endpoint(url)];
    }
    if (path === '/v1/stats') {
      allow(method, 'GET');
      return [200, stats];
    }
    if (path === '/v1/backends') {
      allow(method, 'GET', 'POST');
      authorize(req);
      if (method === 'GET') return [200, { backends: (await registry.list()).map(describe) }];
      const body = registration(await readJson(req));
      return [201, describe(await registry.register(body))];
    }
    const m = /^\/v1\/backends\/([^/]+)(?:\/(heartbeat|drain|undrain))?$/.exec(path);
    if (m === null) throw new ApiError(404, 'not_found', `No such route: ${method} ${url.pathname}`);
    let id: string;
    try {
      id = decodeURIComponent(m[1] ?? '');
    } catch {
      throw new ApiError(400, 'invalid_id', `The backend id in ${url.pathname} is not valid percent-encoding.`);
    }
    const action = m[2];
    if (action === undefined) allow(method, 'DELETE');
    else allow(method, action === 'heartbeat' ? 'PUT' : 'POST');
    authorize(req);
    const unknown = (): ApiError => new ApiError(404, 'unknown_backend', `No backend "${id}" is registered.`);
    if (action === 'heartbeat') {
      const load = connectionsOf(await readJson(req));
      if (!(await registry.heartbeat(id, load))) throw unknown();
      return [200, { ok: true }];
    }
    if (action === undefined) {
      if (!(await registry.deregister(id))) throw unknown();
      return [200, { ok: true }];
    }
    if (!(await registry.setDrain(id, action === 'drain'))) throw unknown();
    return [200, { ok: true }];
  }

  const server = http.createServer((req, res) => {
    stats.requests++;
    const url = new URL(req.url ?? '/', 'http://orchestrator');
    route(req, url).then(
      ([status, body]) => send(res, status, body),
      (err: unknown) => {
        const e = toApiError(err);
        stats.errors[e.code] = (stats.errors[e.code] ?? 0) + 1;
        send(res, e.status, { error: { code: e.code, message: e.message } });
      },
    );
  });
  const host = opts.host ?? '127.0.0.1';
  const port = await listenOn(server, host, opts.port ?? 0, 'orchestrator');
  health?.start();

  let closing: Promise<void> | undefined;
  return {
    port,
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    stats: () => structuredClone(stats),
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        health?.stop();
        server.close(() => resolve());
        server.closeAllConnections();
      }).then(() => registry.close());
      return closing;
    },
  };
}

function validate(opts: OrchestratorOptions): void {
  const problems: string[] = [];
  if (typeof opts.token !== 'string' || opts.token.length === 0) problems.push('token must be a non-empty string');
  if (!ORCHESTRATOR_STRATEGIES.includes(opts.strategy)) problems.push(`strategy must be one of ${ORCHESTRATOR_STRATEGIES.join(', ')}, got "${String(opts.strategy)}"`);
  for (const [key, min] of [['heartbeatTimeoutMs', 1], ['leaseMs', 1], ['fallbacks', 0]] as const) {
    const v = opts[key];
    if (v !== undefined && (!Number.isInteger(v) || v < min)) problems.push(`${key} must be an integer >= ${min}, got ${v}`);
  }
  if (problems.length > 0) {
    throw new WsherdError('WSH_ERR_INVALID_INPUT', `Invalid orchestrator options: ${problems.join('; ')}.`, {
      hint: 'e.g. { token: "secret", strategy: "least-loaded", heartbeatTimeoutMs: 3000 }',
    });
  }
}

function allow(method: string, ...methods: string[]): void {
  if (!methods.includes(method)) throw new ApiError(405, 'method_not_allowed', `Use ${methods.join(' or ')} here, not ${method}.`);
}

function registration(body: unknown): { id: string; url: string; weight?: number } {
  const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const problems: string[] = [];
  const { id, url, weight } = b;
  if (typeof id !== 'string' || !ID_PATTERN.test(id)) problems.push('id must be 1-128 characters of A-Z a-z 0-9 . _ -');
  if (typeof url !== 'string' || !isWsUrl(url)) problems.push('url must be a ws:// or wss:// URL');
  if (weight !== undefined && (typeof weight !== 'number' || !Number.isFinite(weight) || weight <= 0 || weight > 10_000)) {
    problems.push('weight must be a number > 0 and <= 10000');
  }
  if (problems.length > 0) throw new ApiError(400, 'invalid_body', `Bad registration: ${problems.join('; ')}.`);
  return { id: id as string, url: url as string, ...(weight === undefined ? {} : { weight: weight as number }) };
}

function connectionsOf(body: unknown): number {
  const c = typeof body === 'object' && body !== null ? (body as Record<string, unknown>)['connections'] : undefined;
  if (typeof c !== 'number' || !Number.isInteger(c) || c < 0) {
    throw new ApiError(400, 'invalid_body', 'A heartbeat body is {"connections": <integer >= 0>}.');
  }
  return c;
}

export function isWsUrl(s: string): boolean {
  try {
    const u = new URL(s);
    return (u.protocol === 'ws:' || u.protocol === 'wss:') && u.hostname !== '';
  } catch {
    return false;
  }
}

function readJson(req: http.IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        // Keep reading (and dropping) so the 413 can still be answered on this connection.
        reject(new ApiError(413, 'body_too_large', `Request bodies are limited to ${MAX_BODY_BYTES} bytes.`));
      } else chunks.push(c);
    });
    req.on('error', reject);
    req.on('end', () => {
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      } catch {
        reject(new ApiError(400, 'invalid_json', 'The request body is not JSON.'));
      }
    });
  });
}

function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  // Anything else comes from the registry (Redis down, timed out): the client may retry shortly.
  const message = err instanceof Error ? err.message : String(err);
  return new ApiError(503, 'registry_unavailable', `The backend registry is unavailable: ${message}`);
}

function send(res: http.ServerResponse, status: number, body: unknown): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
  res.end(text);
}
