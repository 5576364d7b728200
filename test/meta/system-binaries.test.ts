/**
 * Issue 15: a test needing a system binary skips with the apt package named on a developer's machine, and fails
 * under CI (which installs them all), so a broken install step cannot pass as a green run of skips.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);
const HELPER = new URL('../helpers/system.js', import.meta.url).href;
const script = `import { needBinary } from '${HELPER}'; console.log(JSON.stringify(needBinary('/nonexistent/redis-server', 'redis-server')));`;

async function outcome(ci: string | undefined): Promise<{ out: string; err: string; code: number }> {
  const env = { ...process.env };
  delete env.CI;
  if (ci !== undefined) env.CI = ci;
  try {
    const { stdout, stderr } = await run(process.execPath, ['--input-type=module', '-e', script], { env });
    return { out: stdout.trim(), err: stderr, code: 0 };
  } catch (e) {
    const x = e as { stdout: string; stderr: string; code: number };
    return { out: x.stdout.trim(), err: x.stderr, code: x.code };
  }
}

describe('tests that need a system binary', () => {
  test('outside CI: skip, naming the apt package', async () => {
    const o = await outcome(undefined);
    assert.equal(o.code, 0, o.err);
    assert.equal(JSON.parse(o.out), '/nonexistent/redis-server not found: apt-get install redis-server');
  });

  test('under CI: fail, naming the package and .ci/run', async () => {
    const o = await outcome('true');
    assert.notEqual(o.code, 0);
    assert.match(o.err, /apt-get install redis-server \(CI must install it: add redis-server to PACKAGES in \.ci\/run\)/);
  });

  test('a binary that is there: no skip', async () => {
    const { needBinary } = await import('../helpers/system.js');
    assert.equal(needBinary(process.execPath, 'nodejs'), false);
  });
});
