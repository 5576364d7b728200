/**
 * `npm run bench -- scale` (bench/scale.ts), small: 3,000 idle connections over 3 backends from 3 source addresses
 * with no proxy, and 1,000 through the reference proxy with 2 workers. The /proc oracle (ESTABLISHED sockets the
 * backends hold on their listening ports) must equal the run's own peak open, and every process of both runs must be
 * gone afterwards. Never a timing assertion: rates and bytes are the bench's to report.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from '../helpers/cli.js';

interface SavedCase {
  case: { name: string; clients: number };
  run?: { peakOpen: number; established: number; errors: number };
  oracle?: { established: number; ports: number[]; steady: boolean };
  samples: Array<{ tiers: Record<string, { processes: number }> }>;
  pids: Record<string, number[]>;
  bounds: string[];
}

test('bench scale: the /proc oracle equals the run\'s peak open, direct and through the proxy, and nothing is left running', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'wsherd-bench-scale-test-'));
  try {
    const json = path.join(dir, 'scale.json');
    const child = spawn(process.execPath, [path.join(ROOT, 'dist/bench/run.js'), 'scale', '--clients', '3000', '--backends', '3', '--sources', '3',
      '--workers', '2', '--rate', '1000', '--hold', '8', '--proxy-clients', '1000', '--proxy-backends', '2', '--proxy-workers', '2',
      '--proxy-sources', '2', '--proxy-gen-workers', '1', '--proxy-client-sources', '2', '--json', json], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
    const [code] = (await once(child, 'close')) as [number | null];
    assert.equal(code, 0, out);
    assert.match(out, /net\.core\.somaxconn = \d+/, 'the kernel limits are printed');
    assert.match(out, /bound: /, out);
    const saved = JSON.parse(await readFile(json, 'utf8')) as { cases: SavedCase[] };
    assert.deepEqual(saved.cases.map((c) => c.case.name), ['idle', 'proxy']);
    for (const c of saved.cases) {
      assert.ok(c.run !== undefined && c.oracle !== undefined, `${c.case.name}: the run's figures and the oracle: ${out}`);
      assert.ok(c.oracle.steady, `${c.case.name}: the oracle was read while the backends' count stood still`);
      assert.equal(c.oracle.established, c.run.peakOpen, `${c.case.name}: /proc's ESTABLISHED count equals the run's peak open`);
      // On a busy shared box a few handshakes may time out: the oracle must still agree with what the run held.
      assert.ok(c.run.peakOpen > 0, `${c.case.name}: connections held (errors ${c.run.errors})`);
      assert.ok(c.samples.some((s) => (s.tiers['backends']?.processes ?? 0) > 0), `${c.case.name}: the backends were sampled`);
    }
    // The bench's own cleanup: no process of either run outlives it (a pid reused since runs something else).
    const left = saved.cases.flatMap((c) => Object.values(c.pids).flat()).filter((pid) => {
      try {
        return /backend\/main|worker-main|proxy\/|dns\/main|bin\/run\.js/.test(readFileSync(`/proc/${pid}/cmdline`, 'latin1'));
      } catch {
        return false;
      }
    });
    assert.deepEqual(left, [], 'no process of the runs is left');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
