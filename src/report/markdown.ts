/**
 * GitHub-flavoured Markdown for a CI job summary ($GITHUB_STEP_SUMMARY) or a pull-request comment: the verdict
 * (the same words as the terminal and HTML, from verdict.ts), thresholds, key figures and the diagnoses, each
 * section only when it has data. A summary, not the report: the HTML has the charts.
 */
import type { ApproachMetrics, CompareResults } from '../compare/types.js';
import type { Results } from '../results/types.js';
import { describeAttribution } from '../analysis/forensics.js';
import { fmtDuration, fmtInt, fmtLimit, fmtMetric, fmtMs, fmtPct, fmtRatio, fmtTimestamp } from './format.js';
import { verdictOf, type VerdictKind } from './verdict.js';
import { diagnose } from '../analysis/diagnosis.js';
import { skippedText, stallsText } from './timing.js';
import { flowMarkdown } from './flow-section.js';

const TOP_CODES = 5;
const ICON: Record<VerdictKind, string> = { 'pass': '✅', 'thresholds-failed': '❌', 'inconclusive': '⚠️', 'aborted': '⚠️', 'failed': '❌' };

// eslint-disable-next-line no-control-regex -- stripping them is the point
const CONTROL_RE = /\u001b\[[0-9;]*[A-Za-z]|[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/g;

/**
 * Prose safe in Markdown and in a table cell: HTML specials as entities (GitHub would swallow `<foo>` as a tag),
 * `|` escaped (it ends a cell), line breaks folded, controls and ANSI colour codes dropped.
 */
export function mdText(s: string): string {
  return s
    .replace(CONTROL_RE, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/\|/g, '\\|')
    .replace(/\s*[\r\n]+\s*/g, ' ');
}

/**
 * A code span that shows `s` literally: fenced with more backticks than any run inside it. In a GFM table `|`
 * must be escaped even inside code (the table is split before inline parsing); GitHub shows it unescaped.
 */
export function mdCode(s: string): string {
  const clean = s.replace(CONTROL_RE, '').replace(/\s*[\r\n]+\s*/g, ' ').replace(/\|/g, '\\|');
  const longest = Math.max(0, ...(clean.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longest + 1);
  const pad = clean.startsWith('`') || clean.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${clean}${pad}${fence}`;
}

const row = (cells: readonly string[]): string => `| ${cells.join(' | ')} |`;
const tableOf = (head: readonly string[], align: readonly ('l' | 'r')[], rows: readonly string[][]): string[] => [
  row(head),
  row(align.map((a) => (a === 'r' ? '---:' : '---'))),
  ...rows.map(row),
];

function verdictLine(r: Results): string[] {
  const v = verdictOf(r);
  let line = `**${ICON[v.kind]} ${v.label}**`;
  if (v.kind === 'thresholds-failed') line += ` — ${v.thresholdsFailed} of ${r.thresholds.length} thresholds failed`;
  else if (v.kind === 'pass' && r.thresholds.length > 0) line += ` — all ${r.thresholds.length} thresholds passed`;
  if (v.reason !== undefined) line += ` (${mdText(v.reason)})`;
  const lines = [line, '', mdText(diagnose(r).sentence)];
  if (v.partial) lines.push('', '> Partial results: the run did not finish its plan.');
  return lines;
}

function header(r: Results): string[] {
  const where = `${fmtTimestamp(r.startedAt)} · ${fmtDuration(r.durationMs)} · ${r.target.kind === 'lab' ? 'reference lab' : 'target'} ${mdCode(r.target.url)}`;
  return [`### wsherd · ${mdText(r.scenario.name)}`, '', ...verdictLine(r), '', `<sub>${where}</sub>`];
}

function thresholds(r: Results): string[] {
  if (r.thresholds.length === 0) return [];
  const rows = r.thresholds.map((t) => [
    t.pass ? '✅' : '❌',
    mdCode(t.source),
    t.measured === null ? mdText(t.note ?? 'no data') : mdText(fmtMetric(t.metric, t.measured)),
    mdText(fmtLimit(t.metric, t.op, t.value)),
  ]);
  return ['#### Thresholds', '', ...tableOf(['', 'threshold', 'measured', 'limit'], ['l', 'l', 'r', 'l'], rows)];
}

function keyFigures(r: Results): string[] {
  const k = r.summary.counters;
  const { connect, rtt, rtt_corrected: corrected } = r.summary.latency;
  const pair = (s: { count: number; p50: number; p99: number }): string => (s.count === 0 ? '–' : `${fmtMs(s.p50)} / ${fmtMs(s.p99)} ms`);
  const est = k.attempted > 0 ? ` (${fmtPct(k.established / k.attempted)})` : '';
  // The corrected round trip (what p99(rtt) thresholds read) beside the uncorrected one, when the file has it.
  const extra = corrected === undefined ? [] : [pair(corrected)];
  const lines = ['#### Key figures', '', ...tableOf(
    ['attempted', 'established', 'errors', 'connect p50 / p99', 'rtt p50 / p99', ...(corrected === undefined ? [] : ['rtt_corrected p50 / p99'])],
    ['r', 'r', 'r', 'r', 'r', ...extra.map(() => 'r' as const)],
    [[fmtInt(k.attempted), `${fmtInt(k.established)}${est}`, `${fmtInt(r.summary.errors.total)} (${fmtPct(r.summary.errors.rate)})`, pair(connect), pair(rtt), ...extra]],
  )];
  const skipped = skippedText(k);
  if (skipped !== '') lines.push('', `Messages: ${fmtInt(k.messagesSent)} sent${skipped} (overdue after a generator stall; neither sent nor lost).`);
  const stalls = stallsText(r.generator.workers);
  if (stalls !== undefined) lines.push('', `The generator had ${stalls}: its latencies there include its own delay.`);
  const codes = Object.entries(r.summary.errors.byCode).filter(([, n]) => n > 0).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  if (codes.length > 0) {
    const shown = codes.slice(0, TOP_CODES).map(([code, n]) => `${mdCode(code)} ${fmtInt(n)}`);
    if (codes.length > TOP_CODES) shown.push(`${codes.length - TOP_CODES} more codes`);
    lines.push('', `Errors by code: ${shown.join(' · ')}`);
  }
  return lines;
}

function diagnoses(r: Results): string[] {
  const out: string[] = [];
  const cliff = r.analysis?.cliff;
  if (cliff !== undefined) out.push('#### Limits', '', mdText(cliff.diagnosis));
  const forensics = r.analysis?.forensics ?? [];
  if (forensics.length > 0) out.push(...(out.length > 0 ? [''] : []), '#### Failures by side', '', ...forensics.map((a) => `- ${mdText(describeAttribution(a))}`));
  const faults = r.analysis?.faults ?? [];
  if (faults.length > 0) out.push(...(out.length > 0 ? [''] : []), '#### Faults', '', ...faults.map((f) => `- ${mdText(f.sentence)}`));
  return out;
}

function backends(r: Results): string[] {
  const per = r.backends.perBackend;
  if (per.length === 0) return [];
  const rows = per.map((b) => [mdCode(b.id), fmtInt(b.connections), fmtPct(b.share, 1)]);
  if (r.backends.unattributed > 0) rows.push(['unattributed', fmtInt(r.backends.unattributed), '']);
  const lines = ['#### Backends', '', ...tableOf(['backend', 'connections', 'share'], ['l', 'r', 'r'], rows)];
  const s = r.backends.skew;
  if (s !== null) lines.push('', `Skew: peak/avg ${fmtRatio(s.peakToAverage)} · cv ${fmtRatio(s.cv)} · jain ${fmtRatio(s.jain)}`);
  const pop = r.backends.population;
  if (pop !== undefined) lines.push('', `Population: ${mdText(pop.diagnosis)}`);
  return lines;
}

/** A run as a CI summary in GitHub-flavoured Markdown. */
export function renderMarkdown(results: Results): string {
  const sections = [header(results), thresholds(results), keyFigures(results), flowMarkdown(results, mdText), diagnoses(results), backends(results)];
  return sections.filter((s) => s.length > 0).map((s) => s.join('\n')).join('\n\n') + '\n';
}

type Column = { head: string; key: keyof ApproachMetrics; fmt: (v: number) => string; when?: (c: CompareResults) => boolean };

const has = (key: keyof ApproachMetrics, nonZero = false) => (c: CompareResults): boolean =>
  c.approaches.some((a) => { const v = a.metrics?.[key]; return typeof v === 'number' && (!nonZero || v > 0); });

/** The terminal's columns: session and fault columns only when some approach measured them. */
const COLUMNS: Column[] = [
  { head: 'established', key: 'established', fmt: fmtInt },
  { head: 'errors', key: 'errorsRate', fmt: (v) => fmtPct(v) },
  { head: 'misroutes', key: 'misrouteRate', fmt: (v) => fmtPct(v), when: has('misrouteRate') },
  { head: 'broken', key: 'brokenRate', fmt: (v) => fmtPct(v), when: has('brokenRate') },
  { head: 'upgraded', key: 'upgradeRate', fmt: (v) => fmtPct(v), when: has('misrouteRate') },
  { head: 'peak/avg', key: 'peakToAverage', fmt: fmtRatio },
  { head: 'jain', key: 'jain', fmt: (v) => v.toFixed(3) },
  { head: 'p99 connect', key: 'connectP99', fmt: (v) => `${fmtMs(v)} ms` },
  { head: 'p99 lookup', key: 'lookupP99', fmt: (v) => `${fmtMs(v)} ms`, when: has('lookupP99') },
  { head: 'remapped', key: 'remap', fmt: (v) => fmtPct(v), when: has('remap') },
  { head: 'back after', key: 'recoverySeconds', fmt: (v) => `${v} s`, when: has('recoverySeconds') },
  { head: 'storm/s', key: 'stormPeak', fmt: fmtInt, when: has('stormPeak', true) },
];

/** A comparison as a CI summary: the approaches side by side, ★ on the best value per metric, one sentence each. */
export function renderCompareMarkdown(c: CompareResults): string {
  const cols = COLUMNS.filter((col) => col.when === undefined || col.when(c));
  const rows = c.approaches.map((a) => {
    const cells = cols.map((col) => {
      const v = a.metrics?.[col.key];
      if (typeof v !== 'number') return '–';
      return c.best[col.key]?.includes(a.name) === true ? `**${col.fmt(v)}** ★` : col.fmt(v);
    });
    const th = a.status === 'skipped' ? '⏭️ skipped'
      : a.thresholdsFailed > 0 ? `❌ ${a.thresholdsFailed} failed`
      : a.thresholdsPassed > 0 ? `✅ ${a.thresholdsPassed} passed` : '–';
    const name = a.status === 'complete' || a.status === 'skipped' ? mdCode(a.name) : `${mdCode(a.name)} (${a.status})`;
    // Each approach's own verdict: an inconclusive run (generator saturated) is flagged and never starred.
    const verdict = a.verdict === undefined ? '–' : a.inconclusive === true ? `⚠️ ${a.verdict}` : a.verdict;
    return [name, ...cells, th, verdict];
  });
  const statusNote = c.status === 'complete' ? [] : ['', `> ⚠️ The comparison was ${c.status}: partial results.`];
  const lines = [
    `### wsherd compare · ${mdText(c.scenario)} — ${c.approaches.length} approaches`,
    ...statusNote,
    '',
    ...tableOf(['approach', ...cols.map((col) => col.head), 'thresholds', 'verdict'], ['l', ...cols.map(() => 'r' as const), 'l', 'l'], rows),
    '',
    ...c.approaches.map((a) => `- **${mdText(a.name)}**: ${mdText(a.sentence)}${a.diagnosis === undefined || a.diagnosis.kind === 'none' ? '' : ` _Diagnosis:_ ${mdText(a.diagnosis.sentence)}`}`),
  ];
  return lines.join('\n') + '\n';
}
