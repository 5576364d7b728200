/**
 * `wsherd report`: (re)write the HTML report of an existing results file, next to it or into another folder.
 * The library half of the command, so the command only parses flags and prints.
 */
import path from 'node:path';
import { resolveResultsFile } from '../results/read.js';
import { readResultsOrPartial } from '../results/truncated.js';
import type { Results } from '../results/types.js';
import { prepareOutDir } from '../results/write.js';
import { writeHtmlReport } from './html.js';
import { verdictOf } from './verdict.js';

export interface ReportOutcome {
  /** Absolute path of the written index.html. */
  html: string;
  /** Absolute path of the results file read. */
  results: string;
  status: Results['status'];
  statusReason?: string;
  /** PASS, THRESHOLDS FAILED, ABORTED or FAILED. */
  verdict: string;
  summary: Results['summary'];
  backends: Results['backends'];
  thresholds: Results['thresholds'];
  /** Set when the results file was cut short: the report shows what was complete before the cut, marked aborted. */
  truncated?: { bytes: number };
}

/**
 * Reads `resultsPath` (a results.json or a run's folder) and writes index.html into `outDir` or next to it.
 * A file cut short is repaired as far as it goes and rendered marked partial (src/results/truncated.ts).
 */
export async function reportFromFile(resultsPath: string, outDir?: string): Promise<ReportOutcome & { data: Results }> {
  const file = path.resolve(await resolveResultsFile(resultsPath));
  const { results, truncated } = await readResultsOrPartial(file);
  const dir = await prepareOutDir(outDir ?? path.dirname(file));
  const html = await writeHtmlReport(dir, results);
  return {
    html,
    results: file,
    status: results.status,
    ...(results.statusReason === undefined ? {} : { statusReason: results.statusReason }),
    verdict: verdictOf(results).label,
    summary: results.summary,
    backends: results.backends,
    thresholds: results.thresholds,
    ...(truncated === undefined ? {} : { truncated }),
    data: results,
  };
}
