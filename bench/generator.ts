/**
 * `npm run bench -- generator`: wsherd's load engine against a floor client, a C anchor and Artillery, in one run,
 * against one plain `ws` echo server of the bench's own (issue 17's table and goals).
 *
 *   npm run bench -- generator [--runs 3] [--quick] [--conns 10000] [--latency-conns 1000] [--rate 40] [--kept-rate 10] [--seconds 20]
 *       [--echo-conns 1000] [--echo-seconds 10] [--flood-rate 100000] [--sessions 2000] [--in-flight 256] [--clients wsherd,floor,net,anchor,artillery] [--tests hold,rate,kept,echo,flood,sio]
 *       [--no-artillery] [--wsherd-behavior '{"key": value}'] [--out FILE]
 *
 * Every client is a child process; its whole process tree is sampled from /proc (RSS and utime+stime summed over it:
 * wsherd's coordinator and workers both count). A fresh server (generator-server.ts) per measurement counts TCP
 * accepts, open connections and echoes, and is the oracle for open rate and message counts. Figures are medians of
 * --runs; ratios against the goals are printed with PASS/MISS. See docs/benchmarks.md for what each row means.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import path from 'node:path';
import { ROOT, type ClientEnv, type ClientKind } from './generator-clients.js';
import { measureHold, measureLoad, type Timing } from './generator-measure.js';
import { medians, table, verdictLines, verdicts, type ClientRuns, type Medians } from './generator-report.js';
import { probeWsherdBehavior } from './generator-probe.js';

interface Options {
  runs: number; conns: number; latencyConns: number; rate: number; keptRate: number; seconds: number; echoConns: number; echoSeconds: number; floodRate: number; sessions: number;
  inFlight: number; clients: ClientKind[]; tests: string[]; wsherdBehavior: Record<string, unknown>; out: string; quick: boolean;
}

function parse(argv: string[]): Options {
  const quick = argv.includes('--quick');
  const val = (name: string): string | undefined => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const n = (name: string, def: number, quickDef: number): number => {
    const s = val(name);
    const v = s === undefined ? (quick ? quickDef : def) : Number(s);
    if (!Number.isFinite(v) || v <= 0) throw new Error(`--${name} must be a positive number, got ${s}`);
    return v;
  };
  const conns = n('conns', 10_000, 2_000);
  // One server process holds every connection: it must stay under the box's 20,000-fd limit (one fd each, plus its own).
  if (conns > 19_000) throw new Error(`--conns ${conns}: the bench server is one process under a 20,000-fd limit; at most 19,000`);
  const clients = (val('clients') ?? 'wsherd,floor,net,anchor,artillery').split(',').filter((c) => !(c === 'artillery' && argv.includes('--no-artillery'))) as ClientKind[];
  for (const c of clients) if (!['wsherd', 'floor', 'net', 'anchor', 'artillery'].includes(c)) throw new Error(`--clients: unknown client "${c}" (wsherd, floor, net, anchor, artillery)`);
  const tests = (val('tests') ?? 'hold,rate,kept,echo,flood,sio').split(',');
  for (const t of tests) if (!['hold', 'rate', 'kept', 'echo', 'flood', 'sio'].includes(t)) throw new Error(`--tests: unknown test "${t}" (hold, rate, kept, echo, flood, sio)`);
  let wsherdBehavior: Record<string, unknown> = { send_during_ramp: false };
  const wb = val('wsherd-behavior');
  if (wb !== undefined) {
    try {
      wsherdBehavior = { ...wsherdBehavior, ...(JSON.parse(wb) as Record<string, unknown>) };
    } catch {
      throw new Error(`--wsherd-behavior must be a JSON object, e.g. '{"send_during_ramp": false}', got ${wb}`);
    }
  }
  return {
    quick, runs: n('runs', 3, 1), conns, latencyConns: n('latency-conns', 1000, 200), rate: n('rate', 40, 40), keptRate: n('kept-rate', 10, 10), seconds: n('seconds', 20, 2),
    echoConns: n('echo-conns', 1000, 100), echoSeconds: n('echo-seconds', 10, 1.5), floodRate: n('flood-rate', 100_000, 20_000), sessions: n('sessions', 2000, 100), inFlight: n('in-flight', 256, 256),
    clients, tests, wsherdBehavior,
    out: val('out') ?? path.join(ROOT, 'bench', 'results', `generator-${new Date().toISOString().replace(/[:.]/g, '-')}.json`),
  };
}

/** The C anchor, compiled with `cc -O2` into the temp dir; a reason when it cannot be. */
function compileAnchor(dir: string): { bin?: string; skipped?: string } {
  const cc = spawnSync('sh', ['-c', 'command -v cc'], { encoding: 'utf8' });
  if (cc.status !== 0) return { skipped: 'no C compiler (cc) on PATH' };
  const bin = path.join(dir, 'anchor-client');
  const r = spawnSync('cc', ['-O2', '-Wall', '-o', bin, path.join(ROOT, 'bench', 'anchor', 'client.c')], { encoding: 'utf8' });
  return r.status === 0 ? { bin } : { skipped: `cc failed: ${r.stderr.trim().slice(0, 300)}` };
}

