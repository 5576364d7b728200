/**
 * Smoke test of `npm run bench -- flows` (bench/flows.ts), tiny: it runs end to end through the real CLI, prints its
 * ratio and rates, and saves them as JSON. Never a timing assertion: the figures are the bench's to report, not the
 * suite's to judge on a shared host.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from '../helpers/cli.js';

test('bench flows runs and prints the flow/echo ratio and the fan-out rates', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'wsherd-bench-flows-test-'));
  try {
    const json = path.join(dir, 'flows.json');
    const child = spawn(process.execPath, [path.join(ROOT, 'dist/bench/run.js'), 'flows', '--clients', '10', '--rate', '20', '--seconds', '1',
      '--subscribers', '20', '--publish-rate', '5', '--fanout-seconds', '1', '--workers', '1', '--json', json], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
    const [code] = (await once(child, 'close')) as [number | null];
    assert.equal(code, 0, out);
    assert.match(out, /flow\/echo ratio: \d+\.\d\d \(goal ≥ 0\.8\)/, out);
    assert.match(out, /deliveries received by the generator: \d+ over [\d.]+ s of the app writing = \d+\/s/, out);
    assert.match(out, /deliveries written by the app: \d+/, out);
    const saved = JSON.parse(await readFile(json, 'utf8')) as { ratio: number; fanout: { receivedByGenerator: number; appWritten: number } };
    assert.ok(Number.isFinite(saved.ratio), JSON.stringify(saved));
    assert.equal(saved.fanout.receivedByGenerator, saved.fanout.appWritten, 'every delivery the app wrote was received');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
