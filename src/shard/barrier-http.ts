/**
 * The HTTP barrier's client (the server is barrier-server.ts, `wsherd barrier`): measure the barrier's clock on
 * GET …/time, then POST …/join again and again (each held up to LONG_POLL_MS) until it answers 200 with the start.
 * A join is idempotent, so a lost answer, a restarted shard or a barrier not up yet just means asking again.
 */
import http from 'node:http';
import { WsherdError } from '../errors.js';
import {
  CLOCK_SAMPLES,
  RETRY_MS,
  abortedError,
  bestOffset,
  invalid,
  outcome,
  pause,
  redactUrl,
  timeoutError,
  type BarrierJoin,
  type BarrierOutcome,
  type ClockSample,
  type JoinReply,
  type JoinRequest,
} from './barrier-common.js';

/** How long one join may be held by the barrier; the server caps it too (barrier-server.ts MAX_WAIT_MS). */
const LONG_POLL_MS = 20_000;
/** A request's own budget beyond the hold: the barrier is on a network, not in this process. */
const REQUEST_SLACK_MS = 5_000;

interface HttpAnswer {
  status: number;
  body: unknown;
}

export async function joinHttpBarrier(j: BarrierJoin): Promise<BarrierOutcome> {
  const now = j.now ?? Date.now;
  const shown = redactUrl(j.url);
  let parsed: URL;
  try {
    parsed = new URL(j.url);
  } catch {
    throw invalid(`--barrier "${shown}" is not a URL.`, 'e.g. --barrier http://barrier.default.svc:8089');
  }
  if (parsed.hostname === '') throw invalid(`--barrier "${shown}" has no host.`, 'e.g. --barrier http://barrier.default.svc:8089');
  const base = `${parsed.origin}${parsed.pathname}`.replace(/\/+$/, '');
  const started = now();
  const deadline = started + j.timeoutMs;
  // One kept-alive connection for the clock samples: a sample that paid for the TCP handshake would be lopsided
  // (the server reads its clock 1.5 network trips after our send, not 1), so the first request only opens it.
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  let lastError: string | undefined;
  let last: JoinReply | undefined;
  try {
    let samples: ClockSample[] = [];
    while (samples.length === 0) {
      try {
        samples = await measureClock(`${base}/time`, agent, now, j.signal);
      } catch (err) {
        lastError = networkError(err, j);
      }
      if (samples.length > 0) break;
      if (now() + RETRY_MS >= deadline) throw timeoutError(j.url, j, undefined, lastError);
      await pause(RETRY_MS, j.signal, j.url);
    }
    for (;;) {
      const left = deadline - now();
      if (left <= 0) throw timeoutError(j.url, j, last?.joined, lastError);
      const waitMs = Math.min(LONG_POLL_MS, left);
      const body: JoinRequest = { runId: j.runId, shard: j.shard, shards: j.shards, leadMs: j.leadMs, waitMs };
      let answer: HttpAnswer;
      try {
        answer = await request('POST', `${base}/join`, body, undefined, waitMs + REQUEST_SLACK_MS, j.signal);
      } catch (err) {
        lastError = networkError(err, j);
        await pause(Math.min(RETRY_MS, Math.max(0, deadline - now())), j.signal, j.url);
        continue;
      }
      const reply = answer.body as Partial<JoinReply> & { error?: unknown };
      if (answer.status === 200 && reply.released === true && typeof reply.startAt === 'number') {
        return outcome('http', reply.startAt, reply.arrived ?? j.shards, now() - started, bestOffset(samples));
      }
      if (answer.status === 202 && Array.isArray(reply.joined)) {
        last = reply as JoinReply;
        // A long wait: measure again so the offset used is at most one long-poll old (clocks drift apart).
        try {
          const fresh = await measureClock(`${base}/time`, agent, now, j.signal);
          if (fresh.length > 0) samples = fresh;
        } catch (err) {
          lastError = networkError(err, j);
        }
        continue;
      }
      if (answer.status === 400 || answer.status === 409 || answer.status === 410) {
        const why = typeof reply.error === 'string' ? reply.error : `HTTP ${answer.status}`;
        throw invalid(`barrier ${shown} refused shard ${j.shard} of run ${j.runId}: ${why}`, 'Every shard of a run must run with the same --shard i/N and --run-id, and each run needs its own --run-id.');
      }
      if (answer.status >= 500) {
        lastError = `HTTP ${answer.status}`;
        await pause(Math.min(RETRY_MS, Math.max(0, deadline - now())), j.signal, j.url);
        continue;
      }
      throw invalid(
        `barrier ${shown} answered HTTP ${answer.status} to POST …/join: it is not a wsherd barrier.`,
        'Point --barrier at a `wsherd barrier` (http://host:8089) or at Redis (redis://host:6379).',
      );
    }
  } finally {
    agent.destroy();
  }
}

/**
 * One request to open the kept-alive connection, then CLOCK_SAMPLES timed ones; throws if the first fails, and
 * WSH_ERR_INVALID_INPUT if what answers is not a barrier (a 404, or no clock in the answer).
 */
async function measureClock(url: string, agent: http.Agent, now: () => number, signal: AbortSignal | undefined): Promise<ClockSample[]> {
  const first = await request('GET', url, undefined, agent, 2_000, signal);
  if (first.status < 500 && (first.status !== 200 || typeof (first.body as { now?: unknown }).now !== 'number')) {
    throw invalid(
      `barrier ${redactUrl(url.replace(/\/time$/, ''))} answered HTTP ${first.status} without a clock to GET …/time: it is not a wsherd barrier.`,
      'Point --barrier at a `wsherd barrier` (http://host:8089) or at Redis (redis://host:6379).',
    );
  }
  const samples: ClockSample[] = [];
  for (let i = 0; i < CLOCK_SAMPLES; i++) {
    const sentAt = now();
    const answer = await request('GET', url, undefined, agent, 2_000, signal);
    const receivedAt = now();
    const serverAt = (answer.body as { now?: unknown }).now;
    if (answer.status === 200 && typeof serverAt === 'number') samples.push({ sentAt, serverAt, receivedAt });
  }
  return samples;
}

/** An abort is final (WSH_ERR_ABORTED); any other failure is a reason to try again, remembered for the message. */
function networkError(err: unknown, j: BarrierJoin): string {
  if (j.signal?.aborted) throw abortedError(j.url, j.signal);
  if (err instanceof WsherdError) throw err;
  const e = err as NodeJS.ErrnoException;
  return e.code ?? e.message;
}

function request(method: string, url: string, body: unknown, agent: http.Agent | undefined, timeoutMs: number, signal: AbortSignal | undefined): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? '' : JSON.stringify(body);
    const headers: http.OutgoingHttpHeaders = { accept: 'application/json' };
    if (body !== undefined) Object.assign(headers, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) });
    const opts: http.RequestOptions = { method, headers, timeout: timeoutMs, agent: agent ?? false };
    if (signal !== undefined) opts.signal = signal;
    const req = http.request(url, opts, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('error', reject);
      res.on('end', () => {
        let parsed: unknown = {};
        try {
          parsed = text === '' ? {} : JSON.parse(text);
        } catch {
          parsed = { error: text.slice(0, 200) };
        }
        resolve({ status: res.statusCode ?? 0, body: parsed });
      });
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: 'TIMEOUT' })));
    req.on('error', reject);
    req.end(data);
  });
}
