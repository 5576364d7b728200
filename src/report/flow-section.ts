/**
 * The flow panel (summary.flow): named steps (completions, failures, latency), frames received (solicited,
 * unsolicited, by type) and deliveries (expected, received, lost, latency; same-backend beside cross-backend,
 * per topic, and the publisher-backend × subscriber-backend matrix). The terminal, Markdown and HTML renderings
 * come from the same rows, so the three say the same numbers.
 */
import type { ChalkInstance } from 'chalk';
import type { Results } from '../results/types.js';
import type { DeliverySummary, DeliveryTally, FlowSummary, StepSummary } from '../results/flow-summary.js';
import { fmtInt, fmtMs, fmtPct } from './format.js';
import { esc } from './html-util.js';
import { table } from './table.js';

/** The note every delivery latency carries: both ends of a delivery were timed on one clock. */
export const DELIVERY_CLOCK = "delivery latency: publisher and subscriber on one host's clock";
const TOP_TYPES = 5;
const TOP_TOPICS = 20;

const errorsText = (s: StepSummary): string => Object.entries(s.errors).filter(([, n]) => n > 0)
  .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([code, n]) => `${code} ${fmtInt(n)}`).join(', ');

/** One row per named step: name, ok, errors, error rate, p50, p99, (error codes). */
function stepRows(f: FlowSummary): string[][] {
  return Object.entries(f.steps).map(([name, s]) => [
    name, fmtInt(s.ok), fmtInt(s.errorCount), fmtPct(s.errorRate),
    s.latency.count > 0 ? fmtMs(s.latency.p50) : '–', s.latency.count > 0 ? fmtMs(s.latency.p99) : '–', errorsText(s),
  ]);
}

function topTypes(f: FlowSummary, n: number): Array<[string, number]> {
  return Object.entries(f.frames.byType).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).slice(0, n);
}

function framesText(f: FlowSummary): string {
  const types = topTypes(f, TOP_TYPES).map(([t, n]) => `${t} ${fmtInt(n)}`);
  const more = Object.keys(f.frames.byType).length - types.length;
  return `${fmtInt(f.frames.received)} received: ${fmtInt(f.frames.solicited)} solicited, ${fmtInt(f.frames.unsolicited)} unsolicited` +
    (types.length > 0 ? `; by type ${types.join(', ')}${more > 0 ? `, +${more} more` : ''}` : '');
}

/** A run whose flow published, received or subscribed anything: worth a deliveries panel. */
export function hasDeliveries(d: DeliverySummary): boolean {
  return d.published + d.received + d.memberships + d.expected > 0;
}

/** all / same backend / cross backend: expected, accounted, lost, loss. */
function tallyRows(d: DeliverySummary): Array<[string, DeliveryTally]> {
  const rows: Array<[string, DeliveryTally]> = [['all', d]];
  if (d.sameBackend.expected + d.sameBackend.accounted > 0) rows.push(['same backend', d.sameBackend]);
  if (d.crossBackend.expected + d.crossBackend.accounted > 0) rows.push(['cross backend', d.crossBackend]);
  return rows;
}

const receiptNotes = (d: DeliverySummary): string => {
  const parts = ([['early', d.early], ['near a leave', d.unaccounted], ['own', d.self], ['stray', d.stray], ['late', d.late]] as const)
    .filter(([, n]) => n > 0).map(([k, n]) => `${fmtInt(n)} ${k}`);
  return parts.length === 0 ? '' : `of received: ${parts.join(', ')} (not accounted, except late)`;
};

const lossCell = (t: DeliveryTally): string => (t.loss === null ? '–' : fmtPct(t.loss));

