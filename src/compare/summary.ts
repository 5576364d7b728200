/** The comparison in the terminal: one aligned row per approach, then one sentence each. */
import { Chalk } from 'chalk';
import { fmtMs, fmtPct, fmtRatio } from '../report/format.js';
import { table } from '../report/table.js';
import type { CompareResults } from './types.js';

export function renderCompareSummary(c: CompareResults, opts: { color: boolean }): string {
  const k = new Chalk({ level: opts.color ? 1 : 0 });
  // Session columns only when some approach measured sessions (socketio/engineio engines).
  const sessions = c.approaches.some((a) => a.metrics !== undefined && (a.metrics.misrouteRate !== null || a.metrics.brokenRate !== null));
  const head = ['approach', 'established', 'errors', ...(sessions ? ['misroutes', 'broken', 'upgraded'] : []), 'peak/avg', 'p99 connect', 'thresholds'];
  const mark = (key: keyof CompareResults['best'], name: string, text: string): string => (c.best[key]?.includes(name) === true ? k.green(`${text} ★`) : text);
  const rows = c.approaches.map((a) => {
    const m = a.metrics;
    const cells = m === undefined
      ? ['–', '–', ...(sessions ? ['–', '–', '–'] : []), '–', '–']
      : [
          mark('established', a.name, m.established.toLocaleString('en-US')),
          mark('errorsRate', a.name, fmtPct(m.errorsRate)),
          ...(sessions ? [mark('misrouteRate', a.name, fmtPct(m.misrouteRate)), mark('brokenRate', a.name, fmtPct(m.brokenRate)), mark('upgradeRate', a.name, fmtPct(m.upgradeRate))] : []),
          mark('peakToAverage', a.name, fmtRatio(m.peakToAverage)),
          mark('connectP99', a.name, fmtMs(m.connectP99)),
        ];
    const th = a.status === 'skipped' ? k.yellow('skipped') : a.thresholdsFailed > 0 ? k.red(`${a.thresholdsFailed} failed`) : `${a.thresholdsPassed} passed`;
    return [a.name, ...cells, th];
  });
  const lines = [k.bold(`${c.scenario}: ${c.approaches.length} approaches compared`), ...table([head.map((h) => k.dim(h)), ...rows], ['l', ...head.slice(1).map(() => 'r' as const)])];
  lines.push('', ...c.approaches.map((a) => `${k.bold(a.name)}: ${a.sentence}`));
  return lines.join('\n') + '\n';
}
