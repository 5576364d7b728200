/**
 * Issue 15: oclif reads a piped stdin as a missing argument, so `echo x | wsherd plan --connections -5` said "Plan
 * file x does not exist". No command takes its file from stdin: the flags' own problems must be what is reported.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { BIN, ROOT } from '../helpers/cli.js';

function withStdin(args: string[], input: string): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' }, stdio: ['pipe', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdin.end(input);
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stderr })));
}

describe('piped stdin is never an argument', () => {
  test('plan: the bad flag is reported, not stdin as a file name', { timeout: 30_000 }, async () => {
    const res = await withStdin(['plan', '--connections', '-5'], 'x\n');
    assert.equal(res.code, 2, res.stderr);
    assert.match(res.stderr, /--connections must be at least 1, got -5/);
    assert.doesNotMatch(res.stderr, /Plan file x/);
  });

  test('run: a missing scenario is a missing argument, whatever stdin holds', { timeout: 30_000 }, async () => {
    const res = await withStdin(['run'], 'scenarios/quickstart.yaml\n');
    assert.equal(res.code, 2, res.stderr);
    assert.match(res.stderr, /Missing 1 required arg/);
  });
});
