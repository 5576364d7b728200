/**
 * Reads behavior.data's file in a worker and keeps only the rows of the worker's own slots (sequential: row s;
 * random: a row chosen by a seeded hash of s, so a run is reproducible and a client keeps its row across
 * reconnects). A minimal CSV (header line, commas, double-quoted fields with "" escapes) and JSON (an array of
 * objects) reader: the scenario loader has already checked the file (src/scenario/), this only reads it again.
 */
import { readFileSync } from 'node:fs';
import type { DataSpec } from '../../scenario/flow-types.js';

export type Row = Readonly<Record<string, string>>;

export function parseRows(text: string, format: 'csv' | 'json'): Row[] {
  if (format === 'json') {
    const v = JSON.parse(text) as unknown;
    if (!Array.isArray(v)) return [];
    return v.map((o) => Object.fromEntries(Object.entries((o ?? {}) as Record<string, unknown>).map(([k, x]) => [k, typeof x === 'string' ? x : JSON.stringify(x)])));
  }
  const records = parseCsv(text);
  const header = records.shift() ?? [];
  return records.filter((r) => r.length > 1 || (r[0] ?? '') !== '').map((r) => Object.fromEntries(header.map((h, i) => [h, r[i] ?? ''])));
}

function parseCsv(text: string): string[][] {
  const out: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  const t = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  for (let i = 0; i < t.length; i++) {
    const c = t[i] as string;
    if (quoted) {
      if (c === '"' && t[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c === '"') {
      quoted = true;
    } else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && t[i + 1] === '\n') i++;
      row.push(field);
      out.push(row);
      row = [];
      field = '';
    } else {
      field += c;
    }
  }
  if (field !== '' || row.length > 0) {
    row.push(field);
    out.push(row);
  }
  return out;
}

/** The row index of slot `s` among `rows` rows. */
export function rowIndex(s: number, rows: number, order: DataSpec['order']): number {
  if (rows <= 0) return -1;
  if (order === 'sequential') return s % rows;
  // A 32-bit integer hash (lowbias32) of the slot: reproducible and well spread.
  let h = (s + 0x9e3779b9) >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d) >>> 0;
  h ^= h >>> 15;
  h = Math.imul(h, 0x846ca68b) >>> 0;
  h ^= h >>> 16;
  return h % rows;
}

/** The rows of the slots `slots` (a worker's own), read from the file once. */
export function loadRows(spec: DataSpec, slots: Iterable<number>): Map<number, Row> {
  const rows = parseRows(readFileSync(spec.file, 'utf8'), spec.format);
  const out = new Map<number, Row>();
  for (const s of slots) {
    const i = rowIndex(s, rows.length, spec.order);
    if (i >= 0) out.set(s, rows[i] as Row);
  }
  return out;
}
