/**
 * Sticky-session correctness from the session engines' counts (SessionEvent totals): how many requests reached a
 * backend that did not issue their session, how many sessions broke, upgraded, stayed on polling, and whether a
 * reconnecting client came back to its backend — plus one sentence that says what happened.
 */
import type { SessionEvent } from '../metrics/types.js';
import type { SessionSummary } from '../results/derived.js';

const KINDS = ['poll', 'post', 'upgrade'] as const;

const rate = (num: number, den: number): number | null => (den > 0 ? num / den : null);
const fmtInt = (n: number): string => n.toLocaleString('en-US');
const pct = (x: number): string => `${(x * 100).toFixed(x < 0.001 && x > 0 ? 3 : 1)}%`;

export function summarizeSessions(counts: Partial<Record<SessionEvent, number>>): SessionSummary {
  const n = (e: SessionEvent): number => counts[e] ?? 0;
  const requests = { poll: n('req_poll'), post: n('req_post'), upgrade: n('req_upgrade') };
  const misroutes = { poll: n('misroute_poll'), post: n('misroute_post'), upgrade: n('misroute_upgrade') };
  const totalReq = requests.poll + requests.post + requests.upgrade;
  const totalMis = misroutes.poll + misroutes.post + misroutes.upgrade;
  const s: Omit<SessionSummary, 'verdict'> = {
    counts: { ...counts },
    attempted: n('attempted'),
    established: n('established'),
    broken: n('broken'),
    brokenRate: rate(n('broken'), n('established')),
    upgradesAttempted: n('upgrade_attempted'),
    upgraded: n('upgraded'),
    upgradeRate: rate(n('upgraded'), n('upgrade_attempted')),
    stuckPolling: n('stuck_polling'),
    upgradesRefused: n('upgrade_refused'),
    upgradesFailed: n('upgrade_failed'),
    unanswered: { poll: n('unanswered_poll'), post: n('unanswered_post'), upgrade: n('unanswered_upgrade') },
    requests,
    misroutes,
    misrouteRate: rate(totalMis, totalReq),
    misrouteRateByKind: { poll: rate(misroutes.poll, requests.poll), post: rate(misroutes.post, requests.post), upgrade: rate(misroutes.upgrade, requests.upgrade) },
    reconnects: n('reconnect'),
    affinityRate: rate(n('reconnect_same_backend'), n('reconnect')),
    endedOn: { polling: n('ended_polling'), websocket: n('ended_websocket') },
  };
  return { ...s, verdict: verdict(s, totalMis) };
}

function verdict(s: Omit<SessionSummary, 'verdict'>, totalMis: number): string {
  if (s.attempted === 0) return 'No session was attempted.';
  if (s.established === 0) return `No session opened: all ${fmtInt(s.attempted)} attempts failed before the handshake completed.`;
  const refused = s.upgradesRefused > 0 ? `, ${fmtInt(s.upgradesRefused)} refused` : '';
  const onPolling = s.upgradesFailed > 0 ? ` (${fmtInt(s.upgradesFailed)} sessions carried on on polling)` : '';
  const upgrades = s.upgradesAttempted > 0 ? `; ${fmtInt(s.upgraded)} of ${fmtInt(s.upgradesAttempted)} upgrades completed${refused}${onPolling}` : '';
  if (totalMis === 0 && s.broken === 0) {
    const checked = s.misrouteRate !== null ? `every one of ${fmtInt(s.requests.poll + s.requests.post + s.requests.upgrade)} requests reached its session's backend` : 'no session broke';
    const affinity = s.affinityRate === null ? '' : `, ${pct(s.affinityRate)} of reconnects returned to the same backend`;
    return `Sessions stayed together: ${checked}${upgrades}${affinity}.`;
  }
  const parts = KINDS.filter((k) => s.misroutes[k] > 0).map((k) => `${fmtInt(s.misroutes[k])} of ${fmtInt(s.requests[k])} ${k === 'upgrade' ? 'upgrades' : `${k}s`}`);
  const what = parts.length > 0 ? `${parts.join(', ')} reached a backend that did not issue their session id` : 'sessions lost their backend';
  // A misrouted upgrade alone breaks nothing: the session stays on polling (socket.io-client does the same).
  const lead = s.broken > 0 ? 'Sessions broke' : 'Sessions held on polling, upgrades misrouted';
  return `${lead}: ${what}; ${fmtInt(s.broken)} of ${fmtInt(s.established)} sessions (${pct(s.brokenRate ?? 0)}) ended broken${upgrades}.`;
}
