/** Numbers inside plan formulas: the same text in the terminal, Markdown, HTML and --json. */
import { fmtBytes, fmtInt } from '../report/format.js';

export { fmtBytes, fmtInt };

/** A count or rate: whole numbers with separators, small ones with enough digits to read (0.0339, 1.98). */
export function num(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  const a = Math.abs(n);
  if (Number.isInteger(n) || a >= 100) return fmtInt(n);
  if (a >= 10) return n.toFixed(1).replace(/\.0$/, '');
  if (a >= 1) return n.toFixed(2).replace(/\.?0+$/, '');
  return Number(n.toPrecision(3)).toString();
}

/** Bytes, rounded to whole bytes below 1 KiB. */
export function bytes(n: number): string {
  return fmtBytes(Math.abs(n) < 1024 ? Math.round(n) : n);
}

/** A fraction kept free, as the factor capacity is multiplied by: 0.3 → "(1 − 0.3)". */
export function usable(headroom: number): string {
  return `(1 − ${num(headroom)})`;
}

export function pct(fraction: number): string {
  return `${Math.round(fraction * 100)}%`;
}
