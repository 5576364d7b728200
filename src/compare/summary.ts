/** The comparison in the terminal: one aligned row per approach, then one sentence each. */
import { Chalk } from 'chalk';
import { fmtMs, fmtPct, fmtRatio } from '../report/format.js';
import { table } from '../report/table.js';
import type { CompareResults } from './types.js';

export function renderCompareSummary(c: CompareResults, opts: { color: boolean }): string {
  const k = new Chalk({ level: opts.color ? 1 : 0 });
  // Session columns only when some approach measured sessions (socketio/engineio engines).
  const sessions = c.approaches.some((a) => a.metrics !== undefined && (a.metrics.misrouteRate !== null || a.metrics.brokenRate !== null));
  const lookups = c.approaches.some((a) => a.metrics?.lookupP99 !== null && a.metrics?.lookupP99 !== undefined);
  // A storm column only when some approach had one; an all-zero column says nothing.
  const has = (k: 'remap' | 'recoverySeconds' | 'stormPeak'): boolean => c.approaches.some((a) => { const v = a.metrics?.[k]; return v !== null && v !== undefined && (k !== 'stormPeak' || v > 0); });
  const extra: Array<['remap' | 'recoverySeconds' | 'stormPeak', string, (v: number) => string]> = ([
    ['remap', 'remapped', (v: number) => fmtPct(v)],
    ['recoverySeconds', 'back after', (v: number) => `${v} s`],
    ['stormPeak', 'storm/s', (v: number) => v.toLocaleString('en-US')],
  ] as const).filter(([k]) => has(k)).map((x) => [...x]);
  const head = ['approach', 'established', 'errors', ...(sessions ? ['misroutes', 'broken', 'upgraded'] : []), 'peak/avg', 'jain', 'p99 connect', ...(lookups ? ['p99 lookup'] : []), ...extra.map(([, h]) => h), 'thresholds', 'verdict'];
  const mark = (key: keyof CompareResults['best'], name: string, text: string): string => (c.best[key]?.includes(name) === true ? k.green(`${text} ★`) : text);
  const rows = c.approaches.map((a) => {
    const m = a.metrics;
    const cells = m === undefined
      ? ['–', '–', ...(sessions ? ['–', '–', '–'] : []), '–', '–', '–', ...(lookups ? ['–'] : []), ...extra.map(() => '–')]
      : [
          mark('established', a.name, m.established.toLocaleString('en-US')),
          mark('errorsRate', a.name, fmtPct(m.errorsRate)),
          ...(sessions ? [mark('misrouteRate', a.name, fmtPct(m.misrouteRate)), mark('brokenRate', a.name, fmtPct(m.brokenRate)), mark('upgradeRate', a.name, fmtPct(m.upgradeRate))] : []),
          mark('peakToAverage', a.name, fmtRatio(m.peakToAverage)),
          mark('jain', a.name, m.jain === null || m.jain === undefined ? '–' : m.jain.toFixed(3)),
          mark('connectP99', a.name, fmtMs(m.connectP99)),
          ...(lookups ? [mark('lookupP99', a.name, fmtMs(m.lookupP99 ?? null))] : []),
          ...extra.map(([k, , f]) => { const v = m[k]; return v === null || v === undefined ? '–' : mark(k, a.name, f(v)); }),
        ];
    const th = a.status === 'skipped' ? k.yellow('skipped') : a.thresholdsFailed > 0 ? k.red(`${a.thresholdsFailed} failed`) : `${a.thresholdsPassed} passed`;
    // Each approach's own verdict: INCONCLUSIVE (generator saturated) rows carry no ★ (src/compare/run.ts bestOf).
    const verdict = a.verdict === undefined ? '–' : a.inconclusive === true ? k.yellow(`${a.verdict} ⚠`) : a.verdict === 'PASS' ? a.verdict : k.red(a.verdict);
    return [a.name, ...cells, th, verdict];
  });
  const lines = [k.bold(`${c.scenario}: ${c.approaches.length} approaches compared`), ...table([head.map((h) => k.dim(h)), ...rows], ['l', ...head.slice(1).map(() => 'r' as const)])];
  lines.push('', ...c.approaches.map((a) => `${k.bold(a.name)}: ${a.sentence}${a.diagnosis === undefined || a.diagnosis.kind === 'none' ? '' : ` ${k.dim('Diagnosis:')} ${a.diagnosis.sentence}`}`));
  if (c.approaches.some((a) => a.inconclusive === true)) lines.push('', k.yellow('⚠ inconclusive: the generator was saturated in that run; its figures are not the approach\'s and get no ★.'));
  return lines.join('\n') + '\n';
}
