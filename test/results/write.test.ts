import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { WsherdError } from '../../src/errors.js';
import { ExitCode } from '../../src/exit-codes.js';
import { readResults } from '../../src/results/read.js';
import { defaultOutDir, prepareOutDir, safeName, writeFileAtomic, writeResults } from '../../src/results/write.js';
import { sampleResults } from './fixture.js';

const tmp = await mkdtemp(path.join(os.tmpdir(), 'wsherd-write-test-'));
after(() => rm(tmp, { recursive: true, force: true }));

/** Asserts `p` rejects with WSH_ERR_OUTPUT_UNWRITABLE (exit 4) and a message matching `message`. */
async function rejectsUnwritable(p: Promise<unknown>, message: RegExp | string): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof WsherdError, String(err));
    assert.equal(err.code, 'WSH_ERR_OUTPUT_UNWRITABLE');
    assert.equal(err.exitCode, ExitCode.OUTPUT_UNWRITABLE);
    if (typeof message === 'string') assert.equal(err.message, message);
    else assert.match(err.message, message);
    assert.match(err.hint ?? '', /--out/);
    return true;
  });
}

describe('defaultOutDir', () => {
  test('wsherd-results/<name>-<YYYYMMDD-HHMMSS> in local time', () => {
    assert.equal(defaultOutDir('quickstart', new Date(2025, 5, 4, 9, 3, 7)), path.join('wsherd-results', 'quickstart-20250604-090307'));
    assert.equal(defaultOutDir('soak', new Date(2025, 11, 31, 23, 59, 59)), path.join('wsherd-results', 'soak-20251231-235959'));
  });

  test('the name is made safe for every file system', () => {
    const d = new Date(2025, 0, 2, 3, 4, 5);
    assert.equal(defaultOutDir('My LB / sticky?', d), path.join('wsherd-results', 'My-LB-sticky-20250102-030405'));
    assert.equal(safeName('café ünïcode'), 'cafe-unicode');
    assert.equal(safeName('../../etc/passwd'), 'etc-passwd');
    assert.equal(safeName('a\\b:c*d"e<f>g|h'), 'a-b-c-d-e-f-g-h');
    assert.equal(safeName('v1.2_rc-3'), 'v1.2_rc-3');
    assert.equal(safeName('...'), 'run');
    assert.equal(safeName('日本語'), 'run');
    assert.equal(safeName('x'.repeat(200)).length, 64);
  });
});

describe('prepareOutDir', () => {
  test('creates missing parents level by level and returns the absolute path, leaving no probe behind', async () => {
    const dir = path.join(tmp, 'a', 'b', 'c');
    const abs = await prepareOutDir(path.relative(process.cwd(), dir));
    assert.equal(abs, dir);
    assert.ok((await stat(dir)).isDirectory());
    assert.deepEqual(await readdir(dir), []);
    assert.equal(await prepareOutDir(dir), dir, 'an existing folder is fine');
  });

  test('a regular file in the path: exit 4 naming the file, nothing created', async () => {
    const file = path.join(tmp, 'plain-file');
    await writeFile(file, 'x');
    const dir = path.join(file, 'sub', 'deeper');
    await rejectsUnwritable(prepareOutDir(dir), `Output folder ${dir}: cannot create it: ${file} is a file, not a folder (ENOTDIR).`);
    await rejectsUnwritable(prepareOutDir(file), `Output folder ${file}: it is a file, not a folder (ENOTDIR).`);
    assert.equal(await readFile(file, 'utf8'), 'x');
  });

  test('under /proc and /sys: refused promptly with the OS reason (a recursive mkdir there can hang)', { timeout: 10_000 }, async () => {
    await rejectsUnwritable(prepareOutDir('/proc/wsherd-write-test/deep'), /^Output folder \/proc\/wsherd-write-test\/deep: cannot create it\b.*\(E[A-Z]+: /);
    await rejectsUnwritable(prepareOutDir('/sys/wsherd-write-test'), /^Output folder \/sys\/wsherd-write-test: cannot create it/);
  });

  test('a folder without write permission (as a non-root user)', { skip: process.getuid?.() === 0 ? 'root may write anywhere' : false }, async () => {
    const { chmod, mkdir } = await import('node:fs/promises');
    const locked = path.join(tmp, 'locked');
    await mkdir(locked);
    await chmod(locked, 0o500);
    try {
      await rejectsUnwritable(prepareOutDir(path.join(locked, 'run')), /cannot create it: .*locked is not writable \(EACCES/);
      await rejectsUnwritable(prepareOutDir(locked), /cannot write to it \(EACCES/);
    } finally {
      await chmod(locked, 0o700);
    }
  });
});

describe('writeFileAtomic', () => {
  test('writes, replaces an existing file, and leaves no temp file', async () => {
    const dir = await prepareOutDir(path.join(tmp, 'atomic'));
    const file = path.join(dir, 'index.html');
    await writeFileAtomic(file, 'first');
    await writeFileAtomic(file, 'second ✓');
    assert.equal(await readFile(file, 'utf8'), 'second ✓');
    assert.deepEqual(await readdir(dir), ['index.html']);
  });

  test('a folder that does not exist: exit 4 naming the file', async () => {
    const file = path.join(tmp, 'nope', 'results.json');
    await rejectsUnwritable(writeFileAtomic(file, '{}'), new RegExp(`^Could not write ${file}: ENOENT`));
  });
});

describe('writeResults', () => {
  test('round trip: results.json, 2-space JSON, reads back equal', async () => {
    const dir = await prepareOutDir(path.join(tmp, 'run'));
    const results = sampleResults();
    const file = await writeResults(dir, results);
    assert.equal(file, path.join(dir, 'results.json'));
    const text = await readFile(file, 'utf8');
    assert.equal(text, `${JSON.stringify(results, null, 2)}\n`);
    assert.match(text, /^\{\n {2}"format": "wsherd-results",\n {2}"version": 1,/);
    assert.deepEqual(await readResults(file), results);
    assert.deepEqual(await readdir(dir), ['results.json']);
  });

  test('an unwritable folder: exit 4', async () => {
    const file = path.join(tmp, 'not-a-dir');
    await writeFile(file, '');
    await rejectsUnwritable(writeResults(file, sampleResults()), /^Could not write .*not-a-dir\/results\.json: ENOTDIR/);
  });
});
