import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { runCli, startCli } from '../helpers/cli.js';
import { until } from '../helpers/until.js';
import { joinInChild } from './shards.js';

/** The URL `wsherd barrier` printed on stderr once listening. */
async function listeningUrl(child: ChildProcess, stderr: () => string): Promise<string> {
  let url: string | undefined;
  await until('the barrier to print its URL', () => {
    if (child.exitCode !== null) throw new Error(`wsherd barrier exited ${child.exitCode}: ${stderr()}`);
    url = /Barrier listening on (http:\/\/[^\s:]+:\d+)/.exec(stderr())?.[1];
    return url !== undefined;
  }, 20_000);
  return url ?? '';
}

function collect(child: ChildProcess): () => string {
  let text = '';
  child.stderr?.on('data', (d: Buffer) => (text += d.toString()));
  return () => text;
}

describe('wsherd barrier (the CLI)', { timeout: 60_000 }, () => {
  test('serves until both shards of a run have their start, printing each arrival, then exits 0', async () => {
    const { child, done } = startCli(['barrier', '--port', '0', '--shards', '2', '--lead', '500ms', '--timeout', '30s']);
    const stderr = collect(child);
    const url = await listeningUrl(child, stderr);
    const results = await Promise.all([0, 1].map((shard) => joinInChild({ url, runId: 'cli-run', shard, shards: 2, timeoutMs: 20_000, leadMs: 0 })));
    const r = await done;
    assert.equal(r.code, 0, r.stderr);
    for (const s of results) {
      assert.ok(s.ok, JSON.stringify(s.error));
      assert.equal(s.ok.arrived, 2);
    }
    assert.ok(Math.abs((results[0]?.ok?.startAt ?? 0) - (results[1]?.ok?.startAt ?? 1)) <= 10);
    assert.match(r.stderr, /^Barrier listening on http:\/\/127\.0\.0\.1:\d+: waiting for 2 shards, lead 500ms, timeout 30s\.$/m);
    assert.match(r.stderr, /^run cli-run: shard [01] arrived \(1 of 2\)$/m);
    assert.match(r.stderr, /^run cli-run: shard [01] arrived \(2 of 2\)$/m);
    assert.match(r.stderr, /^run cli-run: all 2 shards arrived; start at \S+Z \(this host's clock\), in 500ms$/m);
    assert.match(r.stderr, /^run cli-run: all 2 shards have their start; done\.$/m);
    assert.equal(r.stdout, '');
  });

  test('--timeout with 1 of 2 shards: exit 6 naming the count and the shard that came', async () => {
    const { child, done } = startCli(['barrier', '--port', '0', '--timeout', '2s']);
    const stderr = collect(child);
    const url = await listeningUrl(child, stderr);
    const shard = await joinInChild({ url, runId: 'half', shard: 1, shards: 2, timeoutMs: 1000, leadMs: 0 });
    assert.equal(shard.error?.code, 'WSH_ERR_BARRIER_TIMEOUT');
    const r = await done;
    assert.equal(r.code, 6, r.stderr);
    assert.match(
      r.stderr,
      /^Error \[WSH_ERR_BARRIER_TIMEOUT\]: barrier http:\/\/127\.0\.0\.1:\d+: not every shard joined within 2s; run half: 1 of 2 shards arrived \(shard 1\)\.$/m,
    );
    assert.match(r.stderr, /^Hint: Check that every shard runs with --barrier pointing here/m);
  });

  test('bad flags are invalid input (exit 2), and Ctrl-C stops it with 130', async () => {
    const bad = await runCli(['barrier', '--lead', '3']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /^Error \[WSH_ERR_INVALID_INPUT\]: --lead has no unit \("3"\)\.$/m);
    assert.match(bad.stderr, /^Hint: add a unit, e\.g\. 5s, e\.g\. --lead 30s$/m);

    const { child, done } = startCli(['barrier', '--port', '0']);
    const stderr = collect(child);
    await listeningUrl(child, stderr);
    child.kill('SIGINT');
    const r = await done;
    assert.equal(r.code, 130, r.stderr);
    assert.match(r.stderr, /SIGINT: stopping the barrier…/);
  });
});
