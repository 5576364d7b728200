/**
 * `wsherd report`: (re)write the HTML report of an existing results file, next to it or into another folder.
 * The library half of the command, so the command only parses flags and prints.
 */
import path from 'node:path';
import { readResults, resolveResultsFile } from '../results/read.js';
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
}

/** Reads `resultsPath` (a results.json or a run's folder) and writes index.html into `outDir` or next to it. */
export async function reportFromFile(resultsPath: string, outDir?: string): Promise<ReportOutcome & { data: Results }> {
  const file = path.resolve(await resolveResultsFile(resultsPath));
  const results = await readResults(file);
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
    data: results,
  };
}
