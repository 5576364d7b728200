/**
 * Issue 15: signals in every phase, and no child outliving its parent. The kernel is the oracle: /proc/PID/cmdline
 * says when the CLI's first module has run (it names itself `wsherd`), and /proc lists its descendants.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT, descendants, isAlive, startCli } from '../helpers/cli.js';
import { until } from '../helpers/until.js';

const QUICKSTART = path.join(ROOT, 'scenarios/quickstart.yaml');

/** True once the CLI's first module ran: it notes signals from then on, and names itself `wsherd` in /proc. */
function started(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').startsWith('wsherd');
  } catch {
    return false;
  }
}

describe('signals and children (issue 15)', () => {
  test('SIGINT during start-up: exit 130 and an aborted results folder, no child left', { timeout: 60_000 }, async () => {
    const out = path.join(mkdtempSync(path.join(os.tmpdir(), 'wsherd-sig-')), 'run');
    const { child, done } = startCli(['run', QUICKSTART, '--out', out, '-q']);
    const pid = child.pid as number;
    await until('the CLI notes signals', () => started(pid), 15_000, 2);
    const seen = new Set<number>();
    child.kill('SIGINT'); // before oclif has even loaded the command: nothing has started yet
    const res = await done;
    for (const d of descendants(pid)) seen.add(d);
    assert.equal(res.code, 130, res.stderr);
    assert.ok(existsSync(path.join(out, 'results.json')), `no results folder: ${res.stderr}`);
    const results = JSON.parse(readFileSync(path.join(out, 'results.json'), 'utf8')) as { status: string; statusReason?: string };
    assert.equal(results.status, 'aborted');
    assert.match(results.statusReason ?? '', /SIGINT/);
    assert.deepEqual([...seen].filter(isAlive), []);
  });

  test('kill -9 of the coordinator while its workers and lab run: every child exits by itself', { timeout: 60_000 }, async () => {
    const out = path.join(mkdtempSync(path.join(os.tmpdir(), 'wsherd-sig-')), 'run');
    const { child, done } = startCli(['run', QUICKSTART, '--out', out, '-q', '--workers', '4']);
    const pid = child.pid as number;
    // 3 backends and a proxy (the lab), then 4 workers: wait until all eight exist.
    await until('lab and workers started', () => descendants(pid).length >= 8, 30_000, 20);
    const kids = descendants(pid);
    child.kill('SIGKILL');
    await done;
    await until(`children of the killed coordinator gone (${kids.join(' ')})`, () => kids.every((k) => !isAlive(k)), 15_000, 50);
  });

  test('--workers beyond what the machine can use: refused before any fork', { timeout: 30_000 }, async () => {
    const { child, done } = startCli(['run', QUICKSTART, '--workers', '1000000000']);
    const res = await done;
    assert.equal(res.code, 2);
    assert.match(res.stderr, /workers: 1,000,000,000 is more than the 256 generator workers one run may fork/);
    assert.deepEqual(descendants(child.pid as number), []);
  });
});
