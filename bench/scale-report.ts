/** What the scale bench prints for one case (bench/scale.ts): the run's figures, the oracle, tiers, bounds. */
import { availableParallelism } from 'node:os';
import type { CaseResult } from './scale.js';
import { TIERS, type Sample } from './scale-sampler.js';

const n0 = (v: number): string => (Number.isFinite(v) ? Math.round(v).toLocaleString('en-US') : 'n/a');
const mib = (b: number): string => `${(b / 1048576).toFixed(0)} MiB`;
const pct = (a: number, b: number): string => `${((100 * a) / b).toFixed(0)}%`;

/** The sample at the hold: the oracle's, else the one with the most backend fds. */
function holdSample(r: CaseResult): Sample | undefined {
  return r.oracle?.sample ?? r.samples.reduce<Sample | undefined>((m, s) => (m === undefined || s.tiers.backends.fds > m.tiers.backends.fds ? s : m), undefined);
}

/** Held connections: the oracle's count, else the run's peak. */
function heldOf(r: CaseResult): number {
  return r.oracle?.established ?? r.run?.peakOpen ?? 0;
}

/** Opens per second from the backends' fd count, between 10% and 90% of its peak (what the kernel saw open). */
export function openRateFromFds(samples: readonly Sample[]): number {
  const fds = samples.map((s) => s.tiers.backends.fds);
  const base = Math.min(...fds.filter((f) => f > 0));
  const peak = Math.max(...fds) - base;
  if (!(peak > 0)) return NaN;
  const lo = samples.find((s) => s.tiers.backends.fds - base >= 0.1 * peak);
  const hi = samples.find((s) => s.tiers.backends.fds - base >= 0.9 * peak);
  if (lo === undefined || hi === undefined || hi.atMs <= lo.atMs) return NaN;
  return (hi.tiers.backends.fds - lo.tiers.backends.fds) / ((hi.atMs - lo.atMs) / 1000);
}

/** How long the ramp took as the backends saw it (first connection to the fullest sample), against the plan. */
function rampSeen(r: CaseResult): string {
  const idle = r.baseline.backends?.fds ?? Infinity;
  const first = r.samples.find((s) => s.tiers.backends.fds > idle);
  const full = holdSample(r);
  const planned = Math.ceil(r.case.clients / r.case.rate);
  if (first === undefined || full === undefined) return `ramp planned ${planned} s`;
  const took = (full.atMs - first.atMs) / 1000;
  return `ramp planned ${planned} s, took ${took.toFixed(0)} s${took > planned * 1.5 ? ' (the generator fell behind its schedule: the hold was shorter by as much)' : ''}`;
}

export function describeCase(r: CaseResult, limits: Record<string, string>): string[] {
  const c = r.case;
  const how = c.name === 'idle' ? 'no proxy (lab approach dns: each backend on its own address)' : `through the reference proxy (l4, ${c.proxyWorkers} workers, ${c.proxySources} upstream source addresses)`;
  const lines = [`== ${c.name}: ${n0(c.clients)} idle clients → ${c.backends} backends, ${how}; ${c.sources} client source addresses, ${c.workers} generator workers, ramp ${n0(c.rate)}/s, hold ${c.holdS} s`];
  lines.push(`run: exit ${r.exit}${r.timedOut ? ' (KILLED at the deadline)' : ''} after ${r.wallS.toFixed(0)} s`);
  const run = r.run;
  if (run === undefined) lines.push(`  no results.json; the run's output ends:\n${r.output.trim().split('\n').slice(-15).map((l) => `    ${l}`).join('\n')}`);
  else {
    lines.push(`  the run's own figures (${run.workers} generator workers): peak open ${n0(run.peakOpen)}, established ${n0(run.established)}, failed ${n0(run.failed)}, dropped ${n0(run.dropped)}, errors ${n0(run.errors)}` +
      `${run.errors > 0 ? ` ${JSON.stringify(run.errorsByCode)}` : ''}; open rate mean ${n0(run.openRate.mean)}/s, max ${n0(run.openRate.max)}/s`);
  }
  const o = r.oracle;
  if (o === undefined) lines.push('  oracle: never taken (the backends\' fd count never settled)');
  else {
    const agree = run === undefined ? 'no run figure to compare' : o.established === run.peakOpen ? 'EQUALS the run\'s peak open' : `DIFFERS from the run's peak open (${n0(run.peakOpen)})`;
    lines.push(`  oracle (the kernel's socket table, ss, at t=${(o.atMs / 1000).toFixed(0)} s): ${n0(o.established)} ESTABLISHED held by the backends on their ${o.ports.length} listening port(s): ${agree}` +
      `${o.steady ? '' : ' (taken while the count moved: the hold was over before it settled)'}`);
  }
  const held = heldOf(r);
  const at = holdSample(r);
  lines.push(`  ${'tier'.padEnd(10)} ${'procs'.padStart(5)} ${'RSS before'.padStart(11)} ${'RSS held'.padStart(10)} ${'B/conn Δ'.padStart(9)} ${'B/conn'.padStart(7)} ${'CPU-s'.padStart(7)} ${'max fds'.padStart(8)}`);
  for (const t of TIERS) {
    const s = at?.tiers[t];
    const b = r.baseline[t];
    if (s === undefined || s.processes === 0) continue;
    const delta = b === undefined ? NaN : (s.rss - b.rss) / Math.max(1, held);
    lines.push(`  ${t.padEnd(10)} ${String(s.processes).padStart(5)} ${(b === undefined ? 'n/a' : mib(b.rss)).padStart(11)} ${mib(s.rss).padStart(10)} ${n0(delta).padStart(9)} ${n0(s.rss / Math.max(1, held)).padStart(7)} ` +
      `${(b === undefined ? s.cpuS : s.cpuS - b.cpuS).toFixed(1).padStart(7)} ${String(s.maxFds).padStart(8)}`);
  }
  lines.push(`  (B/conn Δ: (RSS at the hold − RSS once the tier's processes were up) / held; CPU-s: from then to the hold; MemTotal ${limits['MemTotal']})`);
  lines.push(`  open rate seen by the kernel (backends' fds, 10%→90%): ${n0(openRateFromFds(r.samples))}/s; ${rampSeen(r)}`);
  return lines;
}

