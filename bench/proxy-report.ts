/**
 * Verdicts of `npm run bench -- proxy`: every ratio of issue 17's goal 6 with its goal and PASS/MISS, from figures
 * measured in the same run (medians over `--runs`).
 */
import type { ClosedLoop, Latency, ProxyFigures } from './proxy-measure.js';
import type { ProxyKind } from './proxy-procs.js';

export interface RunFigures {
  /** The direct path (client → backends), before and after the proxies: their difference is the noise. */
  direct: [Latency, Latency];
  /** Closed loop straight to the backends: the client's and the backends' ceiling, no proxy in the way. */
  directClosed: ClosedLoop;
  proxies: Partial<Record<ProxyKind, ProxyFigures>>;
}

export interface Verdict {
  name: string;
  value: number | null;
  goal: string;
  pass: boolean;
  /** The figure cannot decide the goal (a closed loop that did not saturate a proxy): printed INCONCLUSIVE. */
  inconclusive?: boolean;
  detail: string;
}

/** Below this, a round-trip difference is not a measurement on this client (timer and event-loop granularity), ms. */
export const MIN_RESOLUTION_MS = 0.05;

export const median = (xs: number[]): number => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

const MB = 1024 * 1024;
const f = (x: number, d = 2): string => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');
const verdict = (pass: boolean): string => (pass ? 'PASS' : 'MISS');

/** Added p99 (proxy − direct) of one proxy in one run, and the run's resolution. */
export function added(run: RunFigures, kind: ProxyKind, q: 'p50' | 'p99'): { added: number; resolution: number } {
  const [d1, d2] = run.direct;
  const direct = (d1[q] + d2[q]) / 2;
  const resolution = Math.max(MIN_RESOLUTION_MS, Math.abs(d1[q] - d2[q]));
  return { added: (run.proxies[kind]?.latency[q] ?? NaN) - direct, resolution };
}

/** One table row per proxy per run, so a reader sees every figure behind a verdict. */
export function runLines(run: RunFigures, k: number): string[] {
  const [d1, d2] = run.direct;
  const lines = [`run ${k + 1}: direct p50 ${f(d1.p50, 3)} / ${f(d2.p50, 3)} ms, p99 ${f(d1.p99, 3)} / ${f(d2.p99, 3)} ms (before / after the proxies; errors ${d1.errors + d2.errors}); ` +
    `direct closed loop ${f(run.directClosed.echoesPerSec, 0)} echoes/s (the client's and backends' ceiling)`];
  for (const p of Object.values(run.proxies)) {
    const a50 = added(run, p.kind, 'p50');
    const a99 = added(run, p.kind, 'p99');
    lines.push(`  ${p.kind.padEnd(12)} closed loop ${f(p.closed.echoesPerSec, 0).padStart(7)} echoes/s over ${p.closed.connections} conns, proxy CPU ${f(p.closed.cpuShare * 100, 0)}% of a core` +
      `${p.closed.cpuShare >= 0.9 ? ' (saturated)' : ' (NOT saturated)'}, ${f(p.closed.echoesPerCpuSec, 0)} echoes per proxy CPU-s, errors ${p.closed.errors}; ` +
      `fixed rate p50 ${f(p.latency.p50, 3)} p99 ${f(p.latency.p99, 3)} ms, added p50 ${f(a50.added, 3)} p99 ${f(a99.added, 3)} ms (±${f(a99.resolution, 3)}), ${p.latency.count} round trips, errors ${p.latency.errors}; ` +
      `idle RSS ${f(p.idleRss / MB, 1)} MB; held ${p.heldOpen} (failed ${p.heldFailed}): ${f(p.bytesPerHeldEarly, 0)} B each at 1 s, ${f(p.bytesPerHeld, 0)} B settled`);
  }
  return lines;
}

