import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { WsherdError, type WsherdErrorCode } from '../../src/errors.js';
import { ExitCode } from '../../src/exit-codes.js';
import { MAX_LISTED_PROBLEMS, parseResults, readResults, resolveResultsFile } from '../../src/results/read.js';
import { SAMPLE_FILE, sampleResults } from './fixture.js';

const tmp = await mkdtemp(path.join(os.tmpdir(), 'wsherd-read-test-'));
after(() => rm(tmp, { recursive: true, force: true }));
const SAMPLE_TEXT = await readFile(SAMPLE_FILE, 'utf8');

/** Writes `text` to a fresh file and returns the WsherdError readResults throws for it. */
async function readError(name: string, text: string): Promise<WsherdError> {
  const file = path.join(tmp, name);
  await writeFile(file, text);
  return rejection(readResults(file));
}

async function rejection(p: Promise<unknown>): Promise<WsherdError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof WsherdError, String(err));
    assert.equal(err.exitCode, ExitCode.INVALID_INPUT, 'every bad input exits 2');
    assert.ok(err.hint, 'every error carries a hint');
    return err;
  }
  assert.fail('expected a rejection');
}

function assertCode(err: WsherdError, code: WsherdErrorCode): void {
  assert.equal(err.code, code, err.message);
}