/** Artillery 2.0.21 under ~/.cache/wsherd-bench/artillery, installed once; a reason when the registry does not answer. */
function installArtillery(): { bin?: string; skipped?: string } {
  const prefix = path.join(homedir(), '.cache', 'wsherd-bench', 'artillery');
  const bin = path.join(prefix, 'node_modules', '.bin', 'artillery');
  if (existsSync(bin)) return { bin };
  try {
    execFileSync('npm', ['view', 'artillery@2.0.21', 'version'], { timeout: 20_000, stdio: 'pipe' });
  } catch {
    return { skipped: 'the npm registry did not answer within 20 s (npm view artillery@2.0.21)' };
  }
  process.stderr.write(`installing artillery@2.0.21 into ${prefix} (once)…\n`);
  try {
    mkdirSync(prefix, { recursive: true });
    // Its playwright engine's postinstall downloads Chrome from a CDN; the ws engine needs no browser.
    execFileSync('npm', ['install', '--prefix', prefix, '--no-audit', '--no-fund', 'artillery@2.0.21'], { timeout: 600_000, stdio: 'pipe', env: { ...process.env, PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: '1' } });
  } catch (err) {
    return { skipped: `npm install artillery@2.0.21 failed: ${(err as Error).message.slice(0, 200)}` };
  }
  return existsSync(bin) ? { bin } : { skipped: `npm install left no ${bin}` };
}

const TITLES: Record<ClientKind, string> = { wsherd: 'wsherd', floor: 'Node+ws floor', net: 'Node net floor', anchor: 'C anchor', artillery: 'Artillery 2.0.21' };

