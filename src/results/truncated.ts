/**
 * A results.json cut short (copied while an aborted run was still writing, a full disk, a partial download)
 * still holds its summary: wsherd writes scenario, environment and summary before the long series and probes.
 * `repairTruncated` keeps every value that was complete before the cut, closes what was open, and fills
 * the sections the cut removed with empty ones, so `wsherd report` can render what is there, marked partial.
 */
import { WsherdError } from '../errors.js';
import { readFile } from 'node:fs/promises';
import { locateJsonError, positionAt } from './json-position.js';
import { readResults } from './read.js';
import { RESULTS_FORMAT, RESULTS_VERSION, type Results } from './types.js';
import { formatResultsProblem, validateResults } from './validate.js';

export interface Repaired {
  results: Results;
  /** UTF-16 offset where the text stopped (the file's length), and its byte count, for messages. */
  cutAt: number;
  bytes: number;
}

/** Where the last complete value ended, and the closers that the containers open at that point need. */
interface CutPoint {
  offset: number;
  closers: string;
}

/**
 * The longest prefix of `text` that ends after a complete value (an array item, or an object member), with the
 * closing brackets it needs. A one-pass scanner: only the nesting and strings matter, not the values.
 */
export function lastCompletePrefix(text: string): string | undefined {
  const stack: string[] = [];
  // Per open object: whether the next complete string is a key (true) or a value.
  const expectKey: boolean[] = [];
  let cut: CutPoint | undefined;
  const mark = (offset: number): void => {
    cut = { offset, closers: [...stack].reverse().join('') };
  };
  const valueDone = (offset: number): void => {
    if (stack.length > 0) mark(offset);
    if (stack[stack.length - 1] === '}') expectKey[expectKey.length - 1] = true;
  };
  let i = 0;
  while (i < text.length) {
    const ch = text[i] as string;
    if (ch === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      if (j >= text.length) break;
      const isKey = stack[stack.length - 1] === '}' && expectKey[expectKey.length - 1] === true;
      i = j + 1;
      if (isKey) expectKey[expectKey.length - 1] = false;
      else valueDone(i);
      continue;
    }
    if (ch === '{' || ch === '[') {
      stack.push(ch === '{' ? '}' : ']');
      if (ch === '{') expectKey.push(true);
      i++;
      mark(i);
      continue;
    }
    if (ch === '}' || ch === ']') {
      stack.pop();
      if (ch === '}') expectKey.pop();
      i++;
      valueDone(i);
      continue;
    }
    if (/[-0-9tfn]/.test(ch)) {
      let j = i;
      while (j < text.length && /[-+.0-9eEtruefalsn]/.test(text[j] as string)) j++;
      // A number or literal that touches the end may itself be cut ("12" of "125", "tr" of "true").
      if (j >= text.length) break;
      i = j;
      valueDone(i);
      continue;
    }
    i++;
  }
  if (cut === undefined) return undefined;
  return text.slice(0, cut.offset).replace(/[\s,]+$/, '') + cut.closers;
}

const EMPTY: Partial<Record<keyof Results, unknown>> = {
  histograms: {},
  backends: { perBackend: [], unattributed: 0, skew: null },
  series: [],
  thresholds: [],
  generator: { workers: [] },
};
const OPTIONAL = ['lab', 'analysis', 'probes', 'faults', 'statusReason'] as const;

/**
 * Repairs a truncated results text, or throws WSH_ERR_RESULTS_INVALID saying where it stops and what is missing.
 * The result is marked `aborted` with a statusReason naming the cut, so every output shows it as partial.
 */
