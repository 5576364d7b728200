/**
 * The outputs CI reads, written after a run or a comparison: a JUnit XML file (--junit), a Markdown summary
 * (--markdown), and — without any flag, as GitHub Actions users expect of their tools — the same Markdown
 * appended to $GITHUB_STEP_SUMMARY when the job provides it. Written whatever the verdict: a failed threshold
 * or an aborted run is exactly what CI needs to show (partial results are marked as such in both formats).
 */
import { appendFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { CompareResults } from '../compare/types.js';
import { WsherdError } from '../errors.js';
import type { Results } from '../results/types.js';
import { prepareOutDir } from '../results/write.js';
import { renderCompareJunit, renderJunit } from './junit.js';
import { renderCompareMarkdown, renderMarkdown } from './markdown.js';

export interface CiInput {
  /** A run's results (wsherd run). */
  results?: Results;
  /** A comparison (wsherd compare); takes precedence over `results`. */
  compare?: CompareResults;
  /** With `compare`: the approaches' results in the order they ran, for per-threshold testcases. */
  runs?: Results[];
  /** `--accept-saturated`: JUnit reports a saturated generator as skipped rather than failed. */
  acceptSaturated?: boolean;
}

export interface CiOptions {
  /** Path of the JUnit XML file to write (replaced if it exists). */
  junit?: string;
  /** Path of the Markdown file to write (replaced if it exists). */
  markdown?: string;
  /** Where GITHUB_STEP_SUMMARY is read from. Default process.env. */
  env?: NodeJS.ProcessEnv;
}

const reason = (err: unknown): string => (err instanceof Error ? err.message : String(err));

function unwritable(what: string, file: string, hint: string, cause: unknown): WsherdError {
  return new WsherdError('WSH_ERR_OUTPUT_UNWRITABLE', `Could not write the ${what} ${file}: ${reason(cause)}`, { hint, cause });
}

const FLAG_HINT = (flag: string): string => `Give ${flag} a path in a folder you can write to, or fix its permissions.`;
const SUMMARY_HINT = 'GITHUB_STEP_SUMMARY names a file this process cannot append to; unset it outside GitHub Actions, or fix the path.';

/**
 * Proves the folders of --junit and --markdown writable (creating missing ones), so a long run never ends in
 * "cannot write". Commands call it before the run starts; throws WSH_ERR_OUTPUT_UNWRITABLE.
 */
export async function checkCiOutputs(opts: Pick<CiOptions, 'junit' | 'markdown'>): Promise<void> {
  for (const [flag, file] of [['--junit', opts.junit], ['--markdown', opts.markdown]] as const) {
    if (file === undefined) continue;
    try {
      await prepareOutDir(path.dirname(path.resolve(file)));
    } catch (err) {
      throw unwritable(flag === '--junit' ? 'JUnit file' : 'Markdown file', file, FLAG_HINT(flag), err);
    }
  }
}

async function writeOne(what: string, flag: string, file: string, text: string): Promise<string> {
  const abs = path.resolve(file);
  try {
    await prepareOutDir(path.dirname(abs));
    await writeFile(abs, text, 'utf8');
  } catch (err) {
    throw unwritable(what, file, FLAG_HINT(flag), err);
  }
  return abs;
}

/**
 * Writes the JUnit and Markdown files asked for and appends the Markdown to $GITHUB_STEP_SUMMARY when it is set
 * (never overwrites it: other steps of the job write there too). Returns the absolute paths written, the step
 * summary last. Throws WSH_ERR_OUTPUT_UNWRITABLE naming the file and the OS's reason.
 */
export async function writeCiOutputs(input: CiInput, opts: CiOptions): Promise<string[]> {
  const env = opts.env ?? process.env;
  const summary = env['GITHUB_STEP_SUMMARY'];
  const wantSummary = summary !== undefined && summary !== '';
  if (opts.junit === undefined && opts.markdown === undefined && !wantSummary) return [];
  const { compare, results } = input;
  if (compare === undefined && results === undefined) return [];
  const markdown = (): string => (compare !== undefined ? renderCompareMarkdown(compare) : renderMarkdown(results as Results));
  const written: string[] = [];
  if (opts.junit !== undefined) {
    const jopts = { acceptSaturated: input.acceptSaturated === true };
    const xml = compare !== undefined ? renderCompareJunit(compare, input.runs ?? [], jopts) : renderJunit(results as Results, jopts);
    written.push(await writeOne('JUnit file', '--junit', opts.junit, xml));
  }
  const md = opts.markdown !== undefined || wantSummary ? markdown() : '';
  if (opts.markdown !== undefined) written.push(await writeOne('Markdown file', '--markdown', opts.markdown, md));
  if (wantSummary) {
    const abs = path.resolve(summary);
    try {
      // A blank line first: the previous step's summary may not end with one, and Markdown blocks need it.
      await appendFile(abs, `\n${md}`, 'utf8');
    } catch (err) {
      throw unwritable('job summary (GITHUB_STEP_SUMMARY)', summary, SUMMARY_HINT, err);
    }
    written.push(abs);
  }
  return written;
}
