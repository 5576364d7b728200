/**
 * The plan for people: aligned text for the terminal (colour only when the command says so: a TTY without
 * NO_COLOR) and Markdown. Both lay out planDocument(), so they say the same as the HTML page and --json.
 */
import { Chalk, type ChalkInstance } from 'chalk';
import { table as columns, visibleWidth } from '../report/table.js';
import { planDocument, type Block, type DocTable, type Tone } from './document.js';
import type { Plan } from './types.js';

export { renderPlanHtml } from './render-html.js';

/** Wider than this, a table is printed one row at a time (its formulas are long). */
const MAX_WIDTH = 120;

function toned(c: ChalkInstance, tone: Tone, s: string): string {
  if (tone === 'good') return c.green(s);
  if (tone === 'bad') return c.red(s);
  if (tone === 'key') return c.yellow.bold(s);
  return s;
}

function termTable(t: DocTable, c: ChalkInstance): string[] {
  const right = t.right ?? [];
  const align = (n: number): Array<'l' | 'r'> => t.head.slice(0, n).map((_, i) => (right.includes(i) ? 'r' : 'l'));
  const row = (r: readonly string[], i: number): string[] => r.map((cell, j) => (j === 0 ? toned(c, t.tones?.[i], cell) : cell));
  const aligned = columns([t.head.map((h) => c.dim(h)), ...t.rows.map(row)], align(t.head.length));
  if (Math.max(...aligned.map(visibleWidth)) <= MAX_WIDTH) return aligned;
  // Too wide: the first `keep` columns stay aligned, each other cell goes on its own line under its row.
  const keep = Math.max(1, t.keep ?? 1);
  const heads = columns([t.head.slice(0, keep).map((h) => c.dim(h)), ...t.rows.map((r, i) => row(r.slice(0, keep), i))], align(keep));
  const label = Math.max(...t.head.slice(keep).map((h) => visibleWidth(h)));
  const out = keep > 1 ? [heads[0] as string] : [];
  t.rows.forEach((r, i) => {
    out.push((heads[i + 1] as string) + (t.tones?.[i] === 'key' ? c.yellow('  ← binds') : ''));
    r.slice(keep).forEach((cell, j) => {
      const h = t.head[keep + j] ?? '';
      out.push(`      ${h === '' ? '' : `${c.dim(h.padEnd(label))}  `}${cell}`);
    });
  });
  return out;
}

function termBlock(b: Block, c: ChalkInstance): string[] {
  if (b.kind === 'p') return [`  ${b.text}`];
  if (b.kind === 'h') return [`  ${c.bold(b.text)}`];
  if (b.kind === 'list') return b.items.map((s) => `  - ${s}`);
  return termTable(b.table, c);
}

export function renderPlanTerminal(plan: Plan, opts: { color: boolean }): string {
  const c = new Chalk({ level: opts.color ? 1 : 0 });
  const doc = planDocument(plan);
  const out = [c.bold(doc.title), c.dim(doc.subtitle)];
  for (const s of doc.sections) {
    out.push('', c.bold(s.title), ...s.blocks.flatMap((b) => termBlock(b, c)));
  }
  return out.join('\n') + '\n';
}

function mdCell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function mdTable(t: DocTable): string[] {
  const right = t.right ?? [];
  const rows = t.rows.map((r, i) => r.map((cell, j) => (j === 0 && t.tones?.[i] === 'key' ? `**${mdCell(cell)}**` : mdCell(cell))));
  return [
    `| ${t.head.map(mdCell).join(' | ')} |`,
    `|${t.head.map((_, i) => (right.includes(i) ? '---:' : '---')).join('|')}|`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ];
}

export function renderPlanMarkdown(plan: Plan): string {
  const doc = planDocument(plan);
  const out = [`# ${doc.title}`, '', doc.subtitle];
  for (const s of doc.sections) {
    out.push('', `## ${s.title}`);
    for (const b of s.blocks) {
      out.push('');
      if (b.kind === 'p') out.push(b.text);
      else if (b.kind === 'h') out.push(`### ${b.text}`);
      else if (b.kind === 'list') out.push(...b.items.map((i) => `- ${mdCell(i)}`));
      else out.push(...mdTable(b.table));
    }
  }
  return out.join('\n') + '\n';
}
