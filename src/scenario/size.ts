/**
 * Bounds on what a scenario file may be, checked before and right after parsing, so that a huge or hostile file
 * fails at once with the limit named instead of taking minutes and gigabytes (a 100 MB file of 500,000 header
 * entries took more than 400 s and 620 MB) or surfacing as "Maximum call stack size exceeded" called a YAML error.
 * Scenarios are hand-written; these limits are far above any real one (documented in docs/scenario.md, "Limits").
 */
import { isMap, isPair, isScalar, isSeq, type Node, type LineCounter } from 'yaml';
import type { ScenarioProblem } from '../errors.js';

/**
 * Largest scenario file read, bytes. Real scenarios are a few kB; the YAML document model costs about 70× the
 * text in memory and ~1.4 s per MB here, so 1 MB bounds loading to about a second. Bulk data belongs elsewhere.
 */
export const MAX_SCENARIO_BYTES = 1024 * 1024;
/** Deepest nesting of maps and lists (block indentation or flow brackets). Real scenarios nest about 5 deep. */
export const MAX_SCENARIO_DEPTH = 64;
/** Most entries in one map or list (headers, compare entries, population groups, thresholds…). */
export const MAX_COLLECTION_ITEMS = 10_000;

const mb = (n: number): string => `${(n / (1024 * 1024)).toFixed(1)} MB`;

export function sizeProblem(file: string, bytes: number): ScenarioProblem | undefined {
  if (bytes <= MAX_SCENARIO_BYTES) return undefined;
  return {
    file, line: 1, col: 1, path: '',
    message: `the file is ${mb(bytes)}; a scenario may be at most ${mb(MAX_SCENARIO_BYTES)}`,
    hint: 'keep bulk data (user lists, tokens, payloads) out of the scenario file',
  };
}

/**
 * Nesting depth before the YAML parser sees the text (the parser recurses per level and would overflow its stack):
 * block nesting by the stack of indentations, flow nesting by brackets outside quotes. Returns the first place
 * where the depth passes the limit.
 */
export function depthProblem(file: string, text: string): ScenarioProblem | undefined {
  const indents: number[] = [];
  let flow = 0;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    const indent = line.length - line.trimStart().length;
    const body = line.slice(indent);
    if (flow === 0 && body !== '' && !body.startsWith('#')) {
      while (indents.length > 0 && (indents[indents.length - 1] as number) >= indent) indents.pop();
      indents.push(indent + (body.startsWith('- ') ? 2 : 0));
    }
    let quote = '';
    for (let c = indent; c < line.length; c++) {
      const ch = line[c] as string;
      if (quote !== '') {
        if (ch === quote) quote = '';
        continue;
      }
      if (ch === '"' || ch === "'") quote = ch;
      else if (ch === '#' && (c === 0 || line[c - 1] === ' ')) break;
      else if (ch === '[' || ch === '{') flow++;
      else if ((ch === ']' || ch === '}') && flow > 0) flow--;
      if (indents.length + flow > MAX_SCENARIO_DEPTH) return deep(file, i + 1, c + 1);
    }
    if (indents.length + flow > MAX_SCENARIO_DEPTH) return deep(file, i + 1, indent + 1);
  }
  return undefined;
}

function deep(file: string, line: number, col: number): ScenarioProblem {
  return {
    file, line, col, path: '',
    message: `maps and lists nest more than ${MAX_SCENARIO_DEPTH} levels deep here; a scenario may nest at most ${MAX_SCENARIO_DEPTH}`,
    hint: 'a scenario nests a few levels (section, key, list); check for a runaway indentation or unclosed brackets',
  };
}

/**
 * Every map or list with more than MAX_COLLECTION_ITEMS entries, and every duplicate key, in one iterative walk (no
 * recursion on hostile input). Duplicate keys are found here with a Set rather than by the parser's `uniqueKeys`,
 * which compares each key with every earlier one: 20,000 keys took 4 s that way.
 */
export function collectionProblems(file: string, root: Node | null, lines: LineCounter): ScenarioProblem[] {
  const problems: ScenarioProblem[] = [];
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const node = stack.pop();
    if (isPair(node)) {
      stack.push(node.value);
      continue;
    }
    if (!isMap(node) && !isSeq(node)) continue;
    if (node.items.length > MAX_COLLECTION_ITEMS) {
      const at = lines.linePos(node.range?.[0] ?? 0);
      problems.push({
        file, line: at.line, col: at.col, path: '',
        message: `this ${isMap(node) ? 'map' : 'list'} has ${node.items.length.toLocaleString('en-US')} entries; a scenario map or list may have at most ${MAX_COLLECTION_ITEMS.toLocaleString('en-US')}`,
        hint: 'keep bulk data out of the scenario file',
      });
      continue;
    }
    if (isMap(node)) duplicateKeys(file, node.items, lines, problems);
    for (const item of node.items) stack.push(item);
  }
  return problems;
}

function duplicateKeys(file: string, pairs: readonly unknown[], lines: LineCounter, problems: ScenarioProblem[]): void {
  const seen = new Set<string>();
  for (const pair of pairs) {
    const key = isPair(pair) ? pair.key : undefined;
    if (!isScalar(key)) continue;
    const name = String(key.value);
    if (!seen.has(name)) {
      seen.add(name);
      continue;
    }
    const at = lines.linePos(key.range?.[0] ?? 0);
    problems.push({ file, line: at.line, col: at.col, path: '', message: 'YAML syntax error: Map keys must be unique', hint: 'each key may appear once in a map; remove or rename one' });
  }
}
