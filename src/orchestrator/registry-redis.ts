/**
 * The registry in Redis, so several orchestrator instances (behind DNS or an L4 balancer) agree: a backend
 * registered or drained through instance A is handed out by instance B, and load reported to A is seen by B.
 *
 * Layout: ONE hash, `wsherd:orch:<cluster>:backends`, with fields `<id>:meta` (JSON {url, weight}), `<id>:load`,
 * `<id>:hb` (epoch ms of the last heartbeat, by the clock of the instance that received it: keep orchestrator
 * hosts NTP-synced), `<id>:out` (endpoints handed out since that heartbeat) and `<id>:drain` ('1' when drained).
 * One hash means one HGETALL reads the whole registry, and separate fields let HINCRBY count hand-outs without a
 * read-modify-write race between instances.
 *
 * Round trips: list() is served from a per-instance cache at most CACHE_MS (250 ms) old, so an endpoint request
 * normally costs no Redis read at all, plus one HINCRBY (not awaited by the answer's content, only for errors).
 * The cache is dropped after this instance's own writes (read-your-writes), and its own hand-outs are added to the
 * cached handedOut at once, so least-loaded does not send a whole 250 ms burst to the backend that looked idle.
 * Another instance's writes show up within 250 ms.
 *
 * Failures: when Redis is unreachable, writes reject (the server answers 503 registry_unavailable) and list()
 * serves the last copy it has; its heartbeat times only age, so after heartbeatTimeoutMs every backend reads
 * `down` and clients get 503 no_backend rather than URLs nobody vouches for. The connection is re-established in
 * the background with back-off from 100 ms doubling to 2 s, by the same RedisLink as the proxy's sticky store.
 */
import type { RespValue } from '../proxy/store/resp.js';
import { parseRedisUrl } from '../proxy/store/index.js';
import { RedisLink } from '../proxy/store/redis-link.js';
import { StoreError } from '../proxy/store/types.js';
import { WsherdError } from '../errors.js';
import {
  DEFAULT_HEARTBEAT_TIMEOUT_MS,
  byId,
  viewOf,
  type RegisterRequest,
  type RegisteredBackend,
  type Registry,
  type RegistryOptions,
  type StoredBackend,
} from './registry.js';

export interface RedisRegistryOptions extends RegistryOptions {
  /** Several orchestrator clusters may share one Redis; keys live under `wsherd:orch:<cluster>:`. Default `default`. */
  cluster?: string;
  /** Connect + AUTH/SELECT + PING budget, ms. Default 2000. */
  connectTimeoutMs?: number;
  /** Per-command timeout, ms. Default 1000. */
  commandTimeoutMs?: number;
}

/** How stale a list() answer may be, ms. */
export const CACHE_MS = 250;

/**
 * Sets fields of a backend only if it is registered (heartbeat, drain): atomic, so a heartbeat racing a
 * deregistration cannot resurrect half a backend. KEYS[1] hash; ARGV[1] id; then field suffix/value pairs.
 */
const SET_IF_EXISTS = `
if redis.call('HEXISTS', KEYS[1], ARGV[1] .. ':meta') == 0 then return 0 end
for i = 2, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[1] .. ':' .. ARGV[i], ARGV[i + 1]) end
return 1`;

/** Counts a hand-out only for a registered backend (no orphan `:out` field after a deregistration). */
const INCR_IF_EXISTS = `
if redis.call('HEXISTS', KEYS[1], ARGV[1] .. ':meta') == 0 then return 0 end
return redis.call('HINCRBY', KEYS[1], ARGV[1] .. ':out', 1)`;

const FIELDS = ['meta', 'load', 'hb', 'out', 'drain'] as const;

export class RedisRegistry implements Registry {
  readonly kind = 'redis' as const;
  heartbeatTimeoutMs: number;
  private readonly key: string;
  private readonly now: () => number;
  private readonly link: RedisLink;
  private cache: { at: number; backends: StoredBackend[] } | undefined;
  private loading: Promise<StoredBackend[]> | undefined;

  private constructor(url: string, opts: RedisRegistryOptions) {
    this.heartbeatTimeoutMs = opts.heartbeatTimeoutMs ?? DEFAULT_HEARTBEAT_TIMEOUT_MS;
    this.now = opts.now ?? Date.now;
    this.key = `wsherd:orch:${opts.cluster ?? 'default'}:backends`;
    this.link = new RedisLink(parseRedisUrl(url), {
      connectTimeoutMs: opts.connectTimeoutMs ?? 2000,
      commandTimeoutMs: opts.commandTimeoutMs ?? 1000,
    });
  }