export function repairTruncated(text: string, file: string): Repaired {
  const bytes = Buffer.byteLength(text, 'utf8');
  const { line, col } = positionAt(text, text.length);
  const where = `after byte ${bytes} (line ${line}, column ${col})`;
  const prefix = lastCompletePrefix(text);
  const doc = prefix === undefined ? undefined : (JSON.parse(prefix) as unknown);
  const { format, version } = (typeof doc === 'object' && doc !== null && !Array.isArray(doc) ? doc : {}) as { format?: unknown; version?: unknown };
  if (format === undefined) throw cannot(file, `it stops ${where}, before anything that identifies a wsherd results file`);
  if (format !== RESULTS_FORMAT) {
    throw new WsherdError('WSH_ERR_RESULTS_INVALID', `${file} is not a wsherd results file: its "format" is ${JSON.stringify(format)} (expected "${RESULTS_FORMAT}"), and it is cut short ${where}.`, {
      hint: 'Give the results.json that `wsherd run` wrote, or the run\'s output folder (wsherd-results/<name>-<time>).',
    });
  }
  // A newer file may have another shape: refuse it as readResults would, rather than "repair" it into this one.
  if (typeof version === 'number' && version > RESULTS_VERSION) {
    throw new WsherdError('WSH_ERR_RESULTS_INVALID', `${file} was written by a newer wsherd (results version ${version}); this wsherd reads results version ${RESULTS_VERSION}. Upgrade wsherd to read it.`, {
      hint: 'Run `npm install -g wsherd@latest` (or update wsherd in your project), then run this command again.',
    });
  }
  const d = doc as Record<string, unknown>;
  for (const [key, empty] of Object.entries(EMPTY)) if (d[key] === undefined) d[key] = empty;
  dropBroken(d);
  const problems = validateResults(d);
  if (problems.length > 0) {
    const first = problems.slice(0, 3).map(formatResultsProblem).join('; ');
    throw cannot(file, `it stops ${where}, and what comes before it is not enough for a report: ${first}${problems.length > 3 ? '; …' : ''}`);
  }
  const results = d as unknown as Results;
  const reason = `results file truncated ${where}; only what was complete before it is shown`;
  results.statusReason = results.status === 'complete' ? reason : `${results.statusReason ?? results.status}; ${reason}`;
  if (results.status === 'complete') results.status = 'aborted';
  return { results, cutAt: text.length, bytes };
}

/**
 * The cut leaves the last item of whatever was being written half there (a series point with half its fields):
 * drop such items from the lists, and drop an optional section that is still broken. Sections a report needs
 * (summary, scenario) are left alone, so their problems are reported.
 */
function dropBroken(d: Record<string, unknown>): void {
  for (let pass = 0; pass < 4; pass++) {
    const problems = validateResults(d);
    if (problems.length === 0) return;
    for (const p of problems) {
      const item = /^(series|thresholds|generator\.workers|backends\.perBackend)\[(\d+)\]/.exec(p.path);
      if (item) {
        const [head, sub] = (item[1] as string).split('.') as [string, string | undefined];
        const list = (sub === undefined ? d[head] : (d[head] as Record<string, unknown>)[sub]) as unknown[];
        list.length = Math.min(list.length, Number(item[2]));
        continue;
      }
      const top = /^([A-Za-z]+)/.exec(p.path)?.[1] ?? '';
      if ((OPTIONAL as readonly string[]).includes(top)) delete d[top];
      else if (Object.hasOwn(EMPTY, top)) d[top] = structuredClone(EMPTY[top as keyof Results]);
    }
  }
}

/** True when `text` fails to parse only because it ends too early (not a typo in the middle). */
export function isTruncatedJson(text: string): boolean {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (body.trim() === '') return false;
  try {
    JSON.parse(body);
    return false;
  } catch (err) {
    return locateJsonError(body, err).offset >= body.trimEnd().length;
  }
}

/**
 * readResults, except that a file cut short is repaired (see repairTruncated) instead of refused. Every other
 * problem is readResults' own error.
 */
export async function readResultsOrPartial(file: string): Promise<{ results: Results; truncated?: { bytes: number } }> {
  try {
    return { results: await readResults(file) };
  } catch (err) {
    if (!(err instanceof WsherdError) || err.code !== 'WSH_ERR_RESULTS_INVALID') throw err;
    const raw = await readFile(file, 'utf8');
    const text = raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw;
    if (!isTruncatedJson(text)) throw err;
    const repaired = repairTruncated(text, file);
    return { results: repaired.results, truncated: { bytes: repaired.bytes } };
  }
}

function cannot(file: string, what: string): WsherdError {
  return new WsherdError('WSH_ERR_RESULTS_INVALID', `${file} is truncated and cannot be repaired: ${what}.`, {
    hint: 'The file was cut short (copied while being written, or the disk filled up): use a complete copy, or rerun the test.',
  });
}