export function flowSummary(r: Results, c: ChalkInstance): string[] {
  const f = r.summary.flow;
  if (f === undefined) return [];
  const lines = [c.bold('Flow')];
  const steps = stepRows(f);
  if (steps.length > 0) {
    const head = ['step', 'ok', 'errors', 'error rate', 'p50 ms', 'p99 ms', ''].map((h) => c.dim(h));
    lines.push(...table([head, ...steps.map((row) => row.map((cell, i) => (i === 6 && cell !== '' ? c.red(cell) : cell)))], ['l', 'r', 'r', 'r', 'r', 'r', 'l']));
    for (const [name, s] of Object.entries(f.steps)) if (s.sample !== undefined) lines.push(`  ${name}: ${c.dim('first failure')} ${s.sample}`);
  }
  lines.push(`  ${c.dim('frames')}  ${framesText(f)}`);
  if (f.roles !== undefined) lines.push(`  ${c.dim('roles')}   ${Object.entries(f.roles).map(([k, n]) => `${k} ${fmtInt(n)}`).join(', ')} ${c.dim('clients started')}`);
  const d = f.deliveries;
  if (!hasDeliveries(d)) return lines;
  lines.push(`${c.bold('Deliveries')}  ${c.dim(`${fmtInt(d.published)} published, ${fmtInt(d.received)} received; latency p50 ${fmtMs(d.latency.count > 0 ? d.latency.p50 : null)} / p99 ${fmtMs(d.latency.count > 0 ? d.latency.p99 : null)} / max ${fmtMs(d.latency.count > 0 ? d.latency.max : null)} ms`)}`);
  const head = ['', 'expected', 'accounted', 'lost', 'loss', 'extra'].map((h) => c.dim(h));
  const rows = tallyRows(d).map(([label, t]) => [label, fmtInt(t.expected), fmtInt(t.accounted), t.lost > 0 ? c.red(fmtInt(t.lost)) : '0', lossCell(t), fmtInt(t.extra)]);
  lines.push(...table([head, ...rows], ['l', 'r', 'r', 'r', 'r', 'r']));
  const notes = receiptNotes(d);
  if (notes !== '') lines.push(`  ${c.dim(notes)}`);
  lines.push(c.dim(`  ${DELIVERY_CLOCK}`));
  return lines;
}

const mdRow = (cells: readonly string[]): string => `| ${cells.join(' | ')} |`;

/** The Markdown summary's flow part; `text` escapes prose for a table cell (markdown.ts's mdText). */
export function flowMarkdown(r: Results, text: (s: string) => string): string[] {
  const f = r.summary.flow;
  if (f === undefined) return [];
  const out = ['#### Flow', ''];
  const steps = stepRows(f);
  if (steps.length > 0) {
    out.push(mdRow(['step', 'ok', 'errors', 'error rate', 'p50 ms', 'p99 ms', 'codes']), mdRow(['---', '---:', '---:', '---:', '---:', '---:', '---']));
    out.push(...steps.map((row) => mdRow(row.map(text))), '');
  }
  out.push(`Frames: ${text(framesText(f))}.`);
  const d = f.deliveries;
  if (hasDeliveries(d)) {
    out.push('', mdRow(['deliveries', 'expected', 'received', 'lost', 'loss', 'p50 / p99 / max ms']), mdRow(['---', '---:', '---:', '---:', '---:', '---:']));
    const lat = d.latency.count > 0 ? `${fmtMs(d.latency.p50)} / ${fmtMs(d.latency.p99)} / ${fmtMs(d.latency.max)}` : '–';
    for (const [label, t] of tallyRows(d)) {
      out.push(mdRow([label, fmtInt(t.expected), label === 'all' ? fmtInt(d.received) : `${fmtInt(t.accounted)} accounted`, fmtInt(t.lost), lossCell(t), label === 'all' ? lat : '']));
    }
    out.push('', `<sub>${text(DELIVERY_CLOCK)}</sub>`);
  }
  return out;
}