  /** Connects (redis://[:password@]host[:port][/db]) or throws WSH_ERR_INVALID_INPUT saying why. */
  static async open(url: string, opts: RedisRegistryOptions = {}): Promise<RedisRegistry> {
    const r = new RedisRegistry(url, opts);
    try {
      await r.link.connect();
    } catch (err) {
      const why = err instanceof StoreError ? err.code : err instanceof Error ? err.message : String(err);
      throw new WsherdError('WSH_ERR_INVALID_INPUT', `The orchestrator's Redis at ${r.link.target.display} did not answer: ${why}`, {
        hint: 'Start redis-server there (or fix the URL), or leave `redis` unset for a single orchestrator instance.',
        cause: err,
      });
    }
    return r;
  }

  async register(req: RegisterRequest): Promise<RegisteredBackend> {
    const now = this.now();
    const weight = req.weight ?? 1;
    // The drain field is left alone: a drained backend stays drained when its agent re-registers.
    await this.cmd(['HSET', this.key, `${req.id}:meta`, JSON.stringify({ url: req.url, weight }), `${req.id}:load`, '0', `${req.id}:hb`, String(now), `${req.id}:out`, '0']);
    this.cache = undefined;
    const b = (await this.load()).find((x) => x.id === req.id);
    return viewOf(b ?? { id: req.id, url: req.url, weight, load: 0, lastHeartbeat: now, handedOut: 0, drained: false }, now, this.heartbeatTimeoutMs);
  }

  async heartbeat(id: string, load: number): Promise<boolean> {
    const r = await this.cmd(['EVAL', SET_IF_EXISTS, '1', this.key, id, 'load', String(load), 'hb', String(this.now()), 'out', '0']);
    this.cache = undefined;
    return r === 1;
  }

  async deregister(id: string): Promise<boolean> {
    const r = await this.cmd(['HDEL', this.key, ...FIELDS.map((f) => `${id}:${f}`)]);
    this.cache = undefined;
    return typeof r === 'number' && r > 0;
  }

  async setDrain(id: string, drain: boolean): Promise<boolean> {
    const r = await this.cmd(['EVAL', SET_IF_EXISTS, '1', this.key, id, 'drain', drain ? '1' : '0']);
    this.cache = undefined;
    return r === 1;
  }

  async handOut(id: string): Promise<void> {
    // Counted in the cached copy first: this instance's next picks must see it before any re-read.
    const cached = this.cache?.backends.find((b) => b.id === id);
    if (cached !== undefined) cached.handedOut++;
    await this.cmd(['EVAL', INCR_IF_EXISTS, '1', this.key, id]);
  }

  async list(): Promise<RegisteredBackend[]> {
    const now = this.now();
    return (await this.load()).map((b) => viewOf(b, now, this.heartbeatTimeoutMs));
  }

  close(): Promise<void> {
    this.link.close();
    return Promise.resolve();
  }

  /** The cached copy if fresh, else one HGETALL (concurrent callers share it); a failed read serves the stale copy. */
  private load(): Promise<StoredBackend[]> {
    const c = this.cache;
    if (c !== undefined && this.now() - c.at <= CACHE_MS) return Promise.resolve(c.backends);
    this.loading ??= this.cmd(['HGETALL', this.key]).then(
      (reply) => {
        this.loading = undefined;
        const backends = parseHash(reply);
        this.cache = { at: this.now(), backends };
        return backends;
      },
      (err: unknown) => {
        this.loading = undefined;
        if (c !== undefined) return c.backends;
        throw err;
      },
    );
    return this.loading;
  }

  private cmd(args: string[]): Promise<RespValue> {
    return this.link.send(args);
  }
}

/** HGETALL's flat [field, value, …] into backends; a backend needs its meta field, the rest default. */
function parseHash(reply: RespValue): StoredBackend[] {
  if (!Array.isArray(reply)) return [];
  const byBackend = new Map<string, Partial<Record<(typeof FIELDS)[number], string>>>();
  for (let i = 0; i + 1 < reply.length; i += 2) {
    const field = reply[i];
    const value = reply[i + 1];
    if (typeof field !== 'string' || typeof value !== 'string') continue;
    const cut = field.lastIndexOf(':');
    if (cut <= 0) continue;
    const suffix = field.slice(cut + 1) as (typeof FIELDS)[number];
    if (!FIELDS.includes(suffix)) continue;
    const id = field.slice(0, cut);
    let rec = byBackend.get(id);
    if (rec === undefined) byBackend.set(id, (rec = {}));
    rec[suffix] = value;
  }
  const out: StoredBackend[] = [];
  for (const [id, rec] of byBackend) {
    if (rec.meta === undefined) continue;
    let meta: { url?: unknown; weight?: unknown };
    try {
      meta = JSON.parse(rec.meta) as { url?: unknown; weight?: unknown };
    } catch {
      continue;
    }
    if (typeof meta.url !== 'string') continue;
    out.push({
      id,
      url: meta.url,
      weight: typeof meta.weight === 'number' && meta.weight > 0 ? meta.weight : 1,
      load: Number(rec.load ?? 0) || 0,
      lastHeartbeat: Number(rec.hb ?? 0) || 0,
      handedOut: Number(rec.out ?? 0) || 0,
      drained: rec.drain === '1',
    });
  }
  return out.sort(byId);
}
