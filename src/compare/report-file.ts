/**
 * `wsherd report compare.json` (or a compare run's folder): re-render compare.html from what `wsherd compare`
 * wrote — after an upgrade of wsherd, or into another folder — as `wsherd report results.json` does for a run.
 * Each approach's charts come from its results.json; an approach whose file is gone keeps its table row.
 */
import { readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { WsherdError } from '../errors.js';
import { readResultsOrPartial } from '../results/truncated.js';
import type { Results } from '../results/types.js';
import { prepareOutDir } from '../results/write.js';
import { renderCompareHtml } from './html.js';
import { COMPARE_FORMAT, COMPARE_VERSION, type CompareResults } from './types.js';

export const COMPARE_FILE = 'compare.json';

export interface CompareReportOutcome {
  compare: CompareResults;
  /** Absolute path of the compare.json read. */
  file: string;
  /** Absolute path of the compare.html written. */
  html: string;
  /** Approaches whose results.json could not be read: their rows stay, their charts are left out. */
  warnings: string[];
}

/**
 * The compare.json `pathOrDir` names — the file, or a folder holding compare.json and no results.json — or
 * undefined when it is something else (a run's results, which the caller reports as such).
 */
export async function compareFileOf(pathOrDir: string): Promise<string | undefined> {
  const abs = path.resolve(pathOrDir);
  const st = await stat(abs).catch(() => undefined);
  if (st === undefined) return undefined;
  if (st.isDirectory()) {
    const inner = path.join(abs, COMPARE_FILE);
    const hasCompare = (await stat(inner).catch(() => undefined))?.isFile() === true;
    const hasResults = (await stat(path.join(abs, 'results.json')).catch(() => undefined))?.isFile() === true;
    return hasCompare && !hasResults ? inner : undefined;
  }
  // Only the format field decides; a file too broken to tell is left to the results reader's messages.
  const head = (await readFile(abs, 'utf8').catch(() => '')).slice(0, 200);
  return /"format"\s*:\s*"wsherd-compare"/.test(head) ? abs : undefined;
}

export async function reportCompareFile(file: string, outDir?: string): Promise<CompareReportOutcome> {
  const compare = parseCompare(await readFile(file, 'utf8'), file);
  const warnings: string[] = [];
  // renderCompareHtml pairs runs with the approaches that ran by position: a run that cannot be read stays a hole.
  const ran = compare.approaches.filter((a) => a.status !== 'skipped');
  const runs: Results[] = new Array<Results>(ran.length);
  for (const [k, a] of ran.entries()) {
    if (a.results === undefined) continue;
    const at = path.resolve(path.dirname(file), a.results);
    try {
      runs[k] = (await readResultsOrPartial(at)).results;
    } catch (err) {
      warnings.push(`${a.name}: ${at} could not be read (${(err as Error).message.split('\n')[0]}); its row is kept, its charts left out.`);
    }
  }
  const dir = await prepareOutDir(outDir ?? path.dirname(file));
  const html = path.join(dir, 'compare.html');
  await writeFile(html, renderCompareHtml(compare, runs));
  return { compare, file, html, warnings };
}

function parseCompare(text: string, file: string): CompareResults {
  const hint = 'Give the compare.json that `wsherd compare` wrote, or its output folder.';
  let doc: Partial<CompareResults>;
  try {
    doc = JSON.parse(text) as Partial<CompareResults>;
  } catch (err) {
    throw new WsherdError('WSH_ERR_RESULTS_INVALID', `${file} is not valid JSON (${(err as Error).message}).`, { hint });
  }
  if (doc.format !== COMPARE_FORMAT || !Array.isArray(doc.approaches)) {
    throw new WsherdError('WSH_ERR_RESULTS_INVALID', `${file} is not a wsherd comparison file.`, { hint });
  }
  if (typeof doc.version !== 'number' || doc.version > COMPARE_VERSION) {
    throw new WsherdError('WSH_ERR_RESULTS_INVALID', `${file} was written by a newer wsherd (comparison version ${String(doc.version)}); this wsherd reads version ${COMPARE_VERSION}.`, {
      hint: 'Upgrade wsherd to render it, or run the comparison again with this one.',
    });
  }
  return doc as CompareResults;
}
