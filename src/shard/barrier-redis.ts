/**
 * The Redis barrier: no extra process when the run already has a Redis (the lab's shared sticky tables, a CI
 * service). Keys, under wsherd:barrier:{runId}: (all expire after RUN_TTL_S):
 *   shards  the run's shard count, SET NX by the first shard to come; a shard that says otherwise is refused
 *   joined  a set of shard indices (SADD: a shard joining twice counts once)
 *   start   the agreed start, Redis TIME in ms + lead, SET NX by the first shard to see every shard joined
 * The clock every shard measures its offset against is Redis's own (TIME), so the start instant is in that clock.
 */
import { isWsherdError, WsherdError } from '../errors.js';
import { parseRedisUrl, StoreError } from '../proxy/store/index.js';
import { RespReplyError, type RespValue } from '../proxy/store/resp.js';
import { RedisLink } from '../proxy/store/redis-link.js';
import {
  CLOCK_SAMPLES,
  POLL_MS,
  RETRY_MS,
  RUN_TTL_S,
  STALE_AFTER_MS,
  bestOffset,
  invalid,
  outcome,
  pause,
  redactUrl,
  timeoutError,
  type BarrierJoin,
  type BarrierOutcome,
  type ClockSample,
} from './barrier-common.js';

/** While waiting, the clock is measured again this often, so the offset used is at most this old. */
const REMEASURE_MS = 20_000;

export async function joinRedisBarrier(j: BarrierJoin): Promise<BarrierOutcome> {
  const now = j.now ?? Date.now;
  const started = now();
  const deadline = started + j.timeoutMs;
  let lastError: string | undefined;
  const link = new RedisLink(barrierTarget(j.url), {
    connectTimeoutMs: 2_000,
    commandTimeoutMs: 2_000,
    onError: (code) => (lastError = code),
  });
  const key = (name: string): string => `wsherd:barrier:${j.runId}:${name}`;
  const ttl = String(RUN_TTL_S);
  try {
    await connect(link, j, deadline, now);
    let samples = await measureClock(link, now);
    let measuredAt = now();
    let announced = false;
    for (;;) {
      try {
        if (!announced) {
          await announce(link, j, key);
          announced = true;
        }
        // Every pass re-adds this shard: a Redis that restarted (and lost the set) still counts it.
        const [, , count] = await Promise.all([link.send(['SADD', key('joined'), String(j.shard)]), link.send(['EXPIRE', key('joined'), ttl]), link.send(['SCARD', key('joined')])]);
        if (Number(count) >= j.shards) {
          const startAt = await agreeStart(link, key, j.leadMs);
          return outcome('redis', startAt, Number(count), now() - started, bestOffset(samples));
        }
        if (now() - measuredAt >= REMEASURE_MS) {
          const fresh = await measureClock(link, now);
          if (fresh.length > 0) samples = fresh;
          measuredAt = now();
        }
      } catch (err) {
        if (isWsherdError(err)) throw err;
        lastError = err instanceof StoreError ? err.code : (err as Error).message;
      }
      if (now() >= deadline) throw timeoutError(j.url, j, await joinedShards(link, key('joined')), lastError);
      await pause(Math.min(POLL_MS, Math.max(0, deadline - now())), j.signal, j.url);
    }
  } finally {
    link.close();
  }
}

/** parseRedisUrl's checks, worded for --barrier (it speaks of a store URL). */
function barrierTarget(url: string): ReturnType<typeof parseRedisUrl> {
  try {
    return parseRedisUrl(url);
  } catch (err) {
    if (isWsherdError(err)) throw new WsherdError(err.code, err.message.replace(/^Invalid store URL/, 'Invalid --barrier URL'), { hint: err.hint ?? '' });
    throw err;
  }
}

/** Connects, retrying while Redis is not up yet (a pod starting beside the shards); a refused AUTH is final. */
async function connect(link: RedisLink, j: BarrierJoin, deadline: number, now: () => number): Promise<void> {
  let lastError: string | undefined;
  for (;;) {
    try {
      await link.connect();
      return;
    } catch (err) {
      if (err instanceof RespReplyError) {
        throw invalid(`barrier ${redactUrl(j.url)}: Redis refused the connection: "${err.message}"`, 'Check the user and password in --barrier (or REDISCLI_AUTH) and the database number.');
      }
      lastError = err instanceof StoreError ? err.code : (err as Error).message;
    }
    if (now() + RETRY_MS >= deadline) throw timeoutError(j.url, j, undefined, lastError);
    await pause(RETRY_MS, j.signal, j.url);
  }
}

/** Fixes the run's shard count (first one wins) and refuses this shard if it disagrees or the run id is stale. */
async function announce(link: RedisLink, j: BarrierJoin, key: (name: string) => string): Promise<void> {
  const [, declared, start, time] = await Promise.all([
    link.send(['SET', key('shards'), String(j.shards), 'NX', 'EX', String(RUN_TTL_S)]),
    link.send(['GET', key('shards')]),
    link.send(['GET', key('start')]),
    link.send(['TIME']),
  ]);
  if (declared !== String(j.shards)) {
    throw invalid(
      `barrier ${redactUrl(j.url)} refused shard ${j.shard} of run ${j.runId}: the run has ${String(declared)} shards (the first shard to join said so), but this shard says ${j.shards}.`,
      'Every shard of a run must run with the same --shard i/N and --run-id, and each run needs its own --run-id.',
    );
  }
  if (start !== null && redisMs(time) > Number(start) + STALE_AFTER_MS) {
    throw invalid(
      `barrier ${redactUrl(j.url)} refused shard ${j.shard} of run ${j.runId}: that run already started at ${new Date(Number(start)).toISOString()} (Redis clock).`,
      `A run id is used once (its keys live a day): give each run a new --run-id, or delete the keys ${key('*')}.`,
    );
  }
}

/** The first shard to see everyone sets start (NX), from Redis's clock; everyone reads back the one that won. */
async function agreeStart(link: RedisLink, key: (name: string) => string, leadMs: number): Promise<number> {
  const existing = await link.send(['GET', key('start')]);
  if (existing !== null) return Number(existing);
  const startAt = Math.round(redisMs(await link.send(['TIME'])) + leadMs);
  await link.send(['SET', key('start'), String(startAt), 'NX', 'EX', String(RUN_TTL_S)]);
  return Number(await link.send(['GET', key('start')]));
}

async function measureClock(link: RedisLink, now: () => number): Promise<ClockSample[]> {
  const samples: ClockSample[] = [];
  for (let i = 0; i < CLOCK_SAMPLES; i++) {
    const sentAt = now();
    const time = await link.send(['TIME']);
    samples.push({ sentAt, serverAt: redisMs(time), receivedAt: now() });
  }
  return samples;
}

/** The shards in the joined set for the timeout message; unknown (undefined) if Redis cannot be asked. */
async function joinedShards(link: RedisLink, joinedKey: string): Promise<number[] | undefined> {
  try {
    const members = await link.send(['SMEMBERS', joinedKey]);
    return Array.isArray(members) ? members.map(Number).filter(Number.isInteger) : undefined;
  } catch {
    return undefined;
  }
}

/** TIME's [seconds, microseconds] as epoch ms. */
function redisMs(time: RespValue): number {
  if (!Array.isArray(time) || time.length < 2) throw new StoreError('EPROTO', 'Redis TIME did not answer [seconds, microseconds]');
  return Number(time[0]) * 1000 + Number(time[1]) / 1000;
}