function htmlTable(head: readonly string[], rows: readonly (readonly string[])[], numeric: (i: number) => boolean): string {
  const th = head.map((h, i) => `<th${numeric(i) ? ' class="num"' : ''}>${esc(h)}</th>`).join('');
  const body = rows.map((row) => `<tr>${row.map((cell, i) => (i === 0 ? `<th>${cell}</th>` : `<td${numeric(i) ? ' class="num"' : ''}>${cell}</td>`)).join('')}</tr>`).join('\n');
  return `<table class="data"><thead><tr>${th}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

/** Rows: publisher's backend; columns: subscriber's backend; cells: expected / lost. */
function pairMatrix(d: DeliverySummary): string {
  if (d.byPair.length === 0) return '';
  const froms = [...new Set(d.byPair.map((p) => p.from))].sort();
  const tos = [...new Set(d.byPair.map((p) => p.to))].sort();
  const rows = froms.map((from) => [esc(from), ...tos.map((to) => {
    const p = d.byPair.find((x) => x.from === from && x.to === to);
    if (p === undefined) return '<span class="muted">–</span>';
    const lost = p.lost > 0 ? `<span class="bad">${fmtInt(p.lost)}</span>` : '0';
    return `<span data-pair="${esc(from)}→${esc(to)}">${fmtInt(p.expected)} / ${lost}</span>`;
  })]);
  return `<h3>By backend pair</h3><p class="muted small">Rows: the publisher's backend; columns: the subscriber's backend; each cell: expected / lost.</p>` +
    htmlTable(['publisher ↓ · subscriber →', ...tos], rows, (i) => i > 0);
}

export function flowHtml(r: Results): string {
  const f = r.summary.flow;
  if (f === undefined) return '';
  const parts: string[] = ['<section id="flow"><h2>Flow</h2>'];
  const steps = stepRows(f);
  if (steps.length > 0) {
    parts.push('<h3>Steps</h3>', htmlTable(['step', 'ok', 'errors', 'error rate', 'p50 (ms)', 'p99 (ms)', 'codes'],
      steps.map((row) => row.map((cell, i) => (i === 6 && cell !== '' ? `<span class="bad">${esc(cell)}</span>` : esc(cell)))), (i) => i > 0 && i < 6));
  }
  const types = topTypes(f, Infinity).map(([t, n]) => [esc(t), fmtInt(n), f.frames.received > 0 ? fmtPct(n / f.frames.received, 1) : '–']);
  parts.push(`<h3>Frames</h3><p>${esc(`${fmtInt(f.frames.received)} received: ${fmtInt(f.frames.solicited)} solicited (an expected answer), ${fmtInt(f.frames.unsolicited)} unsolicited (pushes, broadcasts, deliveries).`)}</p>`);
  if (types.length > 0) parts.push(htmlTable(['type', 'frames', 'share'], types, (i) => i > 0));
  if (f.roles !== undefined) parts.push(`<p class="muted">Clients started per role: ${esc(Object.entries(f.roles).map(([k, n]) => `${k} ${fmtInt(n)}`).join(', '))}.</p>`);
  const d = f.deliveries;
  if (hasDeliveries(d)) {
    const lat = (x: number): string => (d.latency.count > 0 ? fmtMs(x) : '–');
    parts.push('<h3>Deliveries</h3>', htmlTable(['', 'expected', 'accounted', 'lost', 'loss', 'extra'],
      tallyRows(d).map(([label, t]) => [esc(label), fmtInt(t.expected), fmtInt(t.accounted), t.lost > 0 ? `<span class="bad">${fmtInt(t.lost)}</span>` : '0', lossCell(t), fmtInt(t.extra)]), (i) => i > 0));
    const notes = receiptNotes(d);
    parts.push(`<p>${esc(`${fmtInt(d.published)} published, ${fmtInt(d.received)} received; latency p50 ${lat(d.latency.p50)} ms, p99 ${lat(d.latency.p99)} ms, max ${lat(d.latency.max)} ms.`)}${notes === '' ? '' : ` <span class="muted">${esc(notes)}.</span>`}</p>`);
    parts.push(`<p class="muted small">${esc(DELIVERY_CLOCK)}. Expected: each publish at every subscriber whose membership covered its second (except the publisher itself); lost = expected − accounted.</p>`);
    if (d.byTopic.length > 0) {
      const top = d.byTopic.slice(0, TOP_TOPICS);
      parts.push(`<h3>By topic</h3>${d.byTopic.length > TOP_TOPICS ? `<p class="muted small">The ${TOP_TOPICS} of ${fmtInt(d.byTopic.length)} topics that lost most, then carried most.</p>` : ''}`,
        htmlTable(['topic', 'expected', 'accounted', 'lost', 'loss'], top.map((t) => [esc(t.topic), fmtInt(t.expected), fmtInt(t.accounted), t.lost > 0 ? `<span class="bad">${fmtInt(t.lost)}</span>` : '0', lossCell(t)]), (i) => i > 0));
    }
    parts.push(pairMatrix(d));
  }
  parts.push('</section>');
  return parts.join('');
}
