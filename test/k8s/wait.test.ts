/**
 * The merge pod's wait: it ends when every shard has written results.json, when the shard Job has finished (read from
 * an API server: here a plain HTTP server of the test's own on 127.0.0.1 answering as Kubernetes does), or at its
 * deadline, and it names the shards that wrote nothing.
 */
import { describe, test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { inClusterApi, jobState, waitForShards, type JobApi } from '../../src/k8s/wait.js';

function writeShard(dir: string, i: number): void {
  mkdirSync(path.join(dir, `shard-${i}`), { recursive: true });
  writeFileSync(path.join(dir, `shard-${i}`, 'results.json'), '{}');
}

/** An API server answering GET /apis/batch/v1/namespaces/ns/jobs/j with `answer()`, counting requests and tokens. */
async function apiServer(answer: () => { status: number; body: unknown }): Promise<{ server: Server; api: JobApi; seen: string[] }> {
  const seen: string[] = [];
  const server = createServer((req, res) => {
    seen.push(`${req.method ?? ''} ${req.url ?? ''} ${req.headers.authorization ?? ''}`);
    const a = answer();
    res.writeHead(a.status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(a.body));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return { server, seen, api: { url: `http://127.0.0.1:${port}`, token: 'tok', namespace: 'ns', job: 'j' } };
}

const job = (conditions: Array<{ type: string; status: string }>) => ({ kind: 'Job', status: { conditions } });

describe('k8s wait', () => {
  let dir = '';
  let server: Server | undefined;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'wsherd-wait-'));
  });
  afterEach(() => {
    server?.close();
    server = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  test('ends as soon as the last shard writes its results', { timeout: 10_000 }, async () => {
    writeShard(dir, 0);
    const late = setTimeout(() => { writeShard(dir, 1); writeShard(dir, 2); }, 300);
    const started = Date.now();
    const out = await waitForShards({ dir, shards: 3, timeoutMs: 8000, pollMs: 50 });
    clearTimeout(late);
    assert.equal(out.reason, 'all-written');
    assert.deepEqual(out.written, [0, 1, 2]);
    assert.ok(Date.now() - started < 3000);
  });

  test('ends at its deadline with what is missing', { timeout: 10_000 }, async () => {
    writeShard(dir, 1);
    const out = await waitForShards({ dir, shards: 3, timeoutMs: 400, pollMs: 50 });
    assert.equal(out.reason, 'timeout');
    assert.deepEqual(out.written, [1]);
    assert.deepEqual(out.missing, [0, 2]);
    assert.ok(out.elapsedMs >= 400 && out.elapsedMs < 3000, String(out.elapsedMs));
  });

  test('ends when the shard Job has failed, without waiting for the deadline', { timeout: 10_000 }, async () => {
    writeShard(dir, 0);
    let asked = 0;
    const s = await apiServer(() => (++asked < 3 ? { status: 200, body: job([]) } : { status: 200, body: job([{ type: 'FailureTarget', status: 'True' }, { type: 'Failed', status: 'True' }]) }));
    server = s.server;
    const out = await waitForShards({ dir, shards: 2, timeoutMs: 8000, pollMs: 50, job: s.api });
    assert.equal(out.reason, 'job-finished');
    assert.equal(out.jobState, 'failed');
    assert.deepEqual(out.missing, [1]);
    assert.equal(asked, 3);
    assert.equal(s.seen[0], 'GET /apis/batch/v1/namespaces/ns/jobs/j Bearer tok');
  });

  test('a Job complete is complete; one still running is running', async () => {
    const s = await apiServer(() => ({ status: 200, body: job([{ type: 'Complete', status: 'True' }]) }));
    server = s.server;
    assert.equal(await jobState(s.api), 'complete');
    server.close();
    const r = await apiServer(() => ({ status: 200, body: job([{ type: 'Failed', status: 'False' }]) }));
    server = r.server;
    assert.equal(await jobState(r.api), 'running');
  });

  test('an API that refuses (403) is said once, and the wait goes on by files and deadline', { timeout: 10_000 }, async () => {
    const s = await apiServer(() => ({ status: 403, body: { kind: 'Status', reason: 'Forbidden' } }));
    server = s.server;
    const lines: string[] = [];
    const out = await waitForShards({ dir, shards: 1, timeoutMs: 300, pollMs: 50, job: s.api, log: (l) => lines.push(l) });
    assert.equal(out.reason, 'timeout');
    assert.equal(lines.length, 1);
    assert.match(lines[0] ?? '', /HTTP 403 \(the pod's service account may not read the Job\)/);
    assert.ok(s.seen.length > 2);
  });

  test('the in-cluster API comes from the service account files and the env', () => {
    const sa = path.join(dir, 'sa');
    mkdirSync(sa);
    writeFileSync(path.join(sa, 'token'), 'abc\n');
    writeFileSync(path.join(sa, 'namespace'), 'load');
    writeFileSync(path.join(sa, 'ca.crt'), 'PEM');
    assert.deepEqual(inClusterApi('j', { KUBERNETES_SERVICE_HOST: '10.0.0.1', KUBERNETES_SERVICE_PORT: '443' }, sa), { url: 'https://10.0.0.1:443', token: 'abc', ca: 'PEM', namespace: 'load', job: 'j' });
    assert.equal(inClusterApi('j', {}, sa), undefined);
    assert.equal(inClusterApi('j', { KUBERNETES_SERVICE_HOST: '10.0.0.1' }, path.join(dir, 'none')), undefined);
  });
});
