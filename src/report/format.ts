/**
 * Number formatting shared by the terminal and HTML outputs, so both show a measurement the same way.
 * Locale-independent on purpose: reports are compared across machines and pasted into tickets.
 */
import { metricKind } from '../analysis/thresholds.js';
import type { ThresholdOp } from '../scenario/types.js';

/** 12345 → "12,345". */
export function fmtInt(n: number): string {
  const s = String(Math.round(Math.abs(n)));
  return (n < 0 ? '-' : '') + s.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** Milliseconds with precision that suits the size: 0.042, 1.23, 12.3, 1,234. */
export function fmtMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '–';
  const a = Math.abs(ms);
  if (a >= 1000) return fmtInt(ms);
  if (a >= 100) return ms.toFixed(0);
  if (a >= 10) return ms.toFixed(1);
  if (a >= 1) return ms.toFixed(2);
  return ms.toFixed(3);
}

/** A fraction as a percentage: 0.00495 → "0.50%"; keeps small non-zero values visible. */
export function fmtPct(fraction: number | null | undefined, digits = 2): string {
  if (fraction === null || fraction === undefined || !Number.isFinite(fraction)) return '–';
  const pct = fraction * 100;
  if (pct !== 0 && Math.abs(pct) < 10 ** -digits) return `<${(10 ** -digits).toFixed(digits)}%`;
  return `${pct.toFixed(digits)}%`;
}

/** A dimensionless ratio: 1.0069 → "1.007". */
export function fmtRatio(x: number | null | undefined): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '–';
  return x.toFixed(3);
}

/** Milliseconds as m:ss (or h:mm:ss). */
export function fmtClock(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

/** A duration for prose: 36412 → "36.4 s", 754000 → "12 min 34 s". */
export function fmtDuration(ms: number): string {
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h > 0 ? `${h} h ${m} min ${s % 60} s` : `${m} min ${s % 60} s`;
}

/** An ISO timestamp for people: "2025-06-14 09:30:00 UTC" (the ISO text itself when it does not parse). */
export function fmtTimestamp(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** Bytes with a binary unit: 98566144 → "94.0 MiB". */
export function fmtBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = bytes;
  let i = 0;
  while (Math.abs(v) >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${v} B` : `${v.toFixed(1)} ${units[i]}`;
}

/** A metric's value in the unit its kind implies: "11.8 ms", "0.99%", "2,005", "1.007". */
export function fmtMetric(metric: string, value: number | null): string {
  if (value === null) return 'no data';
  switch (metricKind(metric)) {
    case 'ms': return `${fmtMs(value)} ms`;
    case 'fraction': return fmtPct(value, value !== 0 && Math.abs(value) < 0.01 ? 3 : 2);
    case 'count': return fmtInt(value);
    default: return fmtRatio(value);
  }
}

/** "< 50 ms", "< 0.100%": the limit side of a threshold. */
export function fmtLimit(metric: string, op: ThresholdOp, value: number): string {
  return `${op} ${fmtMetric(metric, value)}`;
}
