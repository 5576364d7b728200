/** `wsherd report` through the real binary: one file, several, --baseline, and bad input. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Results } from '../../src/results/types.js';
import { runCli } from '../helpers/cli.js';
import { sampleResults } from '../results/fixture.js';

let tmp: string;

/** Writes `r` as <tmp>/<name>/results.json and returns that folder. */
async function writeRun(name: string, r: Results, text?: string): Promise<string> {
  const dir = path.join(tmp, name);
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'results.json'), text ?? JSON.stringify(r, null, 2));
  return dir;
}

before(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'wsherd-cli-report-'));
});
after(() => rm(tmp, { recursive: true, force: true }));

describe('wsherd report with several results', () => {
  test('writes compare.html and compare.json with one row per run, named by folder when scenarios repeat', async () => {
    const slow = sampleResults();
    slow.summary.latency.connect.p99 = 40;
    const other = sampleResults();
    other.scenario.name = 'other-scenario';
    const a = await writeRun('monday', sampleResults());
    const b = await writeRun('tuesday', slow);
    const c = await writeRun('wednesday', other);
    const out = path.join(tmp, 'side-by-side');
    const res = await runCli(['report', path.join(a, 'results.json'), b, c, '--out', out]);
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /^ {2}monday +2,005 .*11\.8 ★/m);
    assert.match(res.stdout, /Report: +.*side-by-side\/compare\.html/);
    const json = JSON.parse(await readFile(path.join(out, 'compare.json'), 'utf8')) as { approaches: { name: string; results: string }[]; best: Record<string, string[]> };
    assert.deepEqual(json.approaches.map((x) => x.name), ['monday', 'tuesday', 'other-scenario']);
    assert.equal(json.approaches[1]?.results, '../tuesday/results.json');
    assert.deepEqual(json.best['connectP99'], ['monday', 'other-scenario']);
    const html = await readFile(path.join(out, 'compare.html'), 'utf8');
    assert.match(html, /<a href="\.\.\/monday\/index\.html">monday<\/a>/);
  });

  test('--json prints the comparison', async () => {
    const a = await writeRun('j1', sampleResults());
    const b = await writeRun('j2', sampleResults());
    const res = await runCli(['report', a, b, '--out', path.join(tmp, 'j-out'), '--json']);
    assert.equal(res.code, 0, res.stderr);
    const parsed = JSON.parse(res.stdout) as { format: string; approaches: unknown[]; files: { html: string } };
    assert.equal(parsed.format, 'wsherd-compare');
    assert.equal(parsed.approaches.length, 2);
    assert.equal(parsed.files.html, path.join(tmp, 'j-out', 'compare.html'));
  });
});

describe('wsherd report --baseline', () => {
  test('a regression: exit 3, the table names it, baseline.html next to the new run', async () => {
    const old = await writeRun('base', sampleResults());
    const worse = sampleResults();
    worse.summary.latency.connect.p99 = 30;
    worse.summary.counters.established = 1000;
    const next = await writeRun('worse', worse);
    const res = await runCli(['report', '--baseline', old, path.join(next, 'results.json')]);
    assert.equal(res.code, 3, res.stderr);
    assert.match(res.stdout, /^ {2}p99\(connect\) +11\.8 ms +30\.0 ms +\+18\.2 ms +\+154\.2% +10% +REGRESSED$/m);
    assert.match(res.stdout, /^ {2}connections\.established +2,005 +1,000 +-1,005 +-50\.1% +10% +REGRESSED$/m);
    assert.match(res.stdout, /2 regressions: p99\(connect\), connections\.established/);
    const html = await readFile(path.join(next, 'baseline.html'), 'utf8');
    assert.match(html, /<tr class="regressed"><th>p99\(connect\)/);
  });

  test('no regression: exit 0; --tolerance widens one metric; --json carries rows and regressions', async () => {
    const old = await writeRun('base2', sampleResults());
    const slightly = sampleResults();
    slightly.summary.latency.connect.p99 *= 1.15;
    const next = await writeRun('slightly', slightly);
    const strict = await runCli(['report', '--baseline', old, next, '--json']);
    assert.equal(strict.code, 3, strict.stderr);
    const parsed = JSON.parse(strict.stdout) as { regressions: string[]; rows: { metric: string; relative: number }[]; html: string };
    assert.deepEqual(parsed.regressions, ['p99(connect)']);
    assert.ok(Math.abs((parsed.rows.find((r) => r.metric === 'p99(connect)')?.relative ?? 0) - 0.15) < 1e-9);
    assert.equal(parsed.html, path.join(next, 'baseline.html'));
    const loose = await runCli(['report', '--baseline', old, next, '--tolerance', 'p99(connect)=20%', '--out', path.join(tmp, 'loose')]);
    assert.equal(loose.code, 0, loose.stderr);
    assert.match(loose.stdout, /No regression/);
  });

  test('two different scenarios: a warning, and the comparison', async () => {
    const other = sampleResults();
    other.scenario.name = 'something-else';
    const old = await writeRun('base3', sampleResults());
    const next = await writeRun('other', other);
    const res = await runCli(['report', '--baseline', old, next]);
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /warning: The runs are of different scenarios \("lb-smoke" and "something-else"\)/);
  });

  test('bad --tolerance: exit 2 with a hint', async () => {
    const res = await runCli(['report', '--baseline', path.join(tmp, 'base'), path.join(tmp, 'worse'), '--tolerance', '0.1']);
    assert.equal(res.code, 2);
    assert.match(res.stderr, /Error \[WSH_ERR_INVALID_INPUT\]: --tolerance 0\.1: expected a percentage such as 10%, got "0\.1"\./);
    assert.match(res.stderr, /Hint: Write --tolerance 10%/);
  });
});