export async function benchGenerator(argv: string[]): Promise<string> {
  const o = parse(argv);
  const dir = mkdtempSync(path.join(tmpdir(), 'wsherd-bench-generator-'));
  const tm: Timing = { settleMs: o.quick ? 500 : 2000, openTimeoutMs: 60_000, warmMs: o.quick ? 300 : 1000 };
  const delayMs = o.quick ? 300 : 1000;
  const lines: string[] = [];
  const skipped: Partial<Record<ClientKind, string>> = {};
  try {
    const env: ClientEnv = { dir, wsherdBehavior: o.wsherdBehavior };
    if (o.clients.includes('anchor')) {
      const a = compileAnchor(dir);
      if (a.bin) env.anchorBin = a.bin;
      else skipped.anchor = a.skipped as string;
    }
    if (o.clients.includes('artillery')) {
      const a = installArtillery();
      if (a.bin) env.artilleryBin = a.bin;
      else skipped.artillery = a.skipped as string;
    }
    if (o.clients.includes('wsherd')) {
      const probe = await probeWsherdBehavior(env);
      env.wsherdBehavior = probe.accepted;
      for (const note of probe.notes) lines.push(`note: ${note}`);
    }
    lines.push('note: tcpkali (the issue\'s C peer) is not packaged in Debian 12; the C anchor (bench/anchor/client.c: epoll, raw upgrade, masked frames) is the physical floor in its place.');
    if (o.clients.includes('artillery') && skipped.artillery === undefined) {
      lines.push('note: Artillery\'s ws engine reports no round-trip time and has no closed loop: its latency and echo rows are n/a (open/hold rows only).');
    }
    for (const [k, why] of Object.entries(skipped)) lines.push(`skipped ${k}: ${why}`);
    const active = o.clients.filter((c) => skipped[c] === undefined);
    const runs = Object.fromEntries(active.map((c) => [c, { hold: [], rate: [], kept: [], echo: [], flood: [], sioHold: [] } as ClientRuns])) as Record<ClientKind, ClientRuns>;
    const base = { engine: 'ws' as const, rate: o.rate, delayMs, inFlight: o.inFlight };
    const errors: string[] = [];
    const attempt = async <T>(what: string, f: () => Promise<T>, into: T[]): Promise<void> => {
      const t0 = Date.now();
      try {
        into.push(await f());
      } catch (err) {
        errors.push(`${what}: ${(err as Error).message}`);
      }
      process.stderr.write(`  ${what}: ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
    };
    for (let run = 1; run <= o.runs; run++) {
      for (const c of active) {
        process.stderr.write(`run ${run}/${o.runs}: ${c}\n`);
        const r = runs[c];
        const on = (t: string): boolean => o.tests.includes(t);
        if (on('hold')) await attempt(`${c} hold`, () => measureHold(c, { ...base, conns: o.conns, seconds: 600 }, env, `${c}-hold-${run}`, tm), r.hold);
        // Artillery's ws engine reports no round trip and has no closed loop; the net floor has no frame codec.
        if (c === 'artillery' || c === 'net') continue;
        if (on('rate')) await attempt(`${c} rate`, () => measureLoad(c, 'rate', { ...base, conns: o.latencyConns, seconds: o.seconds }, env, `${c}-rate-${run}`, tm), r.rate);
        // The same latency at a rate every Node client keeps on a 2-core box: at 40 msg/s × 1,000 the floor fell behind
        // its own schedule (it answered 58-72%; at 20 msg/s 90%), and a client that offers less load shows a lighter load's latency.
        if (on('kept')) await attempt(`${c} kept rate`, () => measureLoad(c, 'rate', { ...base, rate: o.keptRate, conns: o.latencyConns, seconds: o.seconds }, env, `${c}-kept-${run}`, tm), r.kept);
        if (on('echo')) await attempt(`${c} echo`, () => measureLoad(c, 'echo', { ...base, conns: o.echoConns, seconds: o.echoSeconds }, env, `${c}-echo-${run}`, tm), r.echo);
        if (c === 'wsherd' && on('flood')) {
          // wsherd's own echo engine is open loop: offered well above what the server carries, it saturates it (the
          // issue's "73,513 server echoes/s"); its closed loop is a flow (send, expect), paced by its timer wheel.
          const rate = Math.ceil(o.floodRate / o.echoConns);
          await attempt(`${c} open-loop echo`, () => measureLoad(c, 'rate', { ...base, rate, conns: o.echoConns, seconds: o.echoSeconds }, env, `${c}-flood-${run}`, tm), r.flood);
        }
        if ((c === 'wsherd' || c === 'floor') && on('sio')) {
          await attempt(`${c} socket.io hold`, () => measureHold(c, { ...base, engine: 'socketio', conns: o.sessions, seconds: 600 }, env, `${c}-sio-${run}`, tm), r.sioHold);
        }
      }
    }
    const by: Partial<Record<ClientKind, Medians>> = {};
    for (const c of active) by[c] = medians(runs[c]);
    lines.push(`generator bench: median of ${o.runs} run(s); ${o.conns} held, ${o.latencyConns} × ${o.rate} and × ${o.keptRate} msg/s for ${o.seconds} s, ${o.echoConns} closed-loop for ${o.echoSeconds} s, ${o.sessions} socket.io sessions; in flight ≤ ${o.inFlight} (floor, anchor)`);
    lines.push(...table(o.clients.map((c) => ({ kind: c, title: TITLES[c], m: by[c] ?? {}, ...(skipped[c] === undefined ? {} : { skipped: skipped[c] }) })),
      { conns: o.conns, latencyConns: o.latencyConns, rate: o.rate, keptRate: o.keptRate, sessions: o.sessions, floodRate: o.floodRate, echoConns: o.echoConns }));
    lines.push('ratios (goals from issue 17):');
    const vs = verdicts(by, { offered: o.latencyConns * o.rate, keptOffered: o.latencyConns * o.keptRate, keptRate: o.keptRate });
    lines.push(...verdictLines(vs).map((l) => `  ${l}`));
    for (const c of active) {
      for (const [test, list] of Object.entries(runs[c])) {
        for (const [i, f] of (list as { note?: string }[]).entries()) if (f.note !== undefined) lines.push(`note: ${c} ${test} (run ${i + 1}): ${f.note}`);
      }
    }
    for (const e of errors) lines.push(`error: ${e}`);
    const record = { bench: 'generator', at: new Date().toISOString(), options: { ...o, out: undefined }, skipped, medians: by, verdicts: vs, runs, errors };
    mkdirSync(path.dirname(o.out), { recursive: true });
    writeFileSync(o.out, `${JSON.stringify(record, null, 2)}\n`);
    lines.push(`saved: ${o.out}`);
    return lines.join('\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
