/**
 * Reading results.json back (for `report`, `compare`, `plan`, shard merging): every way a file can be wrong —
 * missing, not JSON, cut short, another tool's JSON, written by a newer wsherd, the wrong shape — becomes one
 * WsherdError (exit 2) saying what is wrong, where (file:line:col or the JSON path), and what to do.
 */
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { WsherdError } from '../errors.js';
import { locateJsonError, positionAt } from './json-position.js';
import { RESULTS_FORMAT, RESULTS_VERSION, type Results } from './types.js';
import { formatResultsProblem, validateResults } from './validate.js';
import { RESULTS_FILE } from './write.js';

/** Shape problems listed in one message; the rest are counted, so a broken 86,400-point series stays readable. */
export const MAX_LISTED_PROBLEMS = 20;

const WHICH_HINT = 'Give the results.json that `wsherd run` wrote, or the run\'s output folder (wsherd-results/<name>-<time>).';
const UPGRADE_HINT = 'Run `npm install -g wsherd@latest` (or update wsherd in your project), then run this command again.';
const TRUNCATED_HINT = 'The file was cut short (copied while being written, or the disk filled up): use a complete copy, or rerun the test.';
const INVALID_HINT = 'Results files are written by `wsherd run`; if this one was edited, compare it with docs/results.md.';

const errCode = (err: unknown): string | undefined => (err as NodeJS.ErrnoException | undefined)?.code;

function notFound(p: string, what: string, cause?: unknown): WsherdError {
  return new WsherdError('WSH_ERR_INVALID_INPUT', `${p}: ${what}`, { hint: WHICH_HINT, cause });
}

function invalid(message: string, hint = INVALID_HINT): WsherdError {
  return new WsherdError('WSH_ERR_RESULTS_INVALID', message, { hint });
}

/** A results file, or a run's folder (→ its results.json). Returns an absolute path; throws when neither exists. */
export async function resolveResultsFile(pathOrDir: string): Promise<string> {
  const abs = path.resolve(pathOrDir);
  const st = await stat(abs).catch((err: unknown) => {
    throw notFound(abs, errCode(err) === 'ENOENT' ? 'no such file or folder.' : `cannot read it (${(err as Error).message}).`, err);
  });
  if (!st.isDirectory()) return abs;
  const file = path.join(abs, RESULTS_FILE);
  const inner = await stat(file).catch(() => undefined);
  if (!inner?.isFile()) throw notFound(abs, `the folder has no ${RESULTS_FILE}.`);
  return file;
}

/** Reads, parses and validates a results file. */
export async function readResults(file: string): Promise<Results> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = errCode(err);
    if (code === 'ENOENT') throw notFound(file, 'no such file.', err);
    if (code === 'EISDIR') throw notFound(file, `is a folder; give the ${RESULTS_FILE} inside it.`, err);
    throw notFound(file, `cannot read it (${(err as Error).message}).`, err);
  }
  return parseResults(text, file);
}

/** Parses and validates the text of a results file; `file` only names it in messages. */
export function parseResults(text: string, file: string): Results {
  // A BOM (added by some editors) is not JSON, but it is not worth refusing a file for.
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (body.trim() === '') throw invalid(`${file} is empty: there are no results in it.`, TRUNCATED_HINT);
  let doc: unknown;
  try {
    doc = JSON.parse(body);
  } catch (err) {
    const at = locateJsonError(body, err);
    const end = body.trimEnd().length;
    // The parser wanted more when the text ran out: the file was cut short, not mistyped.
    if (at.offset >= end) {
      const { line, col } = positionAt(body, end);
      throw invalid(`${file} is truncated: the JSON stops unfinished at line ${line}, column ${col} (${file}:${line}:${col}).`, TRUNCATED_HINT);
    }
    throw invalid(`${file}:${at.line}:${at.col}: not valid JSON: ${at.reason}.`, `${WHICH_HINT} A results file is JSON written by wsherd; was it edited?`);
  }
  checkIdentity(doc, file);
  const problems = validateResults(doc);
  if (problems.length > 0) {
    const listed = problems.slice(0, MAX_LISTED_PROBLEMS).map((p) => `  ${formatResultsProblem(p)}`);
    if (problems.length > MAX_LISTED_PROBLEMS) listed.push(`  … and ${problems.length - MAX_LISTED_PROBLEMS} more`);
    const head = `${file} is not a valid results file (${problems.length === 1 ? '1 problem' : `${problems.length} problems`}):`;
    throw invalid([head, ...listed].join('\n'));
  }
  return doc as Results;
}

/** `format` and `version` first: a newer file may legitimately have another shape, so say that, not "invalid". */
function checkIdentity(doc: unknown, file: string): void {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    const found = doc === null ? 'null' : Array.isArray(doc) ? 'an array' : `a ${typeof doc}`;
    throw invalid(`${file} is not a wsherd results file: it holds ${found}, not an object with "format": "${RESULTS_FORMAT}".`, WHICH_HINT);
  }
  const { format, version } = doc as { format?: unknown; version?: unknown };
  if (format !== RESULTS_FORMAT) {
    const found = format === undefined ? 'it has no "format" field' : `its "format" is ${JSON.stringify(format)}`;
    throw invalid(`${file} is not a wsherd results file: ${found} (expected "${RESULTS_FORMAT}").`, WHICH_HINT);
  }
  if (!Number.isSafeInteger(version) || (version as number) < 1) {
    const found = version === undefined ? 'is missing' : `is ${JSON.stringify(version)}`;
    throw invalid(`${file}: "version" ${found}; expected a whole number >= 1 (this wsherd reads results version ${RESULTS_VERSION}).`);
  }
  if ((version as number) > RESULTS_VERSION) {
    throw invalid(
      `${file} was written by a newer wsherd (results version ${version as number}); ` +
        `this wsherd reads results version ${RESULTS_VERSION}. Upgrade wsherd to read it.`,
      UPGRADE_HINT,
    );
  }
}