describe('wsherd report with bad input', () => {
  test('a JSON file that is not a results file: exit 2, no stack trace', async () => {
    const file = path.join(tmp, 'package.json');
    await writeFile(file, JSON.stringify({ name: 'x', version: '1.0.0' }));
    const res = await runCli(['report', file]);
    assert.equal(res.code, 2);
    assert.match(res.stderr, /^Error \[WSH_ERR_RESULTS_INVALID\]: .*package\.json is not a wsherd results file: it has no "format" field \(expected "wsherd-results"\)\.$/m);
    assert.match(res.stderr, /^Hint: Give the results\.json that `wsherd run` wrote/m);
    assert.doesNotMatch(res.stderr, /\n\s+at /);
  });

  test('a results file of a newer version: exit 2 naming both versions', async () => {
    const dir = await writeRun('newer', { ...sampleResults(), version: 2 });
    const res = await runCli(['report', '--baseline', path.join(tmp, 'base'), dir]);
    assert.equal(res.code, 2);
    assert.match(res.stderr, /^Error \[WSH_ERR_RESULTS_INVALID\]: .*newer\/results\.json was written by a newer wsherd \(results version 2\); this wsherd reads results version 1\./m);
  });

  test('a truncated file: rendered as far as it is complete, marked partial, with a warning', async () => {
    const text = JSON.stringify(sampleResults(), null, 2);
    const dir = await writeRun('cut', sampleResults(), text.slice(0, text.indexOf('"series"') + 2000));
    const res = await runCli(['report', dir, '--json']);
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stderr, /^Warning: .*results\.json: results file truncated after byte \d+ \(line \d+, column \d+\); only what was complete before it is shown\. The report is marked partial\.$/m);
    const parsed = JSON.parse(res.stdout) as { status: string; verdict: string; truncated: { bytes: number } };
    assert.equal(parsed.status, 'aborted');
    assert.equal(parsed.verdict, 'ABORTED');
    assert.ok(parsed.truncated.bytes > 0);
    assert.match(await readFile(path.join(dir, 'index.html'), 'utf8'), /truncated after byte/);
  });

  test('a file cut before its summary: exit 2 naming the byte position', async () => {
    const text = JSON.stringify(sampleResults(), null, 2);
    const dir = await writeRun('cut-early', sampleResults(), text.slice(0, 300));
    const res = await runCli(['report', dir]);
    assert.equal(res.code, 2);
    assert.match(res.stderr, /^Error \[WSH_ERR_RESULTS_INVALID\]: .*results\.json is truncated and cannot be repaired: it stops after byte 300 \(line \d+, column \d+\)/m);
    assert.match(res.stderr, /^Hint: The file was cut short/m);
  });

  test('--baseline with two results files: exit 2', async () => {
    const res = await runCli(['report', '--baseline', path.join(tmp, 'base'), path.join(tmp, 'worse'), path.join(tmp, 'base2')]);
    assert.equal(res.code, 2);
    assert.match(res.stderr, /--baseline compares one results file against it, but 2 were given/);
  });
});
