/**
 * `npm run bench -- merge` (bench/merge.ts), tiny: 4 shards × 30 s and two 2 s CLI runs. It prints every row, and
 * the merge it timed is exact: the merged results.json's established (and round trips) equal the sum of the shard
 * files' own, read here from the files the bench kept. Never a timing assertion: times and bytes are the bench's to
 * report, not the suite's to judge on a shared host.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from '../helpers/cli.js';
import type { Results } from '../../src/results/types.js';

const readResults = async (file: string): Promise<Results> => JSON.parse(await readFile(file, 'utf8')) as Results;

test('bench merge: prints its rows, and the merged established equals the sum of the shards\'', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'wsherd-bench-merge-test-'));
  try {
    const json = path.join(dir, 'merge.json');
    const work = path.join(dir, 'work');
    const child = spawn(process.execPath, [path.join(ROOT, 'dist/bench/run.js'), 'merge', '--shards', '4', '--seconds', '30', '--ramp', '5', '--clients', '100',
      '--runs', '1', '--cost-clients', '50', '--cost-seconds', '2', '--cost-runs', '1', '--dir', work, '--json', json], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
    const [code] = (await once(child, 'close')) as [number | null];
    assert.equal(code, 0, out);
    for (const re of [
      /shard files: 4, total [\d.]+ MB/,
      /merged: 30 s of series, status complete; established [\d,]+, the shards' sum [\d,]+: equal/,
      /merge \(mergeShards\), sparse +[\d.]+ s +[\d.]+ s +goal < 5\.00 s: (PASS|FAIL)/,
      /peak RSS \(VmHWM\), sparse +[\d.]+ MB +[\d.]+ MB +goal < 500\.0 MB: (PASS|FAIL)/,
      /merge, library decode\+add +[\d.]+ s/,
      /library \/ sparse: merge time [\d.]+x, CPU [\d.]+x, peak RSS [\d.]+x/,
      /its CPU \(user \+ system\) +[\d.]+ s/,
      /without the shard section [\d.]+ s .*, with it [\d.]+ s/,
      /worker CPU-s \(sum of cpuMs\) +[\d.]+ +[\d.]+ +[\d.]+x/,
      /coordinator peak RSS \(VmHWM\) +[\d.]+ MB +[\d.]+ MB +[\d.]+x/,
      /load end → results written +\d+ ms +\d+ ms/,
      /established per run: 50, 50; exits: 0, 0/,
    ]) assert.match(out, re, out);

    // The exact check, from the files themselves: the shards the bench wrote and the merge it timed.
    const shardDirs = (await readdir(work)).filter((d) => /^shard-\d+$/.test(d));
    assert.equal(shardDirs.length, 4, `four shard folders: ${shardDirs.join(', ')}`);
    const shards = await Promise.all(shardDirs.map((d) => readResults(path.join(work, d, 'results.json'))));
    const merged = await readResults(path.join(work, 'merged', 'results.json'));
    const sum = (f: (r: Results) => number): number => shards.reduce((t, r) => t + f(r), 0);
    assert.ok(shards.every((s) => s.shard !== undefined && s.raw !== undefined), 'each file is a shard\'s, with its raw section');
    assert.ok(sum((r) => r.summary.counters.established) > 0, 'the shards established connections');
    assert.equal(merged.summary.counters.established, sum((r) => r.summary.counters.established));
    assert.equal(merged.summary.latency.rtt.count, sum((r) => r.summary.latency.rtt.count));
    assert.deepEqual(merged.merge?.shards.map((s) => s.index), [0, 1, 2, 3]);
    const saved = JSON.parse(await readFile(json, 'utf8')) as { established: { merged: number; shardsSum: number }; costRuns: unknown[] };
    assert.equal(saved.established.merged, merged.summary.counters.established);
    assert.equal(saved.costRuns.length, 2);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