describe('readResults', () => {
  test('reads the sample back as it was written', async () => {
    assert.deepEqual(await readResults(SAMPLE_FILE), sampleResults());
  });

  test('a missing file', async () => {
    const file = path.join(tmp, 'missing.json');
    const err = await rejection(readResults(file));
    assertCode(err, 'WSH_ERR_INVALID_INPUT');
    assert.equal(err.message, `${file}: no such file.`);
  });

  test('a truncated file: says truncated, and the line:col where it stops', async () => {
    // Cut inside the series, mid-number, as a copy taken while the file was written would be.
    const cut = SAMPLE_TEXT.slice(0, SAMPLE_TEXT.indexOf('"messagesSent": ', SAMPLE_TEXT.indexOf('"series"')) + 18);
    const lines = cut.split('\n');
    const [line, col] = [lines.length, (lines.at(-1) as string).length + 1];
    const file = path.join(tmp, 'truncated.json');
    const err = await readError('truncated.json', cut);
    assertCode(err, 'WSH_ERR_RESULTS_INVALID');
    assert.equal(err.message, `${file} is truncated: the JSON stops unfinished at line ${line}, column ${col} (${file}:${line}:${col}).`);
    assert.match(err.hint ?? '', /cut short/);
  });

  test('truncated anywhere (inside a string, after a comma, with a trailing newline) reads as truncated', async () => {
    for (const end of [120, 2001, SAMPLE_TEXT.indexOf(',', 5000) + 1, SAMPLE_TEXT.length - 3]) {
      const err = await readError('cut.json', `${SAMPLE_TEXT.slice(0, end)}\n`);
      assert.match(err.message, /cut\.json is truncated: the JSON stops unfinished at line \d+, column \d+ /, `cut at ${end}`);
    }
  });

  test('a syntax error in the middle: file:line:col and V8\'s reason', async () => {
    const lines = SAMPLE_TEXT.split('\n');
    const at = lines.findIndex((l) => l.includes('"peakOpen"'));
    // A missing comma (V8 gives a position) and a stray token (V8 gives none; the scanner finds it).
    const noComma = [...lines];
    noComma[at] = (noComma[at] as string).replace(/,$/, '');
    const file = path.join(tmp, 'syntax.json');
    let err = await readError('syntax.json', noComma.join('\n'));
    assertCode(err, 'WSH_ERR_RESULTS_INVALID');
    const nextCol = (lines[at + 1] as string).indexOf('"') + 1;
    assert.equal(err.message, `${file}:${at + 2}:${nextCol}: not valid JSON: Expected ',' or '}' after property value.`);

    const stray = [...lines];
    stray[at] = (stray[at] as string).replace('2000', '}');
    err = await readError('syntax.json', stray.join('\n'));
    const col = (lines[at] as string).indexOf('2000') + 1;
    assert.equal(err.message, `${file}:${at + 1}:${col}: not valid JSON: Unexpected token '}'.`);
  });

  test('an empty file', async () => {
    const err = await readError('empty.json', '');
    assertCode(err, 'WSH_ERR_RESULTS_INVALID');
    assert.match(err.message, /empty\.json is empty: there are no results in it\.$/);
  });

  test('a file from a newer wsherd names both versions, with the upgrade as hint', async () => {
    const err = await readError('newer.json', JSON.stringify({ ...sampleResults(), version: 2, summary: 'changed shape' }));
    assertCode(err, 'WSH_ERR_RESULTS_INVALID');
    assert.equal(err.message, `${path.join(tmp, 'newer.json')} was written by a newer wsherd (results version 2); this wsherd reads results version 1. Upgrade wsherd to read it.`);
    assert.match(err.hint ?? '', /^Run `npm install -g wsherd@latest`/);
  });

  test('another tool\'s JSON: wrong or missing format, not an object, a bad version', async () => {
    let err = await readError('k6.json', JSON.stringify({ ...sampleResults(), format: 'k6-summary' }));
    assertCode(err, 'WSH_ERR_RESULTS_INVALID');
    assert.match(err.message, /k6\.json is not a wsherd results file: its "format" is "k6-summary" \(expected "wsherd-results"\)\.$/);
    err = await readError('plain.json', '{"metrics": {}}');
    assert.match(err.message, /plain\.json is not a wsherd results file: it has no "format" field \(expected "wsherd-results"\)\.$/);
    err = await readError('array.json', '[1, 2]');
    assert.match(err.message, /array\.json is not a wsherd results file: it holds an array, not an object with "format": "wsherd-results"\.$/);
    err = await readError('v0.json', JSON.stringify({ ...sampleResults(), version: '1' }));
    assert.match(err.message, /v0\.json: "version" is "1"; expected a whole number >= 1 \(this wsherd reads results version 1\)\.$/);
  });

  test('shape errors list every problem with its JSON path', async () => {
    const r = sampleResults() as unknown as { summary: { latency: { rtt: Record<string, unknown> } }; series: Record<string, unknown>[] };
    delete r.summary.latency.rtt['p99'];
    (r.series[3] as Record<string, unknown>)['open'] = 'many';
    const file = path.join(tmp, 'shape.json');
    const err = await readError('shape.json', JSON.stringify(r));
    assertCode(err, 'WSH_ERR_RESULTS_INVALID');
    assert.equal(err.message, [
      `${file} is not a valid results file (2 problems):`,
      '  summary.latency.rtt.p99: missing (expected a number)',
      '  series[3].open: expected a whole number >= 0, found a string "many"',
    ].join('\n'));
    assert.match(err.hint ?? '', /docs\/results\.md/);
  });

  test('a long list of problems is cut after the first ones', () => {
    const r = sampleResults();
    for (const p of r.series) (p as unknown as Record<string, unknown>)['fds'] = -1;
    const err = (() => {
      try {
        parseResults(JSON.stringify(r), 'many.json');
      } catch (e) {
        return e as WsherdError;
      }
      assert.fail('expected a throw');
    })();
    const lines = err.message.split('\n');
    assert.equal(lines[0], `many.json is not a valid results file (${r.series.length} problems):`);
    assert.equal(lines.length, 1 + MAX_LISTED_PROBLEMS + 1);
    assert.equal(lines.at(-1), `  … and ${r.series.length - MAX_LISTED_PROBLEMS} more`);
  });

  test('unknown fields are ignored and a BOM is tolerated', () => {
    const r = { ...sampleResults(), addedInALaterMinor: { x: 1 } };
    assert.deepEqual(parseResults(`\ufeff${JSON.stringify(r)}`, 'bom.json'), r);
  });
});

describe('resolveResultsFile', () => {
  test('a folder resolves to its results.json; a file to itself; relative paths become absolute', async () => {
    const dir = path.join(tmp, 'run-folder');
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, 'results.json'), SAMPLE_TEXT);
    assert.equal(await resolveResultsFile(dir), path.join(dir, 'results.json'));
    assert.equal(await resolveResultsFile(path.join(dir, 'results.json')), path.join(dir, 'results.json'));
    assert.equal(await resolveResultsFile(path.relative(process.cwd(), dir)), path.join(dir, 'results.json'));
  });

  test('a missing path, and a folder without results.json: exit 2', async () => {
    const missing = path.join(tmp, 'no-such-run');
    let err = await rejection(resolveResultsFile(missing));
    assertCode(err, 'WSH_ERR_INVALID_INPUT');
    assert.equal(err.message, `${missing}: no such file or folder.`);
    const empty = path.join(tmp, 'empty-folder');
    await mkdir(empty, { recursive: true });
    err = await rejection(resolveResultsFile(empty));
    assert.equal(err.message, `${empty}: the folder has no results.json.`);
    assert.match(err.hint ?? '', /output folder/);
  });
});
