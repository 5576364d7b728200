import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ROOT, runCli, startCli } from '../helpers/cli.js';
import { until } from '../helpers/until.js';

const fixture = (name: string): string => path.join(ROOT, 'test/fixtures/cli', name);
const tmp = (): string => mkdtempSync(path.join(tmpdir(), 'wsherd-stream-'));
const lines = (file: string): Record<string, unknown>[] =>
  existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>) : [];

describe('wsherd run --stream (the real binary)', () => {
  test('start, one line per second equal to results.json series, done with the summary', { timeout: 60_000 }, async () => {
    const dir = tmp();
    const stream = path.join(dir, 'run.ndjson');
    const res = await runCli(['run', fixture('tiny-lab.yaml'), '--out', path.join(dir, 'out'), '-q', '--stream', stream]);
    assert.equal(res.code, 0, res.stderr);
    const all = lines(stream);
    const results = JSON.parse(readFileSync(path.join(dir, 'out', 'results.json'), 'utf8'));
    assert.equal(all[0]?.type, 'start');
    assert.equal(all[0]?.clients, 40);
    const seconds = all.filter((l) => l.type === 'second');
    assert.deepEqual(seconds.map((s) => s.t), results.series.map((p: { t: number }) => p.t));
    for (const [i, s] of seconds.entries()) {
      const { type: _type, time, targetOpen, phase, ...point } = s;
      assert.deepEqual(point, results.series[i], `second ${i}`);
      assert.ok(typeof time === 'string' && typeof targetOpen === 'number' && typeof phase === 'string');
    }
    const done = all[all.length - 1];
    assert.equal(done?.type, 'done');
    assert.equal(done?.status, 'complete');
    assert.deepEqual(done?.counters, results.summary.counters);
  });

  test('written as the run goes: seconds are in the file before the run ends; an aborted run says so', { timeout: 60_000 }, async () => {
    const dir = tmp();
    const stream = path.join(dir, 'run.ndjson');
    const { child, done } = startCli(['run', fixture('long-lab.yaml'), '--out', path.join(dir, 'out'), '-q', '--stream', stream]);
    await until('two seconds streamed', () => lines(stream).filter((l) => l.type === 'second').length >= 2, 30_000, 100);
    assert.equal(child.exitCode, null, 'the run is still going');
    child.kill('SIGINT');
    const res = await done;
    assert.equal(res.code, 130, res.stderr);
    const last = lines(stream).at(-1);
    assert.equal(last?.type, 'done');
    assert.equal(last?.status, 'aborted');
  });

  test('a full disk (/dev/full): one warning, and the run goes on to its results', { timeout: 60_000 }, async () => {
    const dir = tmp();
    const res = await runCli(['run', fixture('tiny-lab.yaml'), '--out', path.join(dir, 'out'), '--stream', '/dev/full']);
    assert.equal(res.code, 0, res.stderr);
    assert.equal((res.stderr.match(/--stream \/dev\/full: stopped writing \(ENOSPC/g) ?? []).length, 1, res.stderr);
    assert.ok(existsSync(path.join(dir, 'out', 'results.json')));
  });

  test('an unwritable stream path: exit 4 before anything starts', async () => {
    const res = await runCli(['run', fixture('tiny-lab.yaml'), '--stream', '/proc/wsherd/nope.ndjson']);
    assert.equal(res.code, 4, res.stderr);
    assert.match(res.stderr, /Could not write the stream file \/proc\/wsherd\/nope\.ndjson/);
    assert.doesNotMatch(res.stderr, /\n\s+at /);
  });
});
