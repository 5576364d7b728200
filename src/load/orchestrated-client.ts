/**
 * The `orchestrated` engine: a client that asks an orchestrator where to go, then connects there directly, the
 * way clients of an orchestrator-balanced service (a matchmaker, a "get me a gateway" API) do. The slot's client
 * id (`c<slot>`) is stable, so consistent hashing keeps a slot on one backend across reconnects, and every start
 * asks again, so a reconnect follows drains, removals and load.
 *
 * Accounting is one client = one attempt, as with every engine: the lookup, the connect to the URL given and the
 * connects to its fallbacks together count `attempted` once and `established` or `failed` once. A fallback URL that
 * fails before its WebSocket is up is not a client failure: it is counted in `fallbacksUsed` (and its errors are
 * dropped); only when the last URL fails does the client fail, with that attempt's error. The lookup's duration
 * goes into the `lookup` histogram whenever the orchestrator answered.
 *
 * Lookup failures are classified `orchestrator_timeout` (no answer within behavior.connectTimeoutMs),
 * `orchestrator_refused` (ECONNREFUSED), `orchestrator_http_<status>` (not 200), `orchestrator_malformed` (not
 * the documented JSON, or a url that is not ws:// or wss://), and `orchestrator_<code>` for other socket errors.
 */
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { AttemptRecorder } from './attempt-recorder.js';
import { CANCELLED, classifyError } from './classify.js';
import type { LoadClient } from './client.js';
import type { Wakeable } from './wheel.js';
import type { ClientContext, ClientState } from './ws-client.js';
import { newWsClient } from './ws-pick.js';
import { clientHeaders } from './client-templates.js';
import { requestHeaders, type PreparedHeaders } from './request-headers.js';

/** An endpoint answer larger than this is not one (the documented answer is a few hundred bytes). */
const MAX_ANSWER_BYTES = 64 * 1024;

/** The orchestrator's answer to GET /v1/endpoint, as far as the client needs it. */
export interface EndpointAnswer {
  url: string;
  backendId?: string;
  expiresAt?: string;
  fallbacks: string[];
}

interface Failure {
  code: string;
  sample?: string;
}

export class OrchestratedClient implements LoadClient, Wakeable {
  wakeTick = -1;
  /** Fallback URLs tried because the URL before them failed before its WebSocket was established. */
  fallbacksUsed = 0;
  /** The last endpoint answer (for tests and debugging). */
  endpoint: EndpointAnswer | undefined;
  private phase: 'idle' | 'lookup' | 'connect' | 'done' = 'idle';
  private req: http.ClientRequest | undefined;
  private deadline = 0;
  private inner: LoadClient | undefined;
  private remaining: string[] = [];
  private localAddress: string | undefined;
  private stopping = false;
  /** The current inner attempt's failure, held back until we know whether a fallback follows. */
  private held: Failure | undefined;
  private readonly innerCtx: ClientContext;

  constructor(
    private readonly ctx: ClientContext,
    readonly slot: number,
  ) {
    // Every inner failure is held back: onInnerEnd decides whether a fallback follows or the client failed.
    const attempts = new AttemptRecorder(ctx.recorder, {
      holdFailure: () => true,
      heldError: (code, sample) => (this.held = { code, ...(sample === undefined ? {} : { sample }) }),
    });
    this.innerCtx = { ...ctx, recorder: attempts.asRecorder(), onEnd: () => this.onInnerEnd() };
  }

  get state(): ClientState {
    if (this.inner !== undefined) return this.inner.state;
    return this.phase === 'idle' ? 'idle' : this.phase === 'done' ? 'closed' : 'connecting';
  }

  get backend(): string | undefined {
    return this.inner?.backend;
  }

