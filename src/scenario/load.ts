/**
 * Loading a scenario file: read, parse YAML keeping node positions, validate everything, resolve defaults.
 * Any problem, syntax or semantic, comes back as one ScenarioError listing all of them with file:line:col.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { LineCounter, parseDocument, type YAMLError } from 'yaml';
import { ScenarioError, WsherdError, type ScenarioProblem } from '../errors.js';
import type { Scenario } from './types.js';
import { Context } from './context.js';
import { validateRoot } from './validate.js';

/**
 * Reads and validates `file`. Problems name the file as given (relative paths stay relative, as the user typed
 * them); the returned Scenario's `file` is absolute.
 */
export async function loadScenario(file: string): Promise<Scenario> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw notFound(file, err);
  }
  return { ...parseScenario(text, file), file: path.resolve(file) };
}

function notFound(file: string, err: unknown): WsherdError {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const hint = 'check the path; bundled examples are in scenarios/ (e.g. scenarios/quickstart.yaml)';
  const reasons: Readonly<Record<string, string>> = {
    ENOENT: 'does not exist',
    EISDIR: 'is a directory, not a file',
    EACCES: 'cannot be read (permission denied)',
  };
  const reason = (code && reasons[code]) ?? `cannot be read (${(err as Error | undefined)?.message ?? String(err)})`;
  return new WsherdError('WSH_ERR_SCENARIO_NOT_FOUND', `Scenario file ${file} ${reason}.`, { hint, cause: err });
}

/** Parses and validates scenario text; `file` is used only in problem locations. */
export function parseScenario(text: string, file: string): Scenario {
  const lineCounter = new LineCounter();
  // prettyErrors off: we print our own file:line:col, not yaml's multi-line excerpt.
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ScenarioError(doc.errors.map((e) => syntaxProblem(file, lineCounter, e)));
  }
  const ctx = new Context(file, lineCounter, doc);
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

function syntaxProblem(file: string, lines: LineCounter, err: YAMLError): ScenarioProblem {
  const { line, col } = lines.linePos(err.pos[0]);
  const hint = SYNTAX_HINTS[err.code] ?? 'check the indentation and quoting on this line and the one before';
  return { file, line, col, path: '', message: `YAML syntax error: ${err.message}`, hint };
}

/** File order reads best: fix from the top down. Stable, so problems at one spot keep their check order. */
function sortProblems(problems: ScenarioProblem[]): ScenarioProblem[] {
  return [...problems].sort((a, b) => a.line - b.line || a.col - b.col);
}
