/**
 * The final summary printed after a run (and by `wsherd report`): connections, errors by code, latency,
 * backend distribution with skew, thresholds, status. Plain text in aligned columns; colour only when asked.
 */
import { Chalk, type ChalkInstance } from 'chalk';
import type { Results } from '../results/types.js';
import { GENERATOR_STALL_MS, HISTOGRAM_NAMES } from '../metrics/types.js';
import { fmtDuration, fmtInt, fmtTimestamp, fmtLimit, fmtMetric, fmtMs, fmtPct, fmtRatio } from './format.js';
import { table } from './table.js';
import { ROUND_TRIP_NOTE, allStalls, skippedText, stallsListing } from './timing.js';
import { verdictOf } from './verdict.js';
import { shardLines } from './shards-section.js';
import { sessionsSummary } from './sessions-section.js';
import { flowSummary } from './flow-section.js';
import { describeAttribution } from '../analysis/forensics.js';
import { diagnose } from '../analysis/diagnosis.js';
import { saturationOf } from '../analysis/saturation.js';
import { handshakeCapOf, handshakeCapSentence } from '../analysis/generator-limits.js';

export interface SummaryOptions {
  /** ANSI colours (the command decides: a TTY without NO_COLOR). */
  color: boolean;
}

const BAR_WIDTH = 20;

export function renderSummary(results: Results, opts: SummaryOptions): string {
  const c = new Chalk({ level: opts.color ? 1 : 0 });
  const sections = [
    header(results, c),
    shardLines(results, c),
    connections(results, c),
    errors(results, c),
    latency(results, c),
    sessionsSummary(results, c),
    flowSummary(results, c),
    cliff(results, c),
    forensics(results, c),
    faults(results, c),
    backends(results, c),
    generator(results, c),
    thresholds(results, c),
    status(results, c),
  ];
  return sections.filter((s) => s.length > 0).map((s) => s.join('\n')).join('\n\n') + '\n';
}

function header(r: Results, c: ChalkInstance): string[] {
  const lines = [`${c.bold('wsherd')} ${c.bold(r.scenario.name)}  ${c.dim(`${fmtTimestamp(r.startedAt)} · ${fmtDuration(r.durationMs)}`)}`];
  lines.push(c.dim(`target ${r.target.url} (${r.target.kind === 'lab' ? 'reference lab' : 'external'})`));
  return lines;
}

function connections(r: Results, c: ChalkInstance): string[] {
  const k = r.summary.counters;
  const ofAttempted = (n: number): string => (k.attempted > 0 ? fmtPct(n / k.attempted) : '');
  const rows = [
    ['attempted', fmtInt(k.attempted), ''],
    ['established', fmtInt(k.established), ofAttempted(k.established)],
    ['failed', fmtInt(k.failed), ofAttempted(k.failed)],
    ['dropped', fmtInt(k.dropped), ofAttempted(k.dropped)],
    ['closed clean', fmtInt(k.closedClean), ''],
    ['peak open', fmtInt(r.summary.peakOpen), ''],
    ['open rate', `${fmtInt(r.summary.openRate.mean)}/s`, `max ${fmtInt(r.summary.openRate.max)}/s`],
  ];
  if (k.messagesSent > 0 || k.messagesReceived > 0) {
    rows.push(['messages', fmtInt(k.messagesSent), `sent; ${fmtInt(k.messagesReceived)} received, ${fmtInt(k.messagesLost)} lost${skippedText(k)}`]);
  }
  return [c.bold('Connections'), ...table(rows, ['l', 'r', 'l'])];
}

function errors(r: Results, c: ChalkInstance): string[] {
  const entries = Object.entries(r.summary.errors.byCode).filter(([, n]) => n > 0).sort((a, b) => b[1] - a[1]);
  if (entries.length === 0) return [];
  const total = r.summary.errors.total;
  const rows = entries.map(([code, n]) => [c.red(code), fmtInt(n), total > 0 ? fmtPct(n / total, 1) : '']);
  rows.unshift([c.dim('code'), c.dim('count'), c.dim('of errors')]);
  const samples = Object.entries(r.summary.errors.samples ?? {}).map(([code, text]) => `  ${c.dim(`${code}: e.g.`)} ${text}`);
  const gen = r.summary.errors.generator ?? 0;
  // The generator's own failures (cancelled, EMFILE, …) are not the target's: its rate is given apart.
  const split = gen > 0 ? `; ${fmtInt(gen)} the generator's own (cancelled, out of fds or ports), target's error rate ${fmtPct(r.summary.errors.targetRate ?? 0)}` : '';
  return [`${c.bold('Errors by code')}  ${c.dim(`${fmtInt(total)} total, rate ${fmtPct(r.summary.errors.rate)}${split}`)}`, ...table(rows, ['l', 'r', 'r']), ...samples];
}

