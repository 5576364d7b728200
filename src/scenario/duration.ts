/**
 * Durations in scenario files always carry a unit (`500ms`, `5s`, `2m`, `1h`, `1m30s`): a bare number is
 * ambiguous (k6 and Go read it differently), so it is rejected with a hint instead of guessed.
 */

export type DurationResult = { ms: number } | { error: string; hint: string };

const UNIT_MS: Readonly<Record<string, number>> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 };
const FORMAT_HINT = 'write a number with a unit: 500ms, 5s, 2m, 1h or 1m30s';
export const BARE_NUMBER_HINT = 'add a unit, e.g. 5s';

/** Parses `1m30s`-style text into whole milliseconds. Zero is allowed here; callers decide whether it makes sense. */
export function parseDuration(text: string): DurationResult {
  const s = text.trim();
  if (s === '') return { error: 'is an empty duration', hint: FORMAT_HINT };
  if (/^[+-]?\d+(\.\d+)?$/.test(s)) return { error: `has no unit ("${s}")`, hint: BARE_NUMBER_HINT };
  if (s.startsWith('-')) return { error: `must not be negative ("${s}")`, hint: FORMAT_HINT };
  // `ms` is listed before `m` so that `500ms` is not read as 500 minutes followed by a stray `s`.
  const part = /(\d+(?:\.\d+)?)(ms|h|m|s)/y;
  let total = 0;
  let pos = 0;
  while (pos < s.length) {
    part.lastIndex = pos;
    const match = part.exec(s);
    if (match === null) return { error: `is not a duration ("${s}")`, hint: FORMAT_HINT };
    total += Number(match[1]) * (UNIT_MS[match[2] as string] ?? 0);
    pos = part.lastIndex;
  }
  // Decimal parts such as 1.1s are not exact in binary floating point; round away the representation noise first.
  const ms = Math.round(total * 1000) / 1000;
  if (!Number.isInteger(ms)) return { error: `is finer than a millisecond ("${s}")`, hint: 'durations have millisecond resolution' };
  return { ms };
}

/** Formats milliseconds back to the file's notation (`1m30s`, `500ms`), for messages. */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  let rest = ms;
  let out = '';
  for (const [unit, size] of Object.entries(UNIT_MS)) {
    const n = Math.floor(rest / size);
    if (n > 0) {
      out += `${n}${unit}`;
      rest -= n * size;
    }
  }
  return out;
}
