/**
 * Forensics: every failure the clients saw, attributed to a side and a cause. The generator's own limits are
 * named as such (never blamed on the target); in a lab run the proxy's and backends' own counters explain what
 * the clients only saw as a reset or a timeout (the proxy refused accepts for lack of fds, ran out of upstream
 * ports, a backend refused the proxy); what nothing explains stays with the target, said plainly.
 */
import type { Results } from '../results/types.js';
import type { Attribution, Side } from '../results/derived.js';

const GENERATOR_FDS = new Set(['EMFILE', 'ENFILE']);
const GENERATOR_PORTS = new Set(['EADDRNOTAVAIL', 'EADDRINUSE']);
const STICKY = /^(unknown_sid|misroute)/;
const SETUP = new Set(['not_socketio', 'polling_refused', 'tls_self_signed', 'invalid_url']);
const fmt = (n: number): string => n.toLocaleString('en-US');
/** What clients see of a backend that dies or hangs: resets, refusals, abnormal closes, timeouts. */
const FAULT_CODES = /^(ECONNRESET|ECONNREFUSED|EPIPE|close_100[16]|connect_timeout|handshake_timeout|http_50[234])$/;

export function attributeFailures(r: Results): Attribution[] {
  const left = new Map(Object.entries(r.summary.errors.byCode).filter(([, n]) => n > 0));
  const out: Attribution[] = [];
  const take = (pred: (code: string) => boolean, side: Side, cause: string, evidence?: string, limit = Infinity): number => {
    const codes: string[] = [];
    let count = 0;
    for (const [code, n] of [...left]) {
      if (!pred(code) || count >= limit) continue;
      const used = Math.min(n, limit - count);
      count += used;
      codes.push(code);
      if (used === n) left.delete(code);
      else left.set(code, n - used);
    }
    if (count > 0) out.push({ side, cause, count, codes, ...(evidence === undefined ? {} : { evidence }) });
    return count;
  };

  const workers = r.generator.workers;
  const worst = workers.reduce((w, x) => (x.fdLimit > 0 && x.maxFds / x.fdLimit > (w ? w.maxFds / w.fdLimit : -1) ? x : w), workers[0]);
  take((c) => GENERATOR_FDS.has(c), 'generator', 'out of file descriptors: its own limit, not the target\'s', worst ? `a worker reached ${fmt(worst.maxFds)} of ${fmt(worst.fdLimit)} fds` : undefined);
  take((c) => GENERATOR_PORTS.has(c), 'generator', 'no free local port towards the target (ephemeral ports, TIME_WAIT)', `port range ${r.environment.portRange.join('-')}`);
  // Never attempted to the end: the planned end came before the generator got the connection established. The
  // generator's (it started it late or could not keep up), not the target's (src/analysis/saturation.ts).
  take((c) => c === 'cancelled', 'generator', 'cancelled: its planned end came before the generator got it established');
  take((c) => SETUP.has(c), 'target', 'not what the scenario expects (URL, path, transports or certificate)');

  // What the scenario did on purpose: failures after a backend was killed or stopped are that fault's doing.
  for (const fault of r.faults ?? []) {
    if (!fault.ok || (fault.action !== 'kill' && fault.action !== 'stop') || fault.appliedAt === null) continue;
    const from = Math.floor(fault.appliedAt);
    const after: Record<string, number> = {};
    for (const p of r.series) if (p.t >= from) for (const [code, n] of Object.entries(p.errors)) after[code] = (after[code] ?? 0) + n;
    const total = Object.entries(after).filter(([c]) => FAULT_CODES.test(c)).reduce((n, [, v]) => n + v, 0);
    take((c) => FAULT_CODES.test(c) && (after[c] ?? 0) > 0, 'backend', `${fault.action === 'kill' ? 'killed' : 'stopped'} by the scenario at ${fault.atSecond}s (${fault.backend ?? '?'})`, `fault: ${fault.detail}`, total);
  }

  const proxy = r.lab?.stats?.proxy;
  if (proxy !== undefined) {
    const e = proxy.errors;
    const sum = (keys: string[]): number => keys.reduce((n, k) => n + (e[k] ?? 0), 0);
    const fdRefused = sum(['accept_EMFILE', 'accept_ENFILE', 'accept_backoff', 'upstream_connect_EMFILE', 'upstream_connect_ENFILE']);
    const noPorts = sum(['upstream_connect_EADDRNOTAVAIL', 'upstream_connect_EADDRINUSE']);
    const backendRefused = sum(['upstream_connect_failed', 'no_backend', 'no_backend_after_retry']);
    const clientSide = (c: string): boolean => !STICKY.test(c) && !c.startsWith('disconnect_');
    // An L7 proxy that refuses says why (x-wsherd-reason); that answer is the proxy's verdict on itself.
    let portsExplained = 0;
    for (const code of ['http_502', 'http_503']) {
      const reason = /x-wsherd-reason: ([\w-]+)/.exec(r.summary.errors.samples?.[code] ?? '')?.[1];
      if (reason === undefined) continue;
      const n = take((c) => c === code, 'proxy', `answered ${code.slice(5)} (${reason})`, `x-wsherd-reason: ${reason}`);
      if (reason === 'upstream-ports-exhausted') portsExplained += n;
    }
    take(clientSide, 'proxy', 'out of file descriptors: it refused accepts at its limit', `proxy accept refusals ${fmt(fdRefused)}; fds ${fmt(proxy.process.fds)} of ${fmt(proxy.process.fdLimit)} at the end`, fdRefused);
    take(clientSide, 'proxy', 'no free local port towards a backend (upstream ports exhausted)', `proxy upstream_connect_EADDRNOTAVAIL/EADDRINUSE ${fmt(noPorts)}`, noPorts - portsExplained);
    take(clientSide, 'backend', 'refused or did not answer the proxy\'s connect', `proxy upstream_connect_failed/no_backend ${fmt(backendRefused)}`, backendRefused);
    take((c) => STICKY.test(c), 'proxy', 'not sticky: a session\'s request reached a backend that did not issue its id');
  } else {
    take((c) => STICKY.test(c), 'target', 'the balancer is not sticky: a session\'s request reached a backend that did not issue its id');
  }
  take(() => true, 'target', r.lab === undefined ? 'seen from the client side only' : 'not explained by the lab\'s own counters');
  return out;
}

/** One line per attribution, for the summary and the report. */
export function describeAttribution(a: Attribution): string {
  return `${fmt(a.count)} on the ${a.side}: ${a.cause} (${a.codes.join(', ')})${a.evidence ? ` — ${a.evidence}` : ''}`;
}
