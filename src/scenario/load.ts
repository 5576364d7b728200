/**
 * Loading a scenario file: read, parse YAML keeping node positions, validate everything, resolve defaults.
 * Any problem, syntax or semantic, comes back as one ScenarioError listing all of them with file:line:col.
 */
import { checkScripts } from './script-check.js';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { LineCounter, parseDocument, type YAMLError } from 'yaml';
import { ScenarioError, WsherdError, type ScenarioProblem } from '../errors.js';
import type { Scenario } from './types.js';
import { Context } from './context.js';
import { validateRoot } from './validate.js';
import { interpolate, type Env } from './interpolate.js';
import { collectionProblems, depthProblem, sizeProblem } from './size.js';

export interface LoadOptions {
  /** Variables for `${NAME}` references in values (docs/scenario.md, "Variables"); default: process.env. */
  env?: Env;
}

/**
 * Reads and validates `file`. Problems name the file as given (relative paths stay relative, as the user typed
 * them); the returned Scenario's `file` is absolute.
 */
export async function loadScenario(file: string, options: LoadOptions = {}): Promise<Scenario> {
  let text: string;
  try {
    // The size first: a huge file is refused before it is read into memory.
    const tooBig = sizeProblem(file, (await stat(file)).size);
    if (tooBig !== undefined) throw new ScenarioError([tooBig]);
    text = await readFile(file, 'utf8');
  } catch (err) {
    if (err instanceof ScenarioError) throw err;
    throw notFound(file, err);
  }
  const scenario = { ...parseScenario(text, file, options), file: path.resolve(file) };
  await checkScripts(scenario);
  return scenario;
}

function notFound(file: string, err: unknown): WsherdError {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const hint = 'check the path; `wsherd init` writes a starter scenario here (`wsherd init --list`: the bundled examples)';
  const reasons: Readonly<Record<string, string>> = {
    ENOENT: 'does not exist',
    EISDIR: 'is a directory, not a file',
    EACCES: 'cannot be read (permission denied)',
  };
  const reason = (code && reasons[code]) ?? `cannot be read (${(err as Error | undefined)?.message ?? String(err)})`;
  return new WsherdError('WSH_ERR_SCENARIO_NOT_FOUND', `Scenario file ${file} ${reason}.`, { hint, cause: err });
}

/** Parses and validates scenario text; `file` is used only in problem locations. */
export function parseScenario(text: string, file: string, options: LoadOptions = {}): Scenario {
  const bounds = sizeProblem(file, Buffer.byteLength(text)) ?? depthProblem(file, text);
  if (bounds !== undefined) throw new ScenarioError([bounds]);
  const lineCounter = new LineCounter();
  // prettyErrors off: we print our own file:line:col, not yaml's multi-line excerpt.
  // Duplicate keys are checked by collectionProblems (linear; the parser's check is quadratic in a map's size).
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: false });
  if (doc.errors.length > 0) {
    // One misplaced character makes yaml report every token after it; the first few say where it went wrong.
    const shown = doc.errors.slice(0, MAX_SYNTAX_PROBLEMS).map((e) => syntaxProblem(file, lineCounter, text, e));
    const more = doc.errors.length - shown.length;
    if (more > 0) {
      const last = shown[shown.length - 1] as ScenarioProblem;
      shown.push({ ...last, message: `…and ${more} more YAML syntax errors after these, most likely caused by the first`, hint: 'fix the first one and run again' });
    }
    throw new ScenarioError(shown);
  }
  const structure = collectionProblems(file, doc.contents, lineCounter);
  if (structure.length > 0) throw new ScenarioError(sortProblems(structure));
  const ctx = new Context(file, lineCounter, doc);
  interpolate(ctx, doc, options.env ?? process.env);
  // A value still holding ${…} would only earn a second, confusing problem from its section: stop here.
  if (ctx.problems.length > 0) throw new ScenarioError(sortProblems(ctx.problems));
  const scenario = validateRoot(ctx, doc.contents);
  if (ctx.problems.length > 0) throw new ScenarioError(sortProblems(ctx.problems));
  if (scenario === undefined) {
    throw new WsherdError('WSH_ERR_INTERNAL', `Scenario ${file} was rejected without a reported problem (a wsherd bug).`);
  }
  return scenario;
}

const SYNTAX_HINTS: Readonly<Record<string, string>> = {
  DUPLICATE_KEY: 'each key may appear once in a map; remove or rename one',
  TAB_AS_INDENT: 'indent with spaces, not tabs',
  MULTIPLE_DOCS: 'a scenario file holds one document; remove the extra "---"',
  BLOCK_AS_IMPLICIT_KEY: 'put a nested map on its own indented lines, or quote the value',
};

const MAX_SYNTAX_PROBLEMS = 3;

function syntaxProblem(file: string, lines: LineCounter, text: string, err: YAMLError): ScenarioProblem {
  const { line, col } = lines.linePos(err.pos[0]);
  const lineText = text.split('\n')[line - 1] ?? '';
  // `{count: ${N}}`: inside a flow map the braces of ${…} are YAML's own; compose users hit this first.
  const hint = SYNTAX_HINTS[err.code] ?? (lineText.includes('${')
    ? 'inside {…} or […] the braces of ${…} are YAML\'s: write that map one key per line (count: ${N}), or quote the value ("${NAME}", then always a string)'
    : 'check the indentation and quoting on this line and the one before');
  return { file, line, col, path: '', message: `YAML syntax error: ${err.message}`, hint };
}

/** File order reads best: fix from the top down. Stable, so problems at one spot keep their check order. */
function sortProblems(problems: ScenarioProblem[]): ScenarioProblem[] {
  return [...problems].sort((a, b) => a.line - b.line || a.col - b.col);
}
