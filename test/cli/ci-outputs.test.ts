import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ROOT, runCli, startCli } from '../helpers/cli.js';
import { assertWellFormedXml } from '../helpers/xml.js';
import { saturationOf } from '../../src/analysis/saturation.js';
import type { Results } from '../../src/results/types.js';

const fixture = (name: string): string => path.join(ROOT, 'test/fixtures/cli', name);
const made: string[] = [];
const tmp = (): string => {
  const dir = mkdtempSync(path.join(tmpdir(), 'wsherd-ci-'));
  made.push(dir);
  return dir;
};
after(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});
const read = (file: string): string => readFileSync(file, 'utf8');
/**
 * Whether the suite's own load stalled this run's generator (then its verdict is rightly INCONCLUSIVE, and these
 * rendering tests check that rendering instead of PASS; the saturation verdict itself is tested in test/oracle).
 */
const saturated = (resultsFile: string): boolean => saturationOf(JSON.parse(read(resultsFile)) as Results).saturated;
// eslint-disable-next-line no-control-regex -- looking for them is the point
const ANSI = /\u001b\[/;

describe('CI outputs of the real binary (--junit, --markdown, $GITHUB_STEP_SUMMARY)', () => {
  test('a passing run: JUnit and Markdown written (folders created), the job summary appended to, not overwritten; NO_COLOR beats FORCE_COLOR', { timeout: 60_000 }, async () => {
    const dir = tmp();
    const step = path.join(dir, 'step-summary.md');
    writeFileSync(step, '## from an earlier step\n');
    const junit = path.join(dir, 'ci', 'nested', 'junit.xml');
    const markdown = path.join(dir, 'ci', 'summary.md');
    const res = await runCli(['run', fixture('tiny-lab.yaml'), '--out', path.join(dir, 'out'), '--junit', junit, '--markdown', markdown],
      { GITHUB_STEP_SUMMARY: step, NO_COLOR: '1', FORCE_COLOR: '1' });
    assert.equal(res.code, 0, res.stderr + res.stdout);
    const stalled = saturated(path.join(dir, 'out', 'results.json'));
    const xml = read(junit);
    assertWellFormedXml(xml);
    assert.match(xml, new RegExp(`<testsuite name="tiny-lab" tests="5" failures="0" errors="0" skipped="${stalled ? 1 : 0}" `));
    assert.match(xml, /<testcase classname="wsherd\.tiny-lab" name="run completed" time="[\d.]+"\/>/);
    assert.match(xml, /<testcase classname="wsherd\.tiny-lab\.thresholds" name="p99\(connect\) &lt; 1s" time="0\.000"\/>/);
    assert.match(xml, /<property name="target.url" value="ws:\/\/127\.0\.0\.1:\d+\/"\/>/);
    const md = read(markdown);
    if (stalled) assert.match(md, /^### wsherd · tiny-lab\n\n\*\*[^*]*INCONCLUSIVE\*\*/);
    else assert.match(md, /^### wsherd · tiny-lab\n\n\*\*✅ PASS\*\* — all 3 thresholds passed\n/);
    assert.ok(md.includes('| ✅ | `errors.rate == 0` |'));
    assert.equal(read(step), `## from an earlier step\n\n${md}`);
    assert.match(res.stdout, /^CI: {6}.*junit\.xml$/m);
    assert.doesNotMatch(res.stdout + res.stderr, ANSI, 'NO_COLOR=1 must win over FORCE_COLOR=1');
  });

  test('failed thresholds: the outputs are still written, the failure in both; FORCE_COLOR colours a pipe when NO_COLOR is empty', { timeout: 60_000 }, async () => {
    const dir = tmp();
    const scenario = path.join(dir, 'failing.yaml');
    writeFileSync(scenario, read(fixture('tiny-lab.yaml')).replace('name: tiny-lab', 'name: tiny-failing').replace('  - errors.rate == 0', '  - errors.rate > 0'));
    const step = path.join(dir, 'step.md');
    const res = await runCli(['run', scenario, '--out', path.join(dir, 'out'), '--junit', path.join(dir, 'j.xml'), '--quiet'],
      { GITHUB_STEP_SUMMARY: step, NO_COLOR: '', FORCE_COLOR: '1' });
    assert.equal(res.code, 3, res.stderr + res.stdout);
    const xml = read(path.join(dir, 'j.xml'));
    assertWellFormedXml(xml);
    assert.match(xml, /<testsuite name="tiny-failing" tests="5" failures="1" errors="0"/);
    assert.match(xml, /name="errors\.rate &gt; 0" time="0\.000">\n\s+<failure message="measured 0\.00% vs limit &gt; 0\.00%" type="threshold">/);
    assert.match(read(step), /^\n### wsherd · tiny-failing\n\n\*\*❌ THRESHOLDS FAILED\*\* — 1 of 3 thresholds failed/);
    assert.match(res.stdout, ANSI, 'FORCE_COLOR=1 colours the summary even on a pipe');
  });

  test('SIGINT: outputs written, "run completed" an error, partial results marked', { timeout: 60_000 }, async () => {
    const dir = tmp();
    const junit = path.join(dir, 'j.xml');
    const markdown = path.join(dir, 's.md');
    const { child, done } = startCli(['run', fixture('long-lab.yaml'), '--out', path.join(dir, 'out'), '--junit', junit, '--markdown', markdown], { GITHUB_STEP_SUMMARY: '' });
    // The start line is printed once the lab and workers are up; then let some load run.
    await new Promise<void>((resolve) => {
      let seen = '';
      const onData = (d: Buffer): void => {
        seen += d.toString();
        if (/clients on \d+ workers/.test(seen)) {
          child.stderr?.off('data', onData);
          resolve();
        }
      };
      child.stderr?.on('data', onData);
    });
    await new Promise((r) => setTimeout(r, 1000));
    child.kill('SIGINT');
    const res = await done;
    assert.equal(res.code, 130, res.stderr);
    const xml = read(junit);
    assertWellFormedXml(xml);
    assert.match(xml, /<testsuite name="long-lab" tests="2" failures="0" errors="1"/);
    assert.match(xml, /<error message="aborted: [^"]*SIGINT[^"]*" type="aborted">/);
    assert.match(read(markdown), /\*\*⚠️ ABORTED\*\*[^\n]*\n\n[^\n]+\n\n> Partial results: the run did not finish its plan\./);
  });

  test('wsherd compare --junit --markdown: one testsuite per approach, the table with ★', { timeout: 90_000 }, async () => {
    const dir = tmp();
    const step = path.join(dir, 'step.md');
    const res = await runCli(['compare', fixture('tiny-compare.yaml'), '--out', path.join(dir, 'out'), '--quiet', '--junit', path.join(dir, 'c.xml'), '--markdown', path.join(dir, 'c.md')],
      { GITHUB_STEP_SUMMARY: step });
    assert.equal(res.code, 0, res.stderr + res.stdout);
    const xml = read(path.join(dir, 'c.xml'));
    assertWellFormedXml(xml);
    // Round robin breaks every session's requests, but a session whose few requests happen to alternate back to its
    // backend may open: "run completed" fails only when none was established (exit 8's rule).
    const rows = JSON.parse(read(path.join(dir, 'out', 'compare.json'))) as { approaches: Array<{ name: string; metrics?: { established: number } }> };
    const rrEstablished = rows.approaches.find((a) => a.name === 'round-robin')?.metrics?.established ?? 0;
    assert.match(xml, new RegExp(`<testsuite name="tiny-compare/round-robin" tests="3" failures="${rrEstablished === 0 ? 2 : 1}" errors="0"`));
    assert.match(xml, /<testsuite name="tiny-compare\/engineio-sid" tests="3" failures="0" errors="0"/);
    assert.match(xml, /<property name="strategy" value="engineio-sid"\/>/);
    const md = read(path.join(dir, 'c.md'));
    assert.match(md, /^### wsherd compare · tiny-compare — 2 approaches\n/);
    const compared = JSON.parse(read(path.join(dir, 'out', 'compare.json'))) as { approaches: Array<{ name: string; inconclusive?: boolean }> };
    if (compared.approaches.find((a) => a.name === 'engineio-sid')?.inconclusive === true) assert.match(md, /^\| `engineio-sid` \|[^★]*\| ✅ 1 passed \| INCONCLUSIVE[^|]*\|$/m);
    else assert.match(md, /^\| `engineio-sid` \|.*★.*\| ✅ 1 passed \| PASS \|$/m);
    assert.match(md, /^- \*\*round-robin\*\*: Sessions broke: /m);
    assert.equal(read(step), `\n${md}`);
  });

  test('an unwritable --junit path is refused before the run starts (exit 4, WSH_ERR_OUTPUT_UNWRITABLE)', { timeout: 30_000 }, async () => {
    const dir = tmp();
    writeFileSync(path.join(dir, 'a-file'), '');
    const out = path.join(dir, 'out');
    const res = await runCli(['run', fixture('tiny-lab.yaml'), '--out', out, '--junit', path.join(dir, 'a-file', 'junit.xml')]);
    assert.equal(res.code, 4, res.stderr + res.stdout);
    assert.match(res.stderr, /Error \[WSH_ERR_OUTPUT_UNWRITABLE\]: Could not write the JUnit file .*a-file\/junit\.xml: .*not a folder/);
    assert.match(res.stderr, /Hint: Give --junit a path in a folder you can write to/);
    assert.ok(!existsSync(path.join(out, 'results.json')), 'no run happened');
  });
});