/** Each limit that applies to the case with how close the run came to it, the closest first. */
export function boundsOf(r: CaseResult, limits: Record<string, string>): string[] {
  const c = r.case;
  const at = holdSample(r);
  if (at === undefined) return ['no samples'];
  const fdLimit = Number((limits['fd limit of this process (soft/hard)'] ?? '').split('/')[1]) || 20000;
  const [lo, hi] = (limits['net.ipv4.ip_local_port_range'] ?? '32768 60999').split(' ').map(Number) as [number, number];
  const ports = hi - lo + 1;
  const memTotal = Number((limits['MemTotal'] ?? '0').split(' ')[0]) * 1024;
  const held = heldOf(r);
  const out: Array<[number, string]> = [];
  const add = (used: number, of: number, text: string): void => void out.push([used / of, `${text} (${pct(used, of)})`]);
  add(at.tiers.generator.maxFds, fdLimit, `generator fds: ${n0(at.tiers.generator.maxFds)} in the busiest process of ${n0(fdLimit)}`);
  add(Math.ceil(c.clients / c.sources), ports, `client ports: ${n0(Math.ceil(c.clients / c.sources))} clients per source address of ${n0(ports)} ephemeral ports`);
  add(at.tiers.backends.maxFds, fdLimit, `backend fds: ${n0(at.tiers.backends.maxFds)} in the busiest backend of ${n0(fdLimit)}`);
  if (c.name === 'proxy') {
    add(at.tiers.proxy.maxFds, fdLimit, `proxy fds: ${n0(at.tiers.proxy.maxFds)} in the busiest proxy worker of ${n0(fdLimit)} (2 per proxied connection)`);
    if ((c.proxySources ?? 0) > 0) add(Math.ceil(c.clients / (c.proxySources ?? 1)), ports, `proxy upstream ports: ${n0(Math.ceil(c.clients / (c.proxySources ?? 1)))} per upstream source address of ${n0(ports)}`);
  }
  const rss = TIERS.reduce((t, k) => t + at.tiers[k].rss, 0);
  if (memTotal > 0) add(rss, memTotal, `memory: ${mib(rss)} RSS in all tiers of ${mib(memTotal)}`);
  const idleFds = r.baseline.backends?.fds ?? Infinity;
  const first = r.samples.find((s) => s.tiers.backends.fds > idleFds);
  if (first !== undefined && r.oracle !== undefined && r.oracle.atMs > first.atMs) {
    const cpu = TIERS.reduce((t, k) => t + at.tiers[k].cpuS - first.tiers[k].cpuS, 0);
    const wall = (at.atMs - first.atMs) / 1000;
    add(cpu, wall * availableParallelism(), `CPU: ${cpu.toFixed(0)} CPU-s in all tiers over the ${wall.toFixed(0)} s to the hold, of ${availableParallelism()} cores`);
  }
  // Conntrack, when something tracks (count > 0): one entry per connection, two per proxied one (both legs).
  const ctMax = Number(limits['net.netfilter.nf_conntrack_max']);
  const ctCount = Number(limits['net.netfilter.nf_conntrack_count']);
  if (ctMax > 0 && ctCount > 0) add(c.clients * (c.name === 'proxy' ? 2 : 1) + ctCount, ctMax, `conntrack: ${n0(c.clients * (c.name === 'proxy' ? 2 : 1))} entries needed + ${n0(ctCount)} in use of nf_conntrack_max ${n0(ctMax)}`);
  const somax = Number(limits['net.core.somaxconn']);
  if (Number.isFinite(somax)) add(c.rate, somax * c.backends, `accept backlog: ${n0(c.rate)} opens/s against somaxconn ${somax} per listener × ${c.backends} backends (only fills if a backend stalls ~1 s)`);
  out.sort((a, b) => b[0] - a[0]);
  const lines = out.map(([, t]) => t);
  const codes = r.run?.errorsByCode ?? {};
  const named = Object.entries(codes).filter(([, v]) => v > 0).map(([k, v]) => {
    const why = /EMFILE|ENFILE/.test(k) ? 'fds' : /EADDRNOTAVAIL|EADDRINUSE/.test(k) ? 'ports per source address' : /timeout|TIMEDOUT/i.test(k) ? 'CPU (handshakes not served in time) or the accept backlog' : /ECONNREFUSED|ECONNRESET/.test(k) ? 'a full accept queue or a process at its limits' : 'see the run';
    return `errors ${k} × ${n0(v)}: ${why}`;
  });
  if (held < c.clients) lines.unshift(`held ${n0(held)} of ${n0(c.clients)}: the run fell short${named.length > 0 ? ` — ${named.join('; ')}` : ''}`);
  else if (named.length > 0) lines.unshift(...named);
  return lines;
}
