/**
 * `behavior.data` files: CSV (a header row, then one row per client; RFC 4180 quoting) or JSON (an array of flat
 * objects). The scenario loader reads the file to check it (columns, rows against clients); each worker reads it
 * again at run time with readDataFile, so the values themselves never travel in the scenario or in results.
 */
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { WsherdError } from '../errors.js';

export interface DataTable {
  format: 'csv' | 'json';
  /** Column names in file order (CSV header; keys of the first JSON object). */
  columns: string[];
  /** One array per row, values in column order, all strings. */
  rows: string[][];
}

/** What is wrong with a data file; `line` (1-based) when it is about one place in it. */
export interface DataFileProblem {
  error: string;
  hint: string;
  line?: number;
}

/** A data file is read whole into every worker: beyond this it is more likely a mistake than a user list. */
export const MAX_DATA_BYTES = 64 * 1024 * 1024;

export function dataFormat(file: string): 'csv' | 'json' | undefined {
  const ext = path.extname(file).toLowerCase();
  return ext === '.csv' ? 'csv' : ext === '.json' ? 'json' : undefined;
}

/** Reads and parses a data file, or says what is wrong (missing, unreadable, empty, malformed). */
export function loadDataFile(file: string): DataTable | DataFileProblem {
  const format = dataFormat(file);
  if (format === undefined) return { error: `${file} is neither .csv nor .json`, hint: 'name the file .csv (a header row, then one row per client) or .json (an array of objects)' };
  let text: string;
  try {
    const size = statSync(file).size;
    if (size > MAX_DATA_BYTES) return { error: `${file} is ${size} bytes, more than ${MAX_DATA_BYTES} (64 MiB)`, hint: 'every worker reads the file whole: use fewer rows (order: random reuses rows)' };
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'does not exist' : code === 'EISDIR' ? 'is a directory' : code === 'EACCES' ? 'cannot be read (permission denied)' : `cannot be read (${(err as Error).message})`;
    return { error: `${file} ${why}`, hint: 'the path is resolved against the scenario file\'s folder' };
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  return format === 'csv' ? parseCsv(text, file) : parseJsonRows(text, file);
}

/** For workers: the table, or a WsherdError saying what is wrong (the file changed since the scenario was loaded). */
export function readDataFile(file: string): DataTable {
  const t = loadDataFile(file);
  if ('error' in t) throw new WsherdError('WSH_ERR_SCENARIO_INVALID', `behavior.data: ${t.error}.`, { hint: t.hint });
  return t;
}

const EMPTY_HINT = 'a CSV data file is a header row (the column names) then one row per client; a JSON one an array of objects';

/** RFC 4180: comma-separated, fields optionally in double quotes ("" inside is one "), CRLF or LF line ends. */
export function parseCsv(text: string, file = 'the data file'): DataTable | DataFileProblem {
  const records: Array<{ line: number; fields: string[] }> = [];
  let fields: string[] = [];
  let field = '';
  let line = 1;
  let recordLine = 1;
  let i = 0;
  let quoted = false;
  const endRecord = (): void => {
    fields.push(field);
    records.push({ line: recordLine, fields });
    fields = [];
    field = '';
  };
  while (i < text.length) {
    const c = text[i] as string;
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
        i++;
        const next = text[i];
        if (next !== undefined && next !== ',' && next !== '\n' && next !== '\r') return { error: `${file} line ${line}: a quoted field is followed by ${JSON.stringify(next)} instead of a comma or the end of the line`, hint: 'inside quotes write a quote as ""', line };
        continue;
      }
      if (c === '\n') line++;
      field += c;
      i++;
      continue;
    }
    if (c === '"' && field === '') {
      quoted = true;
      i++;
    } else if (c === ',') {
      fields.push(field);
      field = '';
      i++;
    } else if (c === '\r' && text[i + 1] === '\n') {
      endRecord();
      i += 2;
      recordLine = ++line;
    } else if (c === '\n') {
      endRecord();
      i++;
      recordLine = ++line;
    } else {
      if (c === '"') return { error: `${file} line ${line}: a quote inside an unquoted field`, hint: 'quote the whole field and double the quote inside: "say ""hi"""', line };
      field += c;
      i++;
    }
  }
  if (quoted) return { error: `${file} line ${recordLine}: a quoted field is not closed before the end of the file`, hint: 'close the field with "', line: recordLine };
  // A last line without its line break is a record; the empty "line" after a final line break is not.
  if (field !== '' || fields.length > 0) endRecord();
  // Empty lines at the end (an editor's extra line break) are not rows.
  while (records.length > 1 && isBlank(records[records.length - 1])) records.pop();
  const [header, ...rows] = records;
  if (header === undefined || (header.fields.length === 1 && header.fields[0] === '')) return { error: `${file} is empty`, hint: EMPTY_HINT };
  const bad = checkColumns(header.fields);
  if (bad !== undefined) return { error: `${file} line 1: ${bad}`, hint: 'the first line names the columns, each once, separated by commas', line: 1 };
  if (rows.length === 0) return { error: `${file} has a header row but no rows`, hint: 'add one row per client after the header' };
  for (const r of rows) {
    if (r.fields.length !== header.fields.length) {
      return { error: `${file} line ${r.line} has ${r.fields.length} field${r.fields.length === 1 ? '' : 's'}, the header has ${header.fields.length} (${header.fields.join(', ')})`, hint: 'every row has one value per column; quote a value holding a comma: "a, b"', line: r.line };
    }
  }
  return { format: 'csv', columns: header.fields, rows: rows.map((r) => r.fields) };
}

