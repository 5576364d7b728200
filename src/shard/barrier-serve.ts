/**
 * `wsherd barrier` as a library call: serve the HTTP barrier until one run has been released to all its shards
 * (or the timeout, or a stop signal), narrating through `log` — the command only parses flags and prints.
 */
import { formatDuration } from '../scenario/duration.js';
import { listeningOn } from '../lab/urls.js';
import { abortedError, shardList } from './barrier-common.js';
import { startBarrierServer, type BarrierEvent, type BarrierRelease, type BarrierServerOptions } from './barrier-server.js';

export interface ServeBarrierOptions extends Omit<BarrierServerOptions, 'onEvent'> {
  /** Stops serving (SIGINT/SIGTERM): rejects with WSH_ERR_ABORTED. */
  signal?: AbortSignal;
  /** One line per event: listening, each arrival, the release, refusals, the end. */
  log: (line: string) => void;
}

/** Resolves with the first run released; rejects WSH_ERR_BARRIER_TIMEOUT (who arrived) or WSH_ERR_ABORTED. */
export async function serveBarrier(opts: ServeBarrierOptions): Promise<BarrierRelease> {
  const { signal, log, ...serverOpts } = opts;
  const now = opts.now ?? Date.now;
  const server = await startBarrierServer({ ...serverOpts, onEvent: (e) => log(eventLine(e)) });
  try {
    const per = opts.shards === undefined ? 'every shard of a run (any count)' : `${opts.shards} shards`;
    const timeout = opts.timeoutMs === undefined ? '' : `, timeout ${formatDuration(opts.timeoutMs)}`;
    log(`Barrier listening on ${listeningOn(opts.host, server.port, server.url)}: waiting for ${per}, lead ${formatDuration(opts.leadMs)}${timeout}.`);
    const release = await untilAborted(server.released, signal, server.url);
    const missing = [];
    for (let i = 0; i < release.shards; i++) if (!release.collected.includes(i)) missing.push(i);
    log(
      missing.length === 0
        ? `run ${release.runId}: all ${release.shards} shards have their start; done.`
        : `run ${release.runId}: the start passed ${formatDuration(Math.max(0, Math.round(now() - release.startAt)))} ago and ${shardList(missing)} never collected it; done.`,
    );
    return release;
  } finally {
    await server.close();
  }
}

function eventLine(e: BarrierEvent): string {
  switch (e.type) {
    case 'arrival':
      return `run ${e.runId}: shard ${e.shard} arrived (${e.arrived} of ${e.shards})`;
    case 'release':
      return `run ${e.runId}: all ${e.shards} shards arrived; start at ${new Date(e.startAt).toISOString()} (this host's clock), in ${formatDuration(Math.max(0, Math.round(e.startAt - e.now)))}`;
    case 'refused':
      return `refused a join (HTTP ${e.status}): ${e.message}`;
  }
}

function untilAborted<T>(p: Promise<T>, signal: AbortSignal | undefined, url: string): Promise<T> {
  if (signal === undefined) return p;
  if (signal.aborted) return Promise.reject(abortedError(url, signal));
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(abortedError(url, signal));
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
