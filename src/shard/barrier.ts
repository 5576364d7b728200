/**
 * The synchronised start of a sharded run (issue 18): every shard joins a barrier and waits until all N have
 * arrived; the barrier then names one start instant, in ITS clock, `leadMs` ahead, so that each shard still has time
 * to fork and arm its workers. Each shard measures the barrier's clock against its own (NTP-style) and converts the
 * instant into its own clock, so shards whose clocks disagree still start together.
 *
 * Two barriers: HTTP (`wsherd barrier`: barrier-http.ts, barrier-server.ts) and Redis (barrier-redis.ts). The
 * protocol and the keys are documented in docs/sharding.md, "Synchronised start".
 */
import { checkJoin, invalid, redactUrl, type BarrierJoin, type BarrierOutcome } from './barrier-common.js';
import { joinHttpBarrier } from './barrier-http.js';
import { joinRedisBarrier } from './barrier-redis.js';

export type { BarrierJoin, BarrierOutcome } from './barrier-common.js';

/**
 * Waits at the barrier named by `j.url` until all `j.shards` shards of `j.runId` joined; resolves with the agreed
 * start in this host's clock. Rejects with WSH_ERR_INVALID_INPUT (a bad URL or run id, a shard count that disagrees
 * with the run's, a stale run id), WSH_ERR_BARRIER_TIMEOUT (not everyone arrived within timeoutMs; the message counts
 * and lists who did) or WSH_ERR_ABORTED (the signal).
 */
export async function joinBarrier(j: BarrierJoin): Promise<BarrierOutcome> {
  checkJoin(j);
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(j.url)?.[1]?.toLowerCase();
  if (scheme === 'http') return joinHttpBarrier(j);
  if (scheme === 'redis') return joinRedisBarrier(j);
  const hint = 'Use http://host:port[/prefix] (a `wsherd barrier`) or redis://[user:password@]host:port[/db].';
  if (scheme === 'https' || scheme === 'rediss') {
    throw invalid(`--barrier ${redactUrl(j.url)}: TLS (${scheme}://) is not supported.`, `${hint} Reach it over a trusted network, or through a local TLS tunnel.`);
  }
  throw invalid(`--barrier "${redactUrl(j.url)}" is not an http:// or redis:// URL.`, hint);
}