function isBlank(r: { fields: string[] } | undefined): boolean {
  return r !== undefined && r.fields.length === 1 && r.fields[0] === '';
}

function checkColumns(columns: readonly string[]): string | undefined {
  const seen = new Set<string>();
  for (const [i, c] of columns.entries()) {
    if (c.trim() === '') return `column ${i + 1} has no name`;
    if (seen.has(c)) return `the column ${JSON.stringify(c)} is named twice`;
    seen.add(c);
  }
  return undefined;
}

const JSON_HINT = 'a JSON data file is an array of flat objects with the same keys, e.g. [{"user": "a", "token": "t1"}]';

/** An array of flat objects; every object has the first one's keys; values become strings (null → ""). */
export function parseJsonRows(text: string, file = 'the data file'): DataTable | DataFileProblem {
  if (text.trim() === '') return { error: `${file} is empty`, hint: EMPTY_HINT };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { error: `${file} is not valid JSON (${(err as Error).message})`, hint: JSON_HINT };
  }
  if (!Array.isArray(value)) return { error: `${file} must hold an array of objects`, hint: JSON_HINT };
  if (value.length === 0) return { error: `${file} is an empty array`, hint: 'add one object per client' };
  const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
  const first: unknown = value[0];
  if (!isObject(first) || Object.keys(first).length === 0) return { error: `${file} item 0 must be an object with at least one key`, hint: JSON_HINT };
  const columns = Object.keys(first);
  const rows: string[][] = [];
  for (const [n, item] of (value as unknown[]).entries()) {
    if (!isObject(item)) return { error: `${file} item ${n} is not an object`, hint: JSON_HINT };
    const extra = Object.keys(item).find((k) => !columns.includes(k));
    if (extra !== undefined) return { error: `${file} item ${n} has the key ${JSON.stringify(extra)}, which item 0 lacks (item 0's keys: ${columns.join(', ')})`, hint: 'give every object the same keys' };
    const row: string[] = [];
    for (const c of columns) {
      if (!(c in item)) return { error: `${file} item ${n} lacks the key ${JSON.stringify(c)} (item 0's keys: ${columns.join(', ')})`, hint: 'give every object the same keys; write "" for no value' };
      const v = item[c];
      if (v !== null && typeof v === 'object') return { error: `${file} item ${n}.${c} is ${Array.isArray(v) ? 'an array' : 'an object'}: values must be strings, numbers or booleans`, hint: JSON_HINT };
      row.push(v === null || v === undefined ? '' : String(v));
    }
    rows.push(row);
  }
  return { format: 'json', columns, rows };
}
