/**
 * Issue 15: -q/--quiet on every command (it was only on run and compare). Quiet keeps the result and drops the
 * banners: a backend started with -q prints its URL line and nothing else on stdout.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { runCli, startCli } from '../helpers/cli.js';
import { until } from '../helpers/until.js';

const COMMANDS = [['run'], ['compare'], ['report'], ['plan'], ['proxy'], ['backend'], ['lab', 'up']];

describe('-q on every command', () => {
  for (const cmd of COMMANDS) {
    test(`${cmd.join(' ')} takes -q/--quiet`, async () => {
      const res = await runCli([...cmd, '--help']);
      assert.equal(res.code, 0, res.stderr);
      assert.match(res.stdout, /-q, --quiet/);
    });
  }

  test('backend -q prints only where it listens', { timeout: 30_000 }, async () => {
    let out = '';
    const { child, done } = startCli(['backend', '-q', '--id', 'qb']);
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    await until('listening line', () => out.includes('listening on'));
    child.kill('SIGINT');
    const res = await done;
    assert.equal(res.code, 130);
    assert.deepEqual(res.stdout.trim().split('\n').length, 1, res.stdout);
    assert.doesNotMatch(res.stdout, /Stats:/);
  });

  test('backend --host 0.0.0.0 says it listens on every interface, not 127.0.0.1 (issue 15)', { timeout: 30_000 }, async () => {
    let out = '';
    const { child, done } = startCli(['backend', '-q', '--host', '0.0.0.0', '--id', 'wild']);
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    await until('listening line', () => out.includes('listening on'));
    child.kill('SIGTERM');
    assert.equal((await done).code, 143);
    assert.match(out, /listening on 0\.0\.0\.0:\d+ \(every IPv4 interface; from this host: ws:\/\/127\.0\.0\.1:\d+\/\)/);
  });
});
