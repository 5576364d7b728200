/**
 * Reads behavior.data's file in a worker (with the scenario loader's parser, src/scenario/data-file.ts) and gives
 * each slot its row on demand (rowReader: nothing stored per slot, a row's object is made when a connection asks) (sequential: row s; random: a row chosen by a seeded hash of s, so a run
 * is reproducible and a client keeps its row across reconnects).
 */
import type { DataSpec } from '../../scenario/flow-types.js';
import { readDataFile } from '../../scenario/data-file.js';

export type Row = Readonly<Record<string, string>>;

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
  const table = readDataFile(spec.file);
  const out = new Map<number, Row>();
  for (const s of slots) {
    const i = rowIndex(s, table.rows.length, spec.order);
    const values = table.rows[i];
    if (values !== undefined) out.set(s, Object.fromEntries(table.columns.map((c, k) => [c, values[k] ?? ''])));
  }
  return out;
}

/** Slot → row, from the file read once: the row index is a pure function of the slot, so nothing is kept per slot. */
export function rowReader(spec: DataSpec): (slot: number) => Row | undefined {
  const table = readDataFile(spec.file);
  return (s) => {
    const values = table.rows[rowIndex(s, table.rows.length, spec.order)];
    return values === undefined ? undefined : Object.fromEntries(table.columns.map((c, k) => [c, values[k] ?? '']));
  };
}
