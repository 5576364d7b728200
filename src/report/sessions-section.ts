/**
 * The stickiness panel: for runs of the session engines (socketio, engineio), whether every request of a session
 * reached the backend that issued it — misroutes by request kind, broken sessions, upgrades, affinity on
 * reconnect — with the one-sentence verdict. Both renderings (terminal and HTML) come from the same rows.
 */
import type { ChalkInstance } from 'chalk';
import type { SessionSummary } from '../results/derived.js';
import type { Results } from '../results/types.js';
import { fmtInt, fmtPct } from './format.js';
import { esc } from './html-util.js';
import { table } from './table.js';

type Row = [label: string, value: string, detail: string];

function rows(s: SessionSummary): Row[] {
  const ofPct = (n: number, d: number): string => (d > 0 ? fmtPct(n / d) : '–');
  const out: Row[] = [
    ['sessions', fmtInt(s.attempted), `attempted; ${fmtInt(s.established)} opened, ${fmtInt(s.broken)} broken (${s.brokenRate === null ? '–' : fmtPct(s.brokenRate)})`],
  ];
  for (const kind of ['poll', 'post', 'upgrade'] as const) {
    if (s.requests[kind] === 0) continue;
    const unanswered = (s.unanswered?.[kind] ?? 0) > 0 ? `, ${fmtInt(s.unanswered[kind])} unanswered` : '';
    out.push([`${kind} requests`, fmtInt(s.requests[kind]), `${fmtInt(s.misroutes[kind])} misrouted (${ofPct(s.misroutes[kind], s.requests[kind])})${unanswered}`]);
  }
  if (s.upgradesAttempted > 0) out.push(['upgrades', fmtInt(s.upgraded), `of ${fmtInt(s.upgradesAttempted)} attempted (${ofPct(s.upgraded, s.upgradesAttempted)}); ${fmtInt(s.upgradesRefused ?? 0)} refused; ${fmtInt(s.stuckPolling)} stuck on polling`]);
  if (s.endedOn.polling + s.endedOn.websocket > 0) out.push(['ended on', fmtInt(s.endedOn.websocket), `websocket; ${fmtInt(s.endedOn.polling)} polling`]);
  if (s.reconnects > 0) out.push(['reconnects', fmtInt(s.reconnects), `${s.affinityRate === null ? '–' : fmtPct(s.affinityRate)} back on the same backend`]);
  return out;
}

const broke = (s: SessionSummary): boolean => s.broken > 0 || (s.misrouteRate ?? 0) > 0;

export function sessionsSummary(r: Results, c: ChalkInstance): string[] {
  const s = r.summary.sessions;
  if (s === undefined) return [];
  const verdict = broke(s) ? c.red(s.verdict) : c.green(s.verdict);
  return [c.bold('Sessions'), verdict, ...table(rows(s), ['l', 'r', 'l'])];
}

export function sessionsHtml(r: Results): string {
  const s = r.summary.sessions;
  if (s === undefined) return '';
  const body = rows(s).map(([l, v, d]) => `<tr><th>${esc(l)}</th><td class="num">${esc(v)}</td><td>${esc(d)}</td></tr>`).join('\n');
  return `<section id="sessions"><h2>Sessions</h2>
<p class="${broke(s) ? 'fail' : 'pass'}">${esc(s.verdict)}</p>
<table class="data"><tbody>
${body}
</tbody></table>
<p class="muted small">A request is misrouted when it reaches a backend other than the one that issued its session id (or is refused with "Session ID unknown"): the failure a balancer without sticky sessions causes for socket.io clients.</p></section>`;
}
