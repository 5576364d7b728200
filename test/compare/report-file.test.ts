import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { metricsOf } from '../../src/compare/run.js';
import type { ApproachRow, CompareResults } from '../../src/compare/types.js';
import type { Results } from '../../src/results/types.js';
import { sampleResults } from '../results/fixture.js';
import { runCli } from '../helpers/cli.js';

const root = mkdtempSync(path.join(tmpdir(), 'wsherd-compare-report-'));
after(() => rmSync(root, { recursive: true, force: true }));

function row(name: string, r: Results | undefined): ApproachRow {
  return r === undefined
    ? { name, proxy: { strategy: 'random', mode: 'l4' }, status: 'skipped', thresholdsPassed: 0, thresholdsFailed: 0, sentence: 'Not run.' }
    : { name, proxy: { strategy: 'round-robin', mode: 'l4' }, approach: 'proxy', status: 'complete', results: `${name}/results.json`, thresholdsPassed: 1, thresholdsFailed: 0, metrics: metricsOf(r), sentence: `${name} ran.` };
}

/** A compare folder as `wsherd compare` leaves it: compare.json and one folder per approach that ran. */
function compareFolder(name: string, withRuns: Record<string, Results | undefined>, missing: string[] = []): string {
  const dir = path.join(root, name);
  mkdirSync(dir, { recursive: true });
  const rows = Object.entries(withRuns).map(([n, r]) => row(n, r));
  const compare: CompareResults = { format: 'wsherd-compare', version: 1, scenario: 'cmp', startedAt: '2025-06-14T09:30:00Z', endedAt: '2025-06-14T09:31:00Z', status: 'complete', approaches: rows, best: {} };
  writeFileSync(path.join(dir, 'compare.json'), JSON.stringify(compare));
  for (const [n, r] of Object.entries(withRuns)) {
    if (r === undefined || missing.includes(n)) continue;
    mkdirSync(path.join(dir, n));
    writeFileSync(path.join(dir, n, 'results.json'), JSON.stringify(r));
  }
  return dir;
}

const smallCharts = (html: string): string[] => [...html.matchAll(/data-chart="(open-\d+)"/g)].map((m) => m[1] as string);

describe('wsherd report on a compare.json (the real binary)', () => {
  test('a compare folder: compare.html rewritten with every run approach\'s charts, the table printed', async () => {
    const dir = compareFolder('all', { first: sampleResults(), skipped: undefined, second: sampleResults() });
    const res = await runCli(['report', dir]);
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /cmp: 3 approaches compared/);
    assert.match(res.stdout, /Report: \S+compare\.html/);
    const html = readFileSync(path.join(dir, 'compare.html'), 'utf8');
    assert.deepEqual(smallCharts(html), ['open-1', 'open-3']); // the skipped approach has none
  });

  test('an approach whose results.json is gone: a warning, its row kept, the others\' charts on the right rows', async () => {
    const dir = compareFolder('hole', { first: sampleResults(), gone: sampleResults(), third: sampleResults() }, ['gone']);
    const out = path.join(root, 'hole-out');
    const res = await runCli(['report', path.join(dir, 'compare.json'), '--out', out]);
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stderr, /Warning: gone: .*results\.json could not be read/);
    const html = readFileSync(path.join(out, 'compare.html'), 'utf8');
    assert.deepEqual(smallCharts(html), ['open-1', 'open-3']);
    assert.match(html, />gone</);
  });

  test('a comparison from a newer wsherd: exit 2, both versions named, no stack', async () => {
    const file = path.join(root, 'newer.json');
    writeFileSync(file, JSON.stringify({ format: 'wsherd-compare', version: 99, approaches: [] }));
    const res = await runCli(['report', file]);
    assert.equal(res.code, 2, res.stderr);
    assert.match(res.stderr, /written by a newer wsherd \(comparison version 99\); this wsherd reads version 1/);
    assert.doesNotMatch(res.stderr, /\n\s+at /);
  });
});
