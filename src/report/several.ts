/**
 * `wsherd report a/results.json b/results.json …`: runs made separately (different days, strategies, targets)
 * side by side on one compare.html + compare.json, with the same rows, metrics and best-value marks as
 * `wsherd compare`, so the two pages read the same.
 */
import path from 'node:path';
import { bestOf, rowOfResults } from '../compare/run.js';
import { renderCompareHtml } from '../compare/html.js';
import { COMPARE_FORMAT, COMPARE_VERSION, type ApproachRow, type CompareResults } from '../compare/types.js';
import { resolveResultsFile } from '../results/read.js';
import { readResultsOrPartial } from '../results/truncated.js';
import type { Results } from '../results/types.js';
import { prepareOutDir, writeFileAtomic } from '../results/write.js';

/** Where the page goes without --out: a folder in the working directory, so repeated calls overwrite one place. */
export const DEFAULT_SEVERAL_DIR = 'wsherd-report-compare';

export interface SeveralOutcome {
  compare: CompareResults;
  outDir: string;
  files: { json: string; html: string };
  /** Absolute paths of the results files read, in the order given. */
  inputs: string[];
  /** Inputs that were cut short and shown partially. */
  truncated: string[];
}

interface Input {
  file: string;
  results: Results;
}

/**
 * Row names: the scenario name, or — when two runs share one — the run's folder name (which carries its
 * timestamp), numbered if even those repeat.
 */
export function rowNames(inputs: readonly Input[]): string[] {
  const count = (names: string[], n: string): number => names.filter((x) => x === n).length;
  const scenarios = inputs.map((i) => i.results.scenario.name);
  const first = inputs.map((i, k) => (count(scenarios, scenarios[k] as string) > 1 ? path.basename(path.dirname(i.file)) : (scenarios[k] as string)));
  const seen = new Map<string, number>();
  return first.map((n) => {
    if (count(first, n) === 1) return n;
    const k = (seen.get(n) ?? 0) + 1;
    seen.set(n, k);
    return `${n} #${k}`;
  });
}

function proxyOf(r: Results): ApproachRow['proxy'] {
  const p = r.scenario.lab?.proxy;
  // An external target has no wsherd proxy: the row names the target instead (mode is what wsherd drove it with).
  if (p === undefined) return { strategy: `target ${r.target.url}`, mode: 'l4' };
  return { strategy: p.strategy, mode: p.mode, ...(p.options === undefined ? {} : { options: p.options }) };
}

export function compareResultsOf(inputs: readonly Input[], outDir: string): CompareResults {
  const names = rowNames(inputs);
  const rows = inputs.map((input, k) => {
    const r = input.results;
    return rowOfResults(names[k] as string, proxyOf(r), r.scenario.lab?.approach ?? 'proxy', r, path.relative(outDir, input.file));
  });
  const scenarios = [...new Set(inputs.map((i) => i.results.scenario.name))];
  const starts = inputs.map((i) => i.results.startedAt).sort();
  const ends = inputs.map((i) => i.results.endedAt).sort();
  return {
    format: COMPARE_FORMAT,
    version: COMPARE_VERSION,
    scenario: scenarios.join(' · '),
    startedAt: starts[0] ?? '',
    endedAt: ends[ends.length - 1] ?? '',
    status: inputs.find((i) => i.results.status !== 'complete')?.results.status ?? 'complete',
    approaches: rows,
    best: bestOf(rows),
  };
}

/** Reads every results file (or run folder) and writes compare.json and compare.html into `outDir`. */
export async function reportSeveral(paths: readonly string[], outDir?: string): Promise<SeveralOutcome & { runs: Results[] }> {
  const inputs: Input[] = [];
  const truncated: string[] = [];
  for (const p of paths) {
    const file = path.resolve(await resolveResultsFile(p));
    const { results, truncated: cut } = await readResultsOrPartial(file);
    if (cut !== undefined) truncated.push(file);
    inputs.push({ file, results });
  }
  const dir = await prepareOutDir(outDir ?? DEFAULT_SEVERAL_DIR);
  const compare = compareResultsOf(inputs, dir);
  const runs = inputs.map((i) => i.results);
  const json = path.join(dir, 'compare.json');
  const html = path.join(dir, 'compare.html');
  await writeFileAtomic(json, JSON.stringify(compare, null, 2) + '\n');
  // The runs go along for charts; a renderer that takes only the comparison ignores them.
  const render = renderCompareHtml as (c: CompareResults, runs?: Results[]) => string;
  await writeFileAtomic(html, render(compare, runs));
  return { compare, outDir: dir, files: { json, html }, inputs: inputs.map((i) => i.file), truncated, runs };
}