/** The goals of issue 17 goal 6 for one mode pair (wsherd L4 vs HAProxy tcp, or L7 vs http), medians over runs. */
function modeVerdicts(runs: RunFigures[], ours: ProxyKind, theirs: ProxyKind, label: string): Verdict[] {
  const both = runs.filter((r) => r.proxies[ours] !== undefined && r.proxies[theirs] !== undefined);
  const pick = (g: (p: ProxyFigures) => number, kind: ProxyKind): number => median(both.map((r) => g(r.proxies[kind] as ProxyFigures)));
  const out: Verdict[] = [];
  const tput = median(both.map((r) => (r.proxies[ours] as ProxyFigures).closed.echoesPerSec / (r.proxies[theirs] as ProxyFigures).closed.echoesPerSec));
  const perCpu = median(both.map((r) => (r.proxies[ours] as ProxyFigures).closed.echoesPerCpuSec / (r.proxies[theirs] as ProxyFigures).closed.echoesPerCpuSec));
  const sat = Math.min(pick((p) => p.closed.cpuShare, ours), pick((p) => p.closed.cpuShare, theirs));
  out.push({
    name: `${label} closed-loop echoes/s wsherd/haproxy`, value: tput, goal: '≥ 0.8', pass: tput >= 0.8, inconclusive: sat < 0.9,
    detail: `${f(pick((p) => p.closed.echoesPerSec, ours), 0)} vs ${f(pick((p) => p.closed.echoesPerSec, theirs), 0)}/s; echoes per proxy CPU-s ratio ${f(perCpu)}` +
      (sat >= 0.9 ? '' : `; a proxy used only ${f(sat * 100, 0)}% of its core: not saturated (client, backends or a busy host bound it), the ratio is of the offered load`),
  });
  // Added p99: ratio only where HAProxy's added latency is above the run's resolution; else the absolute difference.
  const a = both.map((r) => ({ ours: added(r, ours, 'p99'), theirs: added(r, theirs, 'p99') }));
  const oursMs = median(a.map((x) => x.ours.added));
  const theirsMs = median(a.map((x) => x.theirs.added));
  const res = median(a.map((x) => x.theirs.resolution));
  if (theirsMs > res) {
    const ratio = median(a.map((x) => x.ours.added / x.theirs.added));
    out.push({ name: `${label} added p99 wsherd/haproxy`, value: ratio, goal: '≤ 1.5', pass: ratio <= 1.5, detail: `added ${f(oursMs, 3)} vs ${f(theirsMs, 3)} ms (resolution ±${f(res, 3)} ms)` });
  } else {
    const diff = oursMs - theirsMs;
    out.push({
      name: `${label} added p99 wsherd − haproxy`, value: diff, goal: `≤ ${f(res, 3)} ms (haproxy's added p99 within noise)`, pass: diff <= res,
      detail: `added ${f(oursMs, 3)} vs ${f(theirsMs, 3)} ms; haproxy's is within the resolution ±${f(res, 3)} ms, so no ratio: ${oursMs <= res ? 'both within noise' : 'wsherd above noise'}`,
    });
  }
  const bytes = median(both.map((r) => (r.proxies[ours] as ProxyFigures).bytesPerHeld / (r.proxies[theirs] as ProxyFigures).bytesPerHeld));
  out.push({ name: `${label} bytes per held connection wsherd/haproxy`, value: bytes, goal: '≤ 1.5', pass: bytes <= 1.5, detail: `${f(pick((p) => p.bytesPerHeld, ours), 0)} vs ${f(pick((p) => p.bytesPerHeld, theirs), 0)} B` });
  const idle = pick((p) => p.idleRss, ours) / MB;
  out.push({ name: `${label} idle RSS wsherd`, value: idle, goal: '≤ 40 MB', pass: idle <= 40, detail: `haproxy ${f(pick((p) => p.idleRss, theirs) / MB, 1)} MB` });
  return out;
}

export function verdicts(runs: RunFigures[]): Verdict[] {
  const out = [...modeVerdicts(runs, 'wsherd-l4', 'haproxy-tcp', 'L4'), ...modeVerdicts(runs, 'wsherd-l7', 'haproxy-http', 'L7')];
  // After an upgrade L7 should hold no more than L4.
  const l7 = median(runs.map((r) => r.proxies['wsherd-l7']?.bytesPerHeld ?? NaN));
  const l4 = median(runs.map((r) => r.proxies['wsherd-l4']?.bytesPerHeld ?? NaN));
  out.push({ name: 'wsherd bytes per held connection L7/L4', value: l7 / l4, goal: '≤ 1.1', pass: l7 / l4 <= 1.1, detail: `${f(l7, 0)} vs ${f(l4, 0)} B` });
  return out;
}

export function verdictLines(vs: Verdict[]): string[] {
  return vs.map((v) => `${v.name}: ${f(v.value ?? NaN, v.name.includes('−') ? 3 : 2)} (goal ${v.goal}) ${v.inconclusive === true ? `INCONCLUSIVE (${verdict(v.pass)} as measured)` : verdict(v.pass)} — ${v.detail}`);
}