function latency(r: Results, c: ChalkInstance): string[] {
  const cols = ['count', 'p50', 'p90', 'p95', 'p99', 'p99.9', 'max', 'mean'];
  const rows: string[][] = [['', ...cols].map((h) => c.dim(h))];
  for (const name of HISTOGRAM_NAMES) {
    const s = r.summary.latency[name];
    if (!s || s.count === 0) continue;
    rows.push([name, fmtInt(s.count), ...[s.p50, s.p90, s.p95, s.p99, s.p999, s.max, s.mean].map(fmtMs)]);
  }
  if (rows.length === 1) return [];
  const corrected = r.summary.latency.rtt_corrected !== undefined || r.summary.latency.ack_corrected !== undefined;
  return [`${c.bold('Latency')} ${c.dim('(ms)')}`, ...table(rows, ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r']), ...(corrected ? [c.dim(ROUND_TRIP_NOTE)] : [])];
}

/** fds above this share mean the generator, not the target, may have shaped the numbers. Lag: GENERATOR_STALL_MS,
 *  the one threshold of src/analysis/saturation.ts. */
const FD_WARN_SHARE = 0.9;

/** The generator's own health, apart from the target's: a slow or fd-starved generator shows here first. */
function generator(r: Results, c: ChalkInstance): string[] {
  const ws = r.generator.workers;
  if (ws.length === 0) return [];
  const maxLag = Math.max(...ws.map((w) => w.maxLagMs));
  const fdShare = Math.max(...ws.map((w) => (w.fdLimit > 0 ? w.maxFds / w.fdLimit : 0)));
  const worst = ws.reduce((a, b) => (b.maxFds > a.maxFds ? b : a));
  const rss = ws.reduce((n, w) => n + w.maxRssBytes, 0);
  const cpu = ws.reduce((n, w) => n + w.cpuMs, 0);
  const grown = ws.reduce((n, w) => n + (w.startRssBytes === undefined ? 0 : Math.max(0, w.maxRssBytes - w.startRssBytes)), 0);
  const perConn = r.summary.peakOpen > 0 && ws.every((w) => w.startRssBytes !== undefined) ? grown / r.summary.peakOpen : undefined;
  const crashed = ws.filter((w) => w.exit !== 'ok');
  const rows = [
    ['workers', fmtInt(ws.length), crashed.length > 0 ? c.red(`${crashed.length} ended ${crashed.map((w) => `#${w.id} ${w.exit}`).join(', ')}`) : ''],
    ['event-loop lag', `${fmtMs(maxLag)} ms`, maxLag >= GENERATOR_STALL_MS ? c.yellow('max; the generator stalled: latencies include its own delay') : c.dim('max')],
    ['fds', `${fmtInt(worst.maxFds)} of ${fmtInt(worst.fdLimit)}`, fdShare > FD_WARN_SHARE ? c.yellow('near the limit: EMFILE here is the generator\'s') : c.dim('most in one worker')],
    ['cpu', `${fmtInt(cpu / 1000)} s`, c.dim('user + system, all workers')],
    ['memory', `${fmtInt(rss / 2 ** 20)} MiB`, perConn === undefined ? c.dim('peak RSS, all workers') : c.dim(`peak RSS, workers; ≈ ${fmtInt(perConn / 1024)} KiB per open connection`)],
    ...memoryRows(r, c),
  ];
  const held = handshakeCapSentence(r);
  if (held !== undefined) rows.push(['openings', fmtInt(handshakeCapOf(r)?.held ?? 0), c.yellow(`held back: ${held}`)]);
  const stalls = allStalls(ws).length;
  if (stalls > 0) rows.push(['stalls', fmtInt(stalls), c.yellow(`of ${GENERATOR_STALL_MS} ms or more: ${stallsListing(ws)}`)]);
  const sat = saturationOf(r);
  const lines = [c.bold('Generator'), ...table(rows, ['l', 'r', 'l'])];
  if (sat.saturated) lines.push(c.yellow(`  saturated: ${sat.reasons.join('; ')}`));
  return lines;
}

/** The coordinator beside the workers, and the whole tree's bytes per held connection (absent in older files). */
function memoryRows(r: Results, c: ChalkInstance): string[][] {
  const { coordinator, tree } = r.generator;
  if (coordinator === undefined || tree === undefined) return [];
  const out = [['coordinator', `${fmtInt(coordinator.maxRssBytes / 2 ** 20)} MiB`, c.dim(`peak RSS (${fmtInt(coordinator.startRssBytes / 2 ** 20)} MiB before the run)`)]];
  if (tree.bytesPerConnection !== undefined && tree.peakOpen !== undefined) {
    out.push(['whole tree', `${fmtInt(tree.bytesPerConnection)} B`, c.dim(`per held connection: coordinator + workers, growth from ${fmtInt(tree.startRssBytes / 2 ** 20)} MiB to ${fmtInt((tree.rssAtPeakOpenBytes ?? 0) / 2 ** 20)} MiB at ${fmtInt(tree.peakOpen)} open`)]);
  }
  return out;
}

function backends(r: Results, c: ChalkInstance): string[] {
  const per = r.backends.perBackend;
  if (per.length === 0) return [];
  const maxShare = Math.max(...per.map((b) => b.share), 0);
  const withSeen = per.some((b) => b.sessionsSeenByBackend !== undefined);
  const head = ['backend', 'connections', 'share', ''];
  if (withSeen) head.push('seen by backend');
  const rows: string[][] = [head.map((h) => c.dim(h))];
  for (const b of per) {
    const len = maxShare > 0 ? Math.round((b.share / maxShare) * BAR_WIDTH) : 0;
    const row = [b.id, fmtInt(b.connections), fmtPct(b.share, 1), c.cyan('█'.repeat(len))];
    if (withSeen) row.push(b.sessionsSeenByBackend === undefined ? '–' : fmtInt(b.sessionsSeenByBackend));
    rows.push(row);
  }
  if (r.backends.unattributed > 0) rows.push([c.yellow('unattributed'), fmtInt(r.backends.unattributed), '', '']);
  const lines = [c.bold('Backends'), ...table(rows, ['l', 'r', 'r', 'l', 'r'])];
  const s = r.backends.skew;
  if (s) {
    lines.push(`  ${c.dim('skew')}  peak/avg ${fmtRatio(s.peakToAverage)}  cv ${fmtRatio(s.cv)}  jain ${fmtRatio(s.jain)}  ` +
      `min share ${fmtPct(s.minShare, 1)}  max share ${fmtPct(s.maxShare, 1)}`);
  }
  const pop = r.backends.population;
  if (pop !== undefined) lines.push(`  ${c.dim('population')}  ${pop.diagnosis}`);
  return lines;
}

/** The scenario's faults, one line each: when, what, and what it did. */
function faults(r: Results, c: ChalkInstance): string[] {
  const list = r.faults ?? [];
  if (list.length === 0) return [];
  const lines = [c.bold('Faults'), ...list.map((f) => `  ${String(f.atSecond).padStart(5)}s  ${f.action.padEnd(5)} ${(f.backend ?? '').padEnd(4)} ${f.ok ? f.detail : c.red(`failed: ${f.detail}`)}`)];
  for (const a of r.analysis?.faults ?? []) lines.push(`  ${c.dim('→')} ${a.sentence}`);
  return lines;
}

function thresholds(r: Results, c: ChalkInstance): string[] {
  if (r.thresholds.length === 0) return [];
  const rows = r.thresholds.map((t) => [
    t.pass ? c.green('✓') : c.red('✗'),
    t.source,
    t.measured === null ? c.yellow(t.note ?? 'no data') : `measured ${fmtMetric(t.metric, t.measured)}`,
    `limit ${fmtLimit(t.metric, t.op, t.value)}`,
  ]);
  return [c.bold('Thresholds'), ...table(rows, ['l', 'l', 'l', 'l'])];
}

function status(r: Results, c: ChalkInstance): string[] {
  const v = verdictOf(r);
  const color = v.kind === 'pass' ? c.green : v.kind === 'inconclusive' ? c.yellow : c.red;
  let line = `${c.bold('Status')}  ${color.bold(v.label)}`;
  if (v.kind === 'thresholds-failed') line += `  ${v.thresholdsFailed} of ${r.thresholds.length} thresholds failed`;
  else if (r.thresholds.length > 0 && v.kind === 'pass') line += `  all ${r.thresholds.length} thresholds passed`;
  if (v.reason) line += `  ${c.dim(`(${v.reason})`)}`;
  const lines = [line];
  if (v.partial) lines.push(c.yellow('  partial results: the run did not finish its plan'));
  if (v.kind === 'inconclusive') lines.push(c.yellow('  inconclusive: the generator was saturated, so these figures are partly its own; exit code 7 unless --accept-saturated'));
  // The same one-sentence diagnosis as the report's header and the Markdown summary.
  lines.push(`${c.bold('Diagnosis')}  ${diagnose(r).sentence}`);
  return lines;
}

/** The limit the run hit (or did not), in one sentence, with the predicted and measured concurrency. */
function cliff(r: Results, c: ChalkInstance): string[] {
  const k = r.analysis?.cliff;
  if (k === undefined) return [];
  const within = k.deviation !== null && Math.abs(k.deviation) <= 0.05;
  return [c.bold('Limits'), k.measured === null ? k.diagnosis : within ? c.yellow(k.diagnosis) : c.red(k.diagnosis)];
}

/** Who failed: each failure attributed to a side and a cause. */
function forensics(r: Results, c: ChalkInstance): string[] {
  const list = r.analysis?.forensics ?? [];
  return list.length === 0 ? [] : [c.bold('Failures by side'), ...list.map((a) => `  ${describeAttribution(a)}`)];
}
