/** What both barrier clients share (barrier.ts is the entry): the join's types, checks, clock math and messages. */
import { WsherdError } from '../errors.js';
import { ExitCode } from '../exit-codes.js';
import { formatDuration } from '../scenario/duration.js';

export interface BarrierJoin {
  /** `http://host:port[/prefix]` (a `wsherd barrier`) or `redis://[user:pass@]host:port[/db]`. */
  url: string;
  /** The same for every shard of one run, different for every run (a CI run number, a Kubernetes Job's uid). */
  runId: string;
  /** This shard's index, 0 ≤ shard < shards. */
  shard: number;
  /** How many shards the run has; every shard must say the same. */
  shards: number;
  /** How long to wait for every shard (and for the barrier to be reachable at all), ms. */
  timeoutMs: number;
  /** ms from "everyone arrived" to the agreed start, so every shard can still fork/arm in time */
  leadMs: number;
  /** Aborting it (SIGINT/SIGTERM) stops the wait: rejects with WSH_ERR_ABORTED. */
  signal?: AbortSignal;
  /** This host's wall clock, epoch ms (injected by tests). Default Date.now. */
  now?: () => number;
}

export interface BarrierOutcome {
  /** The agreed start, epoch ms, in THIS host's clock (the barrier's instant minus clockOffsetMs). May be past. */
  startAt: number;
  /** Distinct shards that had joined when the barrier released (= shards). */
  arrived: number;
  /** From the join call to the release, ms. */
  waitedMs: number;
  /** barrier clock − local clock, ms; absent when no clock sample could be taken. */
  clockOffsetMs?: number;
  /** Half the best sample's round trip, ms: the true offset is within ± this of clockOffsetMs. */
  clockUncertaintyMs?: number;
  kind: 'http' | 'redis';
}

/** Clock samples taken per join: the one with the smallest round trip is kept (NTP's clock filter, simplified). */
export const CLOCK_SAMPLES = 5;
/** How often a shard asks the barrier again while it waits (Redis; HTTP long-polls), ms. */
export const POLL_MS = 100;
/** After a failed attempt to reach the barrier, wait this long before the next, ms. */
export const RETRY_MS = 250;
/** A run whose start passed more than this long ago is stale: its run id was reused (see docs/sharding.md). */
export const STALE_AFTER_MS = 60_000;
/** Keys and server-side state of a run live this long. */
export const RUN_TTL_S = 86_400;

const RUN_ID = /^[\w.:@+=/-]{1,200}$/;

/** Bad join parameters are the caller's input: refused before anything is contacted. */
export function checkJoin(j: BarrierJoin): void {
  if (!validRunId(j.runId)) {
    throw invalid(
      `--run-id "${j.runId}" must be 1-200 letters, digits or . _ : @ + = / -.`,
      'Give every shard of a run the same id and every run a new one, e.g. --run-id "$GITHUB_RUN_ID-$GITHUB_RUN_ATTEMPT".',
    );
  }
  if (!Number.isInteger(j.shards) || j.shards < 1) throw invalid(`shard count ${j.shards} must be a whole number ≥ 1.`, 'e.g. --shard 0/4');
  if (!Number.isInteger(j.shard) || j.shard < 0 || j.shard >= j.shards) {
    throw invalid(`shard ${j.shard} of ${j.shards} is out of range: shards are numbered 0 to ${j.shards - 1}.`, `e.g. --shard 0/${j.shards}`);
  }
  for (const [name, v] of [['timeout', j.timeoutMs], ['lead', j.leadMs]] as const) {
    if (!Number.isFinite(v) || v < 0) throw invalid(`barrier ${name} ${v} ms must be a duration ≥ 0.`, 'e.g. 30s');
  }
}

/** One exchange with the barrier's clock: local send time, the barrier's time, local receive time (all epoch ms). */
export interface ClockSample {
  sentAt: number;
  serverAt: number;
  receivedAt: number;
}

/**
 * NTP's offset estimate from the sample with the smallest round trip: the barrier read its clock somewhere between
 * our send and our receive, so offset = server − (send + receive) / 2 is wrong by at most half the round trip.
 */
export function bestOffset(samples: readonly ClockSample[]): { clockOffsetMs: number; clockUncertaintyMs: number } | undefined {
  let best: ClockSample | undefined;
  for (const s of samples) if (best === undefined || s.receivedAt - s.sentAt < best.receivedAt - best.sentAt) best = s;
  if (best === undefined) return undefined;
  return {
    clockOffsetMs: round3(best.serverAt - (best.sentAt + best.receivedAt) / 2),
    clockUncertaintyMs: round3((best.receivedAt - best.sentAt) / 2),
  };
}

