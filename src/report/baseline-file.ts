/**
 * `wsherd report --baseline old new`, the library half: read both results (a truncated one is shown partially),
 * compare, write baseline.html next to the new run's index.html (or into --out).
 */
import path from 'node:path';
import { resolveResultsFile } from '../results/read.js';
import { readResultsOrPartial } from '../results/truncated.js';
import { prepareOutDir, writeFileAtomic } from '../results/write.js';
import { compareToBaseline, type BaselineComparison, type Tolerances } from './baseline.js';
import { renderBaselineHtml } from './baseline-html.js';

export const BASELINE_HTML = 'baseline.html';

export interface BaselineOutcome extends BaselineComparison {
  /** Absolute path of the written baseline.html. */
  html: string;
}

export async function reportBaseline(oldPath: string, newPath: string, opts: { outDir?: string; tolerance?: Partial<Tolerances> } = {}): Promise<BaselineOutcome> {
  const oldFile = path.resolve(await resolveResultsFile(oldPath));
  const newFile = path.resolve(await resolveResultsFile(newPath));
  const old = await readResultsOrPartial(oldFile);
  const next = await readResultsOrPartial(newFile);
  const comparison = compareToBaseline(old.results, next.results, {
    oldFile,
    newFile,
    ...(opts.tolerance === undefined ? {} : { tolerance: opts.tolerance }),
    oldPartial: old.truncated !== undefined,
    newPartial: next.truncated !== undefined,
  });
  const dir = await prepareOutDir(opts.outDir ?? path.dirname(newFile));
  const html = path.join(dir, BASELINE_HTML);
  await writeFileAtomic(html, renderBaselineHtml(comparison));
  return { ...comparison, html };
}
