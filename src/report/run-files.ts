/** A run's files in its output folder: results.json, then the HTML report derived from it (run and merge alike). */
import { writeResults } from '../results/write.js';
import type { Results } from '../results/types.js';

export interface RunFiles {
  results: string;
  html: string;
}

export async function writeRunFiles(outDir: string, results: Results): Promise<RunFiles> {
  // results.json first: it is the record; the report is derived from it and can be re-rendered.
  const resultsFile = await writeResults(outDir, results);
  // Imported after the load: the report's modules are not resident while the coordinator runs the clients.
  const { writeHtmlReport } = await import('./html.js');
  const html = await writeHtmlReport(outDir, results);
  return { results: resultsFile, html };
}
