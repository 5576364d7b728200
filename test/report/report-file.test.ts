import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { reportFromFile } from '../../src/report/report-file.js';
import { SAMPLE_FILE } from '../results/fixture.js';

const run = promisify(execFile);
const BIN = fileURLToPath(new URL('../../../bin/run.js', import.meta.url));
const tmp = await mkdtemp(path.join(os.tmpdir(), 'wsherd-report-test-'));
after(() => rm(tmp, { recursive: true, force: true }));

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], { timeout: 20_000, env: { ...process.env, NO_COLOR: '1' } });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('reportFromFile', () => {
  test('writes index.html next to the results, or into another folder', async () => {
    const dir = path.join(tmp, 'run1');
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir);
    await copyFile(SAMPLE_FILE, path.join(dir, 'results.json'));
    const a = await reportFromFile(dir);
    assert.equal(a.html, path.join(dir, 'index.html'));
    assert.equal(a.results, path.join(dir, 'results.json'));
    assert.equal(a.verdict, 'THRESHOLDS FAILED');
    assert.match(await readFile(a.html, 'utf8'), /id="wsherd-data"/);
    const out = path.join(tmp, 'elsewhere', 'deep');
    const b = await reportFromFile(path.join(dir, 'results.json'), out);
    assert.equal(b.html, path.join(out, 'index.html'));
    assert.ok((await stat(b.html)).size > 50_000);
  });
});

describe('wsherd report (the CLI)', () => {
  test('prints the path of the written report; --json prints the summary', async () => {
    const file = path.join(tmp, 'cli-results.json');
    await copyFile(SAMPLE_FILE, file);
    const plain = await cli(['report', file]);
    assert.equal(plain.code, 0, plain.stderr);
    assert.equal(plain.stdout.trim(), path.join(tmp, 'index.html'));
    const json = await cli(['report', file, '--json', '--out', path.join(tmp, 'json-out')]);
    assert.equal(json.code, 0, json.stderr);
    const parsed = JSON.parse(json.stdout) as { html: string; verdict: string; summary: { counters: { attempted: number } } };
    assert.equal(parsed.html, path.join(tmp, 'json-out', 'index.html'));
    assert.equal(parsed.verdict, 'THRESHOLDS FAILED');
    assert.equal(parsed.summary.counters.attempted, 2020);
  });

  test('a results file from a newer wsherd: exit 2 and a message naming both versions', async () => {
    const r = JSON.parse(await readFile(SAMPLE_FILE, 'utf8')) as Record<string, unknown>;
    const file = path.join(tmp, 'newer.json');
    await writeFile(file, JSON.stringify({ ...r, version: 7 }));
    const res = await cli(['report', file]);
    assert.equal(res.code, 2);
    assert.match(res.stderr, /Error \[WSH_ERR_RESULTS_INVALID\]: .*newer\.json was written by a newer wsherd \(results version 7\); this wsherd reads results version 1\. Upgrade wsherd to read it\./);
    assert.match(res.stderr, /Hint: Run `npm install -g wsherd@latest`/);
  });

  test('an unwritable --out: exit 4 before anything is written', async () => {
    const res = await cli(['report', SAMPLE_FILE, '--out', '/proc/wsherd-report-test']);
    assert.equal(res.code, 4);
    assert.match(res.stderr, /Error \[WSH_ERR_OUTPUT_UNWRITABLE\]: Output folder \/proc\/wsherd-report-test: cannot create it/);
  });
});