/** Converts the barrier's start instant into this host's clock; without an offset, the barrier's clock is taken as ours. */
export function outcome(
  kind: BarrierOutcome['kind'],
  barrierStartAt: number,
  arrived: number,
  waitedMs: number,
  offset: ReturnType<typeof bestOffset>,
): BarrierOutcome {
  const out: BarrierOutcome = { startAt: Math.round(barrierStartAt - (offset?.clockOffsetMs ?? 0)), arrived, waitedMs, kind };
  if (offset !== undefined) Object.assign(out, offset);
  return out;
}

/** "2 of 4 shards arrived within 30s (shards 0, 2); the others never joined — …" as WSH_ERR_BARRIER_TIMEOUT. */
export function timeoutError(url: string, j: BarrierJoin, joined: readonly number[] | undefined, lastError: string | undefined): WsherdError {
  const within = formatDuration(Math.round(j.timeoutMs));
  if (joined === undefined) {
    return new WsherdError(
      'WSH_ERR_BARRIER_TIMEOUT',
      `barrier ${redactUrl(url)}: not reachable within ${within}${lastError === undefined ? '' : ` (last error: ${lastError})`}.`,
      { hint: 'Check that the barrier is up (`wsherd barrier`, or Redis) and that --barrier is an address every shard can reach.' },
    );
  }
  const list = [...joined].sort((a, b) => a - b);
  const seen = new Set(list);
  const missing: number[] = [];
  for (let i = 0; i < j.shards; i++) if (!seen.has(i)) missing.push(i);
  return new WsherdError(
    'WSH_ERR_BARRIER_TIMEOUT',
    `barrier ${redactUrl(url)}: ${list.length} of ${j.shards} shards of run ${j.runId} arrived within ${within}` +
      `${list.length === 0 ? '' : ` (${shardList(list)})`}; the others never joined — ` +
      'check they run with the same --run-id and --barrier.',
    { hint: `Missing: ${shardList(missing)}. If they start slowly (image pulls, queued CI jobs), raise --barrier-timeout.` },
  );
}

/** "shard 3", "shards 0, 2", "shards 0, 1, 2, … (40 more)": long lists are cut, messages stay one line. */
export function shardList(shards: readonly number[], max = 16): string {
  const head = shards.slice(0, max).join(', ');
  const rest = shards.length > max ? `, … (${shards.length - max} more)` : '';
  return `${shards.length === 1 ? 'shard' : 'shards'} ${head}${rest}`;
}

/** The wait was aborted (SIGINT/SIGTERM): WSH_ERR_ABORTED with the signal's exit code. */
export function abortedError(url: string, signal: AbortSignal | undefined): WsherdError {
  const exitCode = signal?.reason === 'SIGTERM' ? ExitCode.ABORTED_SIGTERM : ExitCode.ABORTED_SIGINT;
  return new WsherdError('WSH_ERR_ABORTED', `Stopped while waiting at barrier ${redactUrl(url)}.`, { exitCode });
}

/** Resolves after ms, or rejects at once when the signal aborts (the wait is interruptible). */
export function pause(ms: number, signal: AbortSignal | undefined, url: string): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortedError(url, signal));
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(abortedError(url, signal));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, Math.max(0, ms));
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** The URL with its password (and a user-only credential) replaced by ***, for every message. */
export function redactUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return url.replace(/\/\/[^/@]*@/, '//***@');
  }
  if (u.password !== '') u.password = '***';
  else if (u.username !== '') u.username = '***';
  // URL adds a "/" to a bare origin; the user's own text is shown as typed.
  return url.endsWith('/') ? u.href : u.href.replace(/\/$/, '');
}

export function invalid(message: string, hint: string): WsherdError {
  return new WsherdError('WSH_ERR_INVALID_INPUT', message, { hint });
}

const round3 = (n: number): number => Math.round(n * 1000) / 1000;

/** The HTTP barrier's wire format (docs/sharding.md): POST …/join's body. */
export interface JoinRequest {
  runId: string;
  shard: number;
  shards: number;
  /** The lead this shard needs; the barrier uses the largest asked for (and at least its own --lead). */
  leadMs?: number;
  /** How long the barrier may hold this request before answering 202 (capped by the barrier), ms. */
  waitMs?: number;
}

/** POST …/join's answer: 200 with startAt once released, 202 (still waiting) otherwise. Errors: 400/409/410 {error}. */
export interface JoinReply {
  released: boolean;
  runId: string;
  shards: number;
  arrived: number;
  joined: number[];
  /** The barrier's clock when it answered, epoch ms. */
  now: number;
  /** The agreed start in the barrier's clock, epoch ms; only when released. */
  startAt?: number;
}

/** Same rule on both sides of the wire. */
export function validRunId(runId: unknown): runId is string {
  return typeof runId === 'string' && RUN_ID.test(runId);
}
