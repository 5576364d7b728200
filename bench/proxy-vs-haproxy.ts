/**
 * The reference proxy against HAProxy (Debian's 2.6) in one run, on the same backends and the same client (issue 17,
 * goal 6): wsherd L4 vs HAProxy `mode tcp`, wsherd L7 vs HAProxy `mode http` (the WebSocket upgrade passes through).
 * Ratios, not absolute figures: the machine is shared, and only figures measured in the same run compare.
 *
 *   npm run bench -- proxy [--runs 3] [--connections 400] [--seconds 5] [--rate 2000] [--rate-connections 200]
 *                          [--held 5000] [--settle 15] [--payload 64] [--out FILE] [--quick]
 *
 * Each proxy runs alone on one core (HAProxy nbthread 1; both pinned with taskset to CPU 1); the bench's own client
 * (bench/proxy-client.ts: raw sockets, closed loop or fixed rate) is a child pinned to CPU 0; the four reference ws
 * backends (the lab's) are not pinned. What each figure is: bench/proxy-measure.ts; the verdicts: proxy-report.ts.
 * Results are saved as JSON (bench/results/proxy-<timestamp>.json unless --out). `--quick` is the smoke version
 * test/bench/proxy.test.ts runs: every row, tiny loads, figures meaningless.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startLab } from '../src/lab/start.js';
import type { Target } from './proxy-client.js';
import { closedLoop, fixedRate, measureProxy, type BenchOptions } from './proxy-measure.js';
import { PROXY_KINDS } from './proxy-procs.js';
import { runLines, verdictLines, verdicts, type RunFigures } from './proxy-report.js';

const DEFAULTS: BenchOptions = { connections: 400, payload: 64, seconds: 5, warmupMs: 1000, rate: 2000, rateConnections: 200, held: 5000, settleS: 15 };
const QUICK: BenchOptions = { connections: 20, payload: 64, seconds: 1, warmupMs: 300, rate: 200, rateConnections: 20, held: 200, settleS: 0 };

function options(argv: string[]): { o: BenchOptions; runs: number; out: string | undefined; quick: boolean } {
  const quick = argv.includes('--quick');
  const base = quick ? QUICK : DEFAULTS;
  const num = (name: string, def: number, min: number): number => {
    const i = argv.indexOf(`--${name}`);
    if (i < 0) return def;
    const v = Number(argv[i + 1]);
    if (!Number.isFinite(v) || v < min) throw new Error(`--${name} must be a number ≥ ${min}, got ${argv[i + 1] ?? '(nothing)'}`);
    return v;
  };
  const o: BenchOptions = {
    connections: num('connections', base.connections, 1), payload: num('payload', base.payload, 1), seconds: num('seconds', base.seconds, 0.5),
    warmupMs: base.warmupMs, rate: num('rate', base.rate, 1), rateConnections: num('rate-connections', base.rateConnections, 1), held: num('held', base.held, 1), settleS: num('settle', base.settleS, 0),
  };
  if (o.payload > 125) throw new Error('--payload must be ≤ 125 bytes (one short frame)');
  // fds: the client holds every connection, the proxy two per connection; the box allows 20,000 per process.
  if (o.held > 9000 || o.connections > 9000) throw new Error('--held and --connections must be ≤ 9000 (2 proxy fds each, 20,000 per process)');
  const i = argv.indexOf('--out');
  return { o, runs: num('runs', 1, 1), out: i >= 0 ? argv[i + 1] : undefined, quick };
}

function haproxyVersion(): string {
  const r = spawnSync('haproxy', ['-v'], { encoding: 'utf8' });
  return /HAProxy version \S+/.exec(`${r.stdout}${r.stderr}`)?.[0] ?? 'HAProxy (version unknown)';
}

export async function benchProxy(argv: string[]): Promise<string> {
  const { o, runs, out, quick } = options(argv);
  if (os.cpus().length < 2) throw new Error('needs 2 cores: one for the proxies, one for the client');
  const lab = await startLab({ backends: { count: 4, kind: 'ws', host: '127.0.0.1' }, proxy: { strategy: 'round-robin', mode: 'l4', host: '127.0.0.1' } });
  const backends: Target[] = lab.components.filter((c) => c.kind === 'backend').map((c) => ({ host: c.host, port: c.port }));
  const lines = [
    `proxy vs HAProxy: wsherd (Node ${process.version}) vs ${haproxyVersion()}, each pinned to CPU 1, client pinned to CPU 0; ${runs} run(s)${quick ? ' (--quick: smoke only, figures meaningless)' : ''}`,
    `closed loop: ${o.connections} connections × ${o.payload} B binary frames for ${o.seconds} s after ${o.warmupMs} ms warm-up; fixed rate: ${o.rate} msg/s over ${o.rateConnections} connections; held: ${o.held} idle connections, read at 1 s and after ${o.settleS} s more`,
  ];
  const results: RunFigures[] = [];
  try {
    for (let k = 0; k < runs; k++) {
      const d1 = await fixedRate(backends, o);
      const directClosed = await closedLoop(backends, undefined, o);
      const proxies: RunFigures['proxies'] = {};
      for (const kind of PROXY_KINDS) proxies[kind] = await measureProxy(kind, backends, o);
      const d2 = await fixedRate(backends, o);
      results.push({ direct: [d1, d2], directClosed, proxies });
      lines.push(...runLines(results[k] as RunFigures, k));
    }
  } finally {
    await lab.stop();
  }
  const vs = verdicts(results);
  lines.push(`verdicts (median of ${runs} run(s)):`, ...verdictLines(vs).map((l) => `  ${l}`));
  const file = out ?? path.join(path.dirname(fileURLToPath(import.meta.url)), '../../bench/results', `proxy-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify({ at: new Date().toISOString(), options: o, runs: results, verdicts: vs }, null, 2)}\n`);
  lines.push(`saved ${file}`);
  return lines.join('\n');
}
