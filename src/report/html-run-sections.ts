/**
 * Report sections about the run itself rather than the target: the generator's health (was the load
 * generator the bottleneck?), the scenario as it ran, and the environment it ran in.
 */
import { handshakeCapSentence } from '../analysis/generator-limits.js';
import type { Results } from '../results/types.js';
import type { ChartData } from './chart-data.js';
import { hasValues } from './chart-data.js';
import { chartBox } from './html-sections.js';
import { fmtBytes, fmtInt, fmtMs, fmtPct, fmtTimestamp } from './format.js';
import { esc, yamlish } from './html-util.js';
import { redactScenario } from '../results/redact.js';
import { stallsText } from './timing.js';
import { GENERATOR_STALL_MS } from '../metrics/types.js';
import { saturationOf } from '../analysis/saturation.js';

/** Above this share of its fd limit a worker is close to EMFILE: its own failures would pollute the results. */
const FD_WARN = 0.8;
/** Event-loop lag at or above this (ms) means the generator itself delayed sends and timings (one threshold for
 *  every output: src/analysis/saturation.ts). */
const LAG_WARN_MS = GENERATOR_STALL_MS;

export function generatorSection(r: Results, cd: ChartData): string {
  const workers = r.generator.workers;
  if (workers.length === 0 && !hasValues(cd.lagMaxMs)) return '';
  const rows = workers.map((w) => {
    const fdShare = w.fdLimit > 0 ? w.maxFds / w.fdLimit : 0;
    const cpuShare = r.durationMs > 0 ? w.cpuMs / r.durationMs : 0;
    return `<tr class="${w.exit === 'ok' ? '' : 'fail'}"><td>${w.id}</td><td class="num">${w.pid}</td><td class="num">${fmtInt(w.clients)}</td>` +
      `<td class="num${fdShare > FD_WARN ? ' warn' : ''}">${fmtInt(w.maxFds)} / ${fmtInt(w.fdLimit)} <span class="muted">(${fmtPct(fdShare, 1)})</span></td>` +
      `<td class="num${w.maxLagMs >= LAG_WARN_MS ? ' warn' : ''}">${esc(fmtMs(w.maxLagMs))}</td>` +
      `<td class="num">${fmtInt(w.cpuMs)} <span class="muted">(${fmtPct(cpuShare, 0)} of one core)</span></td>` +
      `<td class="num">${esc(fmtBytes(w.maxRssBytes))}</td><td>${esc(w.exit)}</td></tr>`;
  }).join('\n');
  const warnings: string[] = [];
  if (workers.some((w) => w.fdLimit > 0 && w.maxFds / w.fdLimit > FD_WARN)) {
    warnings.push(`A worker used more than ${FD_WARN * 100}% of its fd limit: add workers before trusting EMFILE-free results.`);
  }
  const sat = saturationOf(r);
  if (sat.saturated) warnings.push(`Generator saturated (the verdict is INCONCLUSIVE): ${sat.reasons.join('; ')}.`);
  const stalls = stallsText(workers);
  if (stalls !== undefined) warnings.push(`The generator had ${stalls}. Nothing was sent or timed by that worker meanwhile.`);
  if (workers.some((w) => w.exit !== 'ok')) warnings.push('A worker did not exit cleanly: its clients are missing from the later seconds.');
  const held = handshakeCapSentence(r);
  if (held !== undefined) warnings.push(`${held[0]?.toUpperCase() ?? ''}${held.slice(1)}: the opening rate was the generator's, not the target's.`);
  const { coordinator, tree } = r.generator;
  const memory = coordinator === undefined || tree === undefined ? '' : `<p class="muted">Coordinator (pid ${coordinator.pid}): ${esc(fmtBytes(coordinator.maxRssBytes))} peak RSS ` +
    `(${esc(fmtBytes(coordinator.startRssBytes))} before the run). Whole generator (coordinator + workers): ${esc(fmtBytes(tree.startRssBytes))} before the first connection, ` +
    `${esc(fmtBytes(tree.maxRssBytes))} at most` +
    (tree.bytesPerConnection === undefined || tree.peakOpen === undefined ? '.' : `; ${fmtInt(Math.round(tree.bytesPerConnection))} bytes per held connection (${fmtInt(tree.peakOpen)} open).`) + '</p>';
  const table = workers.length > 0
    ? `<table class="data"><thead><tr><th>worker</th><th class="num">pid</th><th class="num">clients</th><th class="num">max fds / limit</th>` +
      `<th class="num">max lag (ms)</th><th class="num">cpu (ms)</th><th class="num">max rss</th><th>exit</th></tr></thead><tbody>\n${rows}\n</tbody></table>`
    : '';
  const chart = hasValues(cd.lagMaxMs) || hasValues(cd.fds)
    ? chartBox('generator', 'Generator: event-loop lag (ms) and open fds', cd.step > 1 ? `(each point covers ${cd.step} s)` : '') : '';
  return `<section id="generator"><h2>Generator health</h2>${warnings.map((w) => `<p class="note">${esc(w)}</p>`).join('')}${table}${memory}${chart}</section>`;
}

export function scenarioSection(r: Results): string {
  // Threshold locations are for error messages at load time; the reader wants the thresholds as written.
  const scenario = redactScenario(r.scenario);
  const shown = { ...scenario, thresholds: scenario.thresholds.map((t) => t.source) };
  return `<section id="scenario"><h2>Scenario as run</h2><pre class="code">${esc(yamlish(shown).trimStart())}</pre></section>`;
}

export function environmentSection(r: Results): string {
  const e = r.environment;
  const rows: [string, string][] = [
    ['wsherd', e.wsherdVersion], ['node', e.node], ['platform', `${e.platform} ${e.arch}, kernel ${e.kernel}`],
    ['cpus', String(e.cpus)], ['memory', fmtBytes(e.memTotalBytes)], ['fd limit', fmtInt(e.fdLimit)],
    ['local port range', `${e.portRange[0]}–${e.portRange[1]} (${fmtInt(e.portRange[1] - e.portRange[0] + 1)} ports)`],
    ['workers', String(e.workers)], ['started', fmtTimestamp(r.startedAt)], ['ended', fmtTimestamp(r.endedAt)],
  ];
  const env = `<table class="kv"><tbody>${rows.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`).join('')}</tbody></table>`;
  const comps = r.lab?.components ?? [];
  const lab = comps.length > 0
    ? `<h3>Lab components</h3><table class="data"><thead><tr><th>id</th><th>kind</th><th class="num">pid</th><th>url</th></tr></thead><tbody>` +
      comps.map((c) => `<tr><td>${esc(c.id)}</td><td>${esc(c.kind)}</td><td class="num">${c.pid}</td><td><code>${esc(c.url)}</code></td></tr>`).join('') +
      '</tbody></table>'
    : '';
  return `<section id="environment"><h2>Environment</h2>${env}${lab}</section>`;
}
