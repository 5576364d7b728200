/**
 * `wsherd k8s wait`, the merge pod's init container: waits until every shard has written its results.json, or the
 * shard Job has finished (complete or failed: a shard that died writes nothing, and waiting on would only reach the
 * deadline), or the deadline passes — then the merge runs on what is there and names what is missing. Bounded in
 * time by `timeoutMs`; polls every `pollMs`.
 */
import { access } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { readFileSync } from 'node:fs';
import path from 'node:path';

export type JobState = 'running' | 'complete' | 'failed';

export interface JobApi {
  /** `https://host:port` of the API server. */
  url: string;
  token: string;
  /** PEM of the cluster's CA (in a pod: the service account's ca.crt). */
  ca?: string;
  namespace: string;
  job: string;
}

export interface WaitOptions {
  dir: string;
  shards: number;
  timeoutMs: number;
  pollMs?: number;
  /** Asked each poll while results are missing; absent: files and the deadline only. */
  job?: JobApi;
  signal?: AbortSignal;
  /** Progress lines (stderr in the command). */
  log?: (line: string) => void;
}

export interface WaitOutcome {
  reason: 'all-written' | 'job-finished' | 'timeout' | 'aborted';
  jobState?: JobState;
  /** Shard indexes with a results.json, and without. */
  written: number[];
  missing: number[];
  elapsedMs: number;
}

const SA_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/** The in-cluster API from the pod's service account and env, or undefined outside a pod. */
export function inClusterApi(job: string, env: NodeJS.ProcessEnv = process.env, saDir = SA_DIR): JobApi | undefined {
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT ?? '443';
  if (host === undefined || host === '') return undefined;
  try {
    const token = readFileSync(path.join(saDir, 'token'), 'utf8').trim();
    const namespace = readFileSync(path.join(saDir, 'namespace'), 'utf8').trim();
    const ca = readFileSync(path.join(saDir, 'ca.crt'), 'utf8');
    const h = host.includes(':') ? `[${host}]` : host;
    return { url: `https://${h}:${port}`, token, ca, namespace, job };
  } catch {
    return undefined;
  }
}

/** The Job's state from its status conditions (Complete / Failed = True), or an error text. */
export function jobState(api: JobApi, timeoutMs = 5000): Promise<JobState | { error: string }> {
  const url = new URL(`/apis/batch/v1/namespaces/${encodeURIComponent(api.namespace)}/jobs/${encodeURIComponent(api.job)}`, api.url);
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve) => {
    const req = request(url, { headers: { authorization: `Bearer ${api.token}`, accept: 'application/json' }, timeout: timeoutMs, ...(api.ca === undefined ? {} : { ca: api.ca }) }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => { if (body.length < 1_000_000) body += d; });
      res.on('end', () => {
        if (res.statusCode !== 200) {
          resolve({ error: `GET ${url.pathname}: HTTP ${res.statusCode ?? '?'}${res.statusCode === 403 ? ' (the pod\'s service account may not read the Job)' : ''}` });
          return;
        }
        try {
          const job = JSON.parse(body) as { status?: { conditions?: Array<{ type?: string; status?: string }> } };
          const done = (type: string): boolean => (job.status?.conditions ?? []).some((c) => c.type === type && c.status === 'True');
          resolve(done('Complete') ? 'complete' : done('Failed') ? 'failed' : 'running');
        } catch (err) {
          resolve({ error: `GET ${url.pathname}: not JSON (${(err as Error).message})` });
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (err) => resolve({ error: `GET ${url.pathname}: ${err.message}` }));
    req.end();
  });
}

async function writtenShards(dir: string, shards: number): Promise<{ written: number[]; missing: number[] }> {
  const written: number[] = [];
  const missing: number[] = [];
  for (let i = 0; i < shards; i++) {
    try {
      await access(path.join(dir, `shard-${i}`, 'results.json'));
      written.push(i);
    } catch {
      missing.push(i);
    }
  }
  return { written, missing };
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

export async function waitForShards(o: WaitOptions): Promise<WaitOutcome> {
  const start = Date.now();
  const pollMs = o.pollMs ?? 5000;
  let apiError: string | undefined;
  for (;;) {
    const { written, missing } = await writtenShards(o.dir, o.shards);
    const elapsedMs = Date.now() - start;
    if (missing.length === 0) return { reason: 'all-written', written, missing, elapsedMs };
    if (o.signal?.aborted === true) return { reason: 'aborted', written, missing, elapsedMs };
    if (o.job !== undefined) {
      const state = await jobState(o.job);
      if (typeof state === 'object') {
        // Said once: without the Job's status the wait still ends, by the files or the deadline.
        if (apiError === undefined) o.log?.(`Cannot read job/${o.job.job} (${state.error}); waiting for the results files or the deadline.`);
        apiError = state.error;
      } else if (state !== 'running') {
        // The Job is over: a shard that has not written by now never will (a pod's files are closed before it exits).
        const last = await writtenShards(o.dir, o.shards);
        return { reason: 'job-finished', jobState: state, ...last, elapsedMs: Date.now() - start };
      }
    }
    if (elapsedMs >= o.timeoutMs) return { reason: 'timeout', written, missing, elapsedMs };
    await sleep(Math.min(pollMs, Math.max(0, o.timeoutMs - elapsedMs)), o.signal);
  }
}

export function describeWait(o: WaitOutcome, shards: number): string {
  const s = Math.round(o.elapsedMs / 1000);
  const missing = o.missing.length === 0 ? '' : `; no results from shard${o.missing.length === 1 ? '' : 's'} ${o.missing.join(', ')} (the merge will be partial and say so)`;
  switch (o.reason) {
    case 'all-written': return `All ${shards} shard${shards === 1 ? '' : 's'} wrote results (after ${s} s).`;
    case 'job-finished': return `The shard Job has ${o.jobState === 'failed' ? 'failed' : 'completed'} (after ${s} s): ${o.written.length} of ${shards} shards wrote results${missing}.`;
    case 'timeout': return `Stopped waiting after ${s} s: ${o.written.length} of ${shards} shards wrote results${missing}.`;
    case 'aborted': return `Stopped by a signal after ${s} s: ${o.written.length} of ${shards} shards wrote results${missing}.`;
  }
}
