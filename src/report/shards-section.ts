/**
 * What the terminal summary and the HTML report say about sharding: on a shard, which part of which run it was and
 * that its thresholds are judged on the merge; on a merge, the shards, their start spread and what is missing.
 */
import type { ChalkInstance } from 'chalk';
import type { Results } from '../results/types.js';
import type { ShardInfo, ShardSync } from '../results/shard-types.js';
import { fmtInt, fmtMs } from './format.js';
import { esc } from './html-util.js';

function syncText(s: ShardSync): string {
  if (s.kind === 'barrier') return `started at the barrier ${s.url} (${s.arrived} shards arrived; waited ${fmtMs(s.waitedMs)} ms)`;
  if (s.kind === 'start-at') return `started at ${s.startAt}${s.lateMs > 0 ? `, ${fmtMs(s.lateMs)} ms late (its workers were not ready before)` : ''}`;
  return 'started on its own (no --barrier or --start-at)';
}

function clockText(s: Pick<ShardInfo, 'clockOffsetMs' | 'clockUncertaintyMs'>): string {
  if (s.clockOffsetMs === undefined) return '';
  return `; clock ${s.clockOffsetMs >= 0 ? '+' : ''}${fmtMs(s.clockOffsetMs)} ms from the barrier's (±${fmtMs(s.clockUncertaintyMs ?? 0)})`;
}

/** "± x ms": the spread's bound from the clock offsets' measurement error. */
function spreadBound(m: { startSpreadUncertaintyMs?: number }): string {
  return m.startSpreadUncertaintyMs === undefined ? '' : ` (± ${fmtMs(m.startSpreadUncertaintyMs)} ms, the clock offsets' error)`;
}

/** The terminal summary's lines (none for a run that is neither a shard nor a merge). */
export function shardLines(r: Results, c: ChalkInstance): string[] {
  const s = r.shard;
  if (s !== undefined) {
    return [
      c.bold(`Shard ${s.index} of ${s.count}`) + (s.runId === undefined ? '' : c.dim(`  run ${s.runId}`)),
      `  ${fmtInt(s.clients)} of the scenario's ${fmtInt(r.scenario.clients)} clients (the slots s with s % ${s.count} = ${s.index}); ${syncText(s.sync)}${clockText(s)}`,
      `  thresholds are judged on the merged figures: wsherd merge <every shard's results> --out <folder>`,
    ];
  }
  const m = r.merge;
  if (m === undefined) return [];
  return [
    c.bold(`Merged ${m.shards.length} of ${m.count} shards`) + (m.runId === undefined ? '' : c.dim(`  run ${m.runId}`)),
    `  second 0 spread over ${fmtMs(m.startSpreadMs)} ms${spreadBound(m)}${m.clockSpreadMs === undefined ? '' : `; clocks ${fmtMs(m.clockSpreadMs)} ms apart`}`,
    ...(m.missing.length === 0 ? [] : [c.red(`  missing: shard ${m.missing.join(', ')} — the figures are those of the shards present`)]),
    ...m.warnings.map((w) => c.yellow(`  ${w}`)),
  ];
}

/** The report's section (empty for a run that is neither a shard nor a merge). */
export function shardsHtml(r: Results): string {
  const s = r.shard;
  if (s !== undefined) {
    return `<section id="shards"><h2>Shard ${s.index} of ${s.count}</h2><p>${s.runId === undefined ? '' : `Run <code>${esc(s.runId)}</code>, host <code>${esc(s.host)}</code>. `}` +
      `${esc(fmtInt(s.clients))} of the scenario's ${esc(fmtInt(r.scenario.clients))} clients (the slots s with s % ${s.count} = ${s.index}); ${esc(syncText(s.sync) + clockText(s))}.</p>` +
      '<p class="note">These are one shard\'s figures: thresholds are judged on the merged run (<code>wsherd merge</code>).</p></section>';
  }
  const m = r.merge;
  if (m === undefined) return '';
  const rows = m.shards.map((x) => `<tr class="${x.status === 'complete' ? '' : 'fail'}"><td class="num">${x.index}</td><td><code>${esc(x.host)}</code></td><td>${esc(x.status)}</td>` +
    `<td class="num">${esc(fmtInt(x.clients))}</td><td class="num">${esc(fmtInt(x.established))}</td><td class="num">${x.workers}</td>` +
    `<td class="num">${esc(fmtMs(x.startOffsetMs))}</td><td class="num">${x.clockOffsetMs === undefined ? '—' : `${esc(fmtMs(x.clockOffsetMs))} ± ${esc(fmtMs(x.clockUncertaintyMs ?? 0))}`}</td><td><code>${esc(x.file)}</code></td></tr>`).join('\n');
  const notes = [
    ...(m.missing.length === 0 ? [] : [`Missing: shard ${m.missing.join(', ')} of ${m.count}. The figures are those of the shards present.`]),
    ...m.warnings,
  ].map((w) => `<p class="note">${esc(w)}</p>`).join('');
  return `<section id="shards"><h2>Shards</h2><p>Merged ${m.shards.length} of ${m.count} shards${m.runId === undefined ? '' : ` of run <code>${esc(m.runId)}</code>`}: ` +
    `counters summed, histograms merged, seconds aligned on one clock; second 0 spread over ${esc(fmtMs(m.startSpreadMs))} ms${esc(spreadBound(m))}.</p>${notes}` +
    '<table class="data"><thead><tr><th class="num">shard</th><th>host</th><th>status</th><th class="num">clients</th><th class="num">established</th><th class="num">workers</th>' +
    `<th class="num">second 0 (ms after the first)</th><th class="num">clock offset (ms)</th><th>results</th></tr></thead><tbody>\n${rows}\n</tbody></table></section>`;
}
