/**
 * Aligned text columns for terminal output. Widths are measured without ANSI colour codes, so coloured and
 * plain output line up the same way.
 */

// eslint-disable-next-line no-control-regex
const ANSI_RE = /\u001b\[[0-9;]*[A-Za-z]/g;

export function stripAnsi(s: string): string {
  return s.replace(ANSI_RE, '');
}

export function visibleWidth(s: string): number {
  return [...stripAnsi(s)].length;
}

export type Align = 'l' | 'r';

/**
 * Lays out `rows` in columns separated by `gap` spaces; `align[i]` says how column i is aligned (default left).
 * Trailing spaces are trimmed. Every line starts with `indent`.
 */
export function table(rows: readonly (readonly string[])[], align: readonly Align[] = [], indent = '  ', gap = 2): string[] {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, visibleWidth(cell));
    });
  }
  return rows.map((row) => {
    const cells = row.map((cell, i) => {
      const pad = ' '.repeat((widths[i] ?? 0) - visibleWidth(cell));
      return align[i] === 'r' ? pad + cell : cell + pad;
    });
    return (indent + cells.join(' '.repeat(gap))).replace(/\s+$/, '');
  });
}