  /** `url`: the orchestrator's base URL, http://host:port. */
  start(url: string, localAddress?: string): void {
    if (this.phase !== 'idle') return;
    this.phase = 'lookup';
    this.localAddress = localAddress;
    const started = performance.now();
    this.deadline = started + this.ctx.behavior.connectTimeoutMs;
    this.ctx.wheel.schedule(this, this.deadline);
    let target: URL;
    try {
      target = new URL('/v1/endpoint', url);
      target.searchParams.set('client', `c${this.slot}`);
    } catch {
      this.lookupFailed({ code: 'orchestrator_malformed', sample: `not an orchestrator URL: ${url}` });
      return;
    }
    const req = http.get(target, { agent: false, headers: lookupHeaders(clientHeaders(this.ctx, this.slot)), ...(localAddress ? { localAddress } : {}) }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size <= MAX_ANSWER_BYTES) chunks.push(c);
      });
      res.on('error', (err) => this.onLookupError(err));
      res.on('end', () => {
        if (this.req !== req) return;
        this.req = undefined;
        this.ctx.recorder.record('lookup', (performance.now() - started) * 1000);
        const body = Buffer.concat(chunks).toString('utf8');
        if (res.statusCode !== 200) {
          this.lookupFailed({ code: `orchestrator_http_${res.statusCode ?? 0}`, sample: body.slice(0, 200) });
          return;
        }
        const answer = size <= MAX_ANSWER_BYTES ? parseEndpoint(body) : undefined;
        if (answer === undefined) this.lookupFailed({ code: 'orchestrator_malformed', sample: body.slice(0, 200) });
        else this.connect(answer);
      });
    });
    this.req = req;
    req.on('error', (err) => this.onLookupError(err));
  }

  close(): void {
    this.stop(false);
  }

  terminate(): void {
    this.stop(true);
  }

  wake(now: number): void {
    if (this.phase !== 'lookup') return;
    if (now >= this.deadline) this.lookupFailed({ code: 'orchestrator_timeout' });
    else this.ctx.wheel.schedule(this, this.deadline);
  }

  private stop(hard: boolean): void {
    if (this.phase === 'idle' || this.phase === 'lookup') {
      this.lookupFailed({ code: CANCELLED });
      return;
    }
    this.stopping = true;
    if (hard) this.inner?.terminate();
    else this.inner?.close();
  }

  private onLookupError(err: Error): void {
    if (this.phase !== 'lookup') return;
    const code = classifyError(err);
    this.lookupFailed({ code: code === 'ECONNREFUSED' ? 'orchestrator_refused' : `orchestrator_${code}`, sample: err.message });
  }

  private lookupFailed(f: Failure): void {
    if (this.phase === 'done' || this.phase === 'connect') return;
    this.phase = 'done';
    this.ctx.wheel.cancel(this);
    const req = this.req;
    this.req = undefined;
    req?.destroy();
    const { recorder } = this.ctx;
    recorder.count('attempted');
    recorder.count('failed');
    recorder.error(f.code, f.sample);
    this.ctx.onEnd(this);
  }

  private connect(answer: EndpointAnswer): void {
    if (this.phase !== 'lookup') return;
    this.ctx.wheel.cancel(this);
    this.phase = 'connect';
    this.endpoint = answer;
    this.remaining = [...answer.fallbacks];
    this.attempt(answer.url);
  }

  private attempt(url: string): void {
    this.held = undefined;
    this.inner = newWsClient(this.innerCtx, this.slot);
    this.inner.start(url, this.localAddress);
  }

  private onInnerEnd(): void {
    const failure = this.held;
    const next = this.remaining.shift();
    if (failure !== undefined && failure.code !== CANCELLED && !this.stopping && next !== undefined) {
      this.fallbacksUsed++;
      this.attempt(next);
      return;
    }
    this.phase = 'done';
    if (failure !== undefined) {
      this.ctx.recorder.count('failed');
      this.ctx.recorder.error(failure.code, failure.sample);
    }
    this.held = undefined;
    this.ctx.onEnd(this);
  }
}

/** The endpoint answer if `body` is the documented shape with ws:// or wss:// URLs, else undefined. */
export function parseEndpoint(body: string): EndpointAnswer | undefined {
  let v: unknown;
  try {
    v = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (typeof v !== 'object' || v === null) return undefined;
  const o = v as Record<string, unknown>;
  if (typeof o['url'] !== 'string' || !isWsUrl(o['url'])) return undefined;
  const fb = o['fallbacks'] ?? [];
  if (!Array.isArray(fb) || !fb.every((u): u is string => typeof u === 'string' && isWsUrl(u))) return undefined;
  return {
    url: o['url'],
    fallbacks: fb,
    ...(typeof o['backendId'] === 'string' ? { backendId: o['backendId'] } : {}),
    ...(typeof o['expiresAt'] === 'string' ? { expiresAt: o['expiresAt'] } : {}),
  };
}

function isWsUrl(s: string): boolean {
  try {
    const u = new URL(s);
    return (u.protocol === 'ws:' || u.protocol === 'wss:') && u.hostname !== '';
  } catch {
    return false;
  }
}

/**
 * behavior.headers on the lookup too (an orchestrator behind the same auth as the app sees Authorization, Cookie,
 * Origin…), but not Host: that one names the app the WebSocket connects to, not the orchestrator.
 */
function lookupHeaders(p: PreparedHeaders): Record<string, string> {
  if (p.none) return {};
  const headers = requestHeaders(p, undefined);
  for (const name of Object.keys(headers)) if (name.toLowerCase() === 'host') delete headers[name];
  return headers;
}
