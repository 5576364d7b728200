/**
 * Smoke test of `npm run bench -- proxy --quick` (bench/proxy-vs-haproxy.ts): it runs end to end through the real
 * runner against the lab's backends, wsherd's proxy (L4, L7) and HAProxy (tcp, http), prints every row and every
 * verdict, and saves them as JSON. Never a timing assertion: the figures are the bench's to report.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from '../helpers/cli.js';

const haproxy = spawnSync('haproxy', ['-v']).status === 0;

test('bench proxy --quick prints every proxy row and every verdict, and saves them', { skip: haproxy ? false : 'haproxy not installed', timeout: 90_000 }, async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'wsherd-bench-proxy-test-'));
  try {
    const json = path.join(dir, 'proxy.json');
    const child = spawn(process.execPath, [path.join(ROOT, 'dist/bench/run.js'), 'proxy', '--quick', '--out', json], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
    const [code] = (await once(child, 'close')) as [number | null];
    assert.equal(code, 0, out);
    assert.match(out, /^run 1: direct p50 .* direct closed loop \d+ echoes\/s/m, out);
    for (const kind of ['wsherd-l4', 'haproxy-tcp', 'wsherd-l7', 'haproxy-http']) {
      assert.match(out, new RegExp(`^  ${kind} +closed loop +\\d+ echoes/s .* fixed rate p50 .* added p50 .* p99 .* idle RSS [\\d.]+ MB; held \\d+ \\(failed \\d+\\)`, 'm'), `${kind} row\n${out}`);
    }
    for (const mode of ['L4', 'L7']) {
      for (const what of ['closed-loop echoes/s wsherd/haproxy', 'added p99 wsherd', 'bytes per held connection wsherd/haproxy', 'idle RSS wsherd']) {
        assert.match(out, new RegExp(`^  ${mode} ${what}.*\\(goal .*\\) (PASS|MISS|INCONCLUSIVE)`, 'm'), `${mode} ${what}\n${out}`);
      }
    }
    assert.match(out, /^ {2}wsherd bytes per held connection L7\/L4: .* (PASS|MISS)/m, out);
    const saved = JSON.parse(await readFile(json, 'utf8')) as { runs: Array<{ proxies: Record<string, unknown> }>; verdicts: unknown[] };
    assert.equal(saved.runs.length, 1);
    assert.deepEqual(Object.keys(saved.runs[0]?.proxies ?? {}).sort(), ['haproxy-http', 'haproxy-tcp', 'wsherd-l4', 'wsherd-l7']);
    assert.equal(saved.verdicts.length, 9);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
