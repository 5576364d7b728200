/**
 * What a backend runs to take part in orchestration: register with the orchestrator, then report its open
 * connections every intervalMs so least-loaded and power-of-two-choices see real load, and deregister on the way
 * out so clients stop being sent to it at once rather than after the heartbeat timeout.
 *
 * The orchestrator may start after the backend, restart, or lose its (in-memory) registry: registration is
 * retried with a back-off from 100 ms doubling to 2 s (bounded so a late orchestrator is joined within ~2 s of
 * coming up), and a heartbeat answered 404 (the orchestrator forgot us) sends the agent back to registering.
 */
import http from 'node:http';

export interface AgentOptions {
  /** The orchestrator's base URL, http://host:port. */
  orchestratorUrl: string;
  /** The bearer token of its backend API. */
  token: string;
  /** This backend's id. */
  id: string;
  /** The ws:// or wss:// URL clients should connect to. */
  url: string;
  /** Relative capacity reported at registration. Default 1 (the orchestrator's default). */
  weight?: number;
  /** Heartbeat period, ms. Keep it well under the orchestrator's heartbeatTimeoutMs (default 3000). */
  intervalMs: number;
  /** Open connections right now (the heartbeat's `connections`). */
  load: () => number;
  /** Per-request timeout, ms. Default 2000. */
  requestTimeoutMs?: number;
}

export interface RunningAgent {
  /** Resolves once the first registration succeeded (never rejects; stop() before that leaves it pending). */
  readonly registered: Promise<void>;
  /** Counters for tests and the backend's stats. */
  stats(): { registrations: number; heartbeats: number; failures: number; lastError: string | undefined };
  /** Stops heartbeating and deregisters (best effort, about 1 s at most). */
  stop(): Promise<void>;
}

const BACKOFF_MIN_MS = 100;
const BACKOFF_MAX_MS = 2000;
const STOP_TIMEOUT_MS = 1000;

export function startAgent(opts: AgentOptions): RunningAgent {
  const base = opts.orchestratorUrl.replace(/\/+$/, '');
  const timeoutMs = opts.requestTimeoutMs ?? 2000;
  const counters = { registrations: 0, heartbeats: 0, failures: 0, lastError: undefined as string | undefined };
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let backoff = BACKOFF_MIN_MS;
  let inFlight: Promise<unknown> | undefined;
  let onRegistered: () => void = () => {};
  const registered = new Promise<void>((resolve) => (onRegistered = resolve));

  const call = (method: string, path: string, body: unknown, ms = timeoutMs): Promise<number> => {
    const p = requestStatus(method, `${base}${path}`, opts.token, body, ms);
    inFlight = p.catch(() => undefined);
    return p;
  };
  const failed = (why: string): void => {
    counters.failures++;
    counters.lastError = why;
  };
  const later = (fn: () => void, ms: number): void => {
    if (stopped) return;
    timer = setTimeout(fn, ms);
    // The backend's own listener keeps its process alive; the agent must never be what keeps it from exiting.
    timer.unref();
  };

  const register = (): void => {
    timer = undefined;
    const body = { id: opts.id, url: opts.url, ...(opts.weight === undefined ? {} : { weight: opts.weight }) };
    call('POST', '/v1/backends', body).then(
      (status) => {
        if (stopped) return;
        if (status === 201) {
          counters.registrations++;
          backoff = BACKOFF_MIN_MS;
          onRegistered();
          // Registration counts as a heartbeat with load 0: report the real load right away.
          heartbeat();
          return;
        }
        failed(`register: HTTP ${status}`);
        retryRegister();
      },
      (err: Error) => {
        if (stopped) return;
        failed(`register: ${err.message}`);
        retryRegister();
      },
    );
  };
  const retryRegister = (): void => {
    later(register, backoff);
    backoff = Math.min(backoff * 2, BACKOFF_MAX_MS);
  };

  const heartbeat = (): void => {
    timer = undefined;
    call('PUT', `/v1/backends/${encodeURIComponent(opts.id)}/heartbeat`, { connections: Math.max(0, Math.floor(opts.load())) }).then(
      (status) => {
        if (stopped) return;
        if (status === 404) {
          // The orchestrator restarted or was told to forget us: join again.
          failed('heartbeat: HTTP 404 (not registered)');
          register();
          return;
        }
        if (status === 200) counters.heartbeats++;
        else failed(`heartbeat: HTTP ${status}`);
        later(heartbeat, opts.intervalMs);
      },
      (err: Error) => {
        if (stopped) return;
        failed(`heartbeat: ${err.message}`);
        later(heartbeat, opts.intervalMs);
      },
    );
  };

  register();

  return {
    registered,
    stats: () => ({ ...counters }),
    stop: async () => {
      if (stopped) return;
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      const deadline = Date.now() + STOP_TIMEOUT_MS;
      // A registration still in flight would otherwise land after the deregistration and leave us listed.
      let wait: NodeJS.Timeout | undefined;
      await Promise.race([inFlight, new Promise((r) => (wait = setTimeout(r, STOP_TIMEOUT_MS / 2)))]);
      clearTimeout(wait);
      const left = Math.max(100, deadline - Date.now());
      await requestStatus('DELETE', `${base}/v1/backends/${encodeURIComponent(opts.id)}`, opts.token, undefined, left).catch(() => undefined);
    },
  };
}

/** One request without keep-alive (nothing lingers between heartbeats); resolves with the status, body discarded. */
function requestStatus(method: string, url: string, token: string, body: unknown, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const text = body === undefined ? undefined : JSON.stringify(body);
    const headers: Record<string, string | number> = { authorization: `Bearer ${token}` };
    if (text !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = Buffer.byteLength(text);
    }
    const req = http.request(url, { method, headers, agent: false, timeout: timeoutMs }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (err: NodeJS.ErrnoException) => reject(new Error(err.code ?? err.message)));
    req.end(text);
  });
}

/** The optional `orchestrator` field of a reference backend's child config. */
export interface BackendOrchestratorConfig {
  /** The orchestrator's base URL, http://host:port. */
  url: string;
  token: string;
  /** Heartbeat period, ms. Default 1000 (a third of the orchestrator's default heartbeat timeout). */
  intervalMs?: number;
  /** The URL clients are told to connect to. Default ws://<host>:<port>/ (127.0.0.1 for a wildcard host). */
  advertiseUrl?: string;
  weight?: number;
}

/** Starts the agent of a reference backend child when its config asks for one (src/backend/main.ts). */
export function startAgentFor(
  config: { id: string; host?: string; orchestrator?: BackendOrchestratorConfig },
  port: number,
  load: () => number,
): RunningAgent | undefined {
  const o = config.orchestrator;
  if (o === undefined) return undefined;
  const host = config.host === undefined || config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  const url = o.advertiseUrl ?? `ws://${host.includes(':') ? `[${host}]` : host}:${port}/`;
  return startAgent({
    orchestratorUrl: o.url,
    token: o.token,
    id: config.id,
    url,
    intervalMs: o.intervalMs ?? 1000,
    load,
    ...(o.weight === undefined ? {} : { weight: o.weight }),
  });
}
