/**
 * Scripted sessions against echo, and fan-out receipt (issue 16, Performance), measured in one run on one host and
 * printed as ratios and rates (the machine is shared: only figures from the same run compare).
 *
 *   npm run bench -- flows     (options: --clients 200 --rate 200 --seconds 10 --subscribers 2000 --publish-rate 50
 *                               --fanout-seconds 10 --workers 2 --batch-ms 20 --json FILE)
 *
 * The server is the oracle ws app (test/oracle/ws-app.ts: plain `ws`, not wsherd's backends) in its own process
 * (bench/flows-app.ts), one instance: it echoes frames that are not its protocol and answers `request` frames by id.
 *
 * (a) Echo vs correlated request/response, same server, same clients, same phases: the echo engine
 *     (messages_per_second) and a flow looping a correlated `send` (OPEN loop: `every: 1000/rate ms`) of a JSON frame
 *     the app echoes verbatim, answered by the id it carries back (correlate $.id → $.id), about the echo engine's
 *     64 bytes. The server's work per message is then the same for both, so the ratio is the generator's. Both offered
 *     clients × rate messages/s — set it above what the host can carry (default 40,000/s on 2 cores) so both saturate
 *     and the ratio compares saturated throughputs. msg/s = answers received (messagesReceived) / full-load seconds
 *     (the hold plus half of each linear ramp).
 *     Goal: flow/echo ≥ 0.8.
 * (b) Fan-out: 1 publisher at --publish-rate → --subscribers subscribers of one topic, against a lean fan-out server
 *     (bench/fanout-app.ts: one frame built per publish, each subscriber's deliveries written every --batch-ms in one
 *     write), so the generator, not the server, saturates: "generator side alone". deliveries/s = the generator's
 *     deliveries.received / the seconds the server was writing (its first to last flush), beside the server's own
 *     count of deliveries written; plus the generator's CPU per delivery. Goal ≥ 100,000/s.
 *
 * Runs go through the CLI (`wsherd run`, a target scenario written to a temp dir) and read results.json, as a user's
 * run would. The figures are also written as JSON (--json, default wsherd-results/bench-flows-<time>.json).
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { WsAppCounts } from '../test/oracle/ws-app.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
/** The repository root, from dist/bench/flows.js. */
const ROOT = path.resolve(HERE, '../..');

interface Options { clients: number; rate: number; seconds: number; subscribers: number; publishRate: number; fanoutSeconds: number; workers: number; batchMs: number; json: string }

interface AppHandle { child: ChildProcess; url: string; totals(): Promise<{ totals: Pick<WsAppCounts, 'deliveries' | 'echoed'>; firstDeliveryMs: number; lastDeliveryMs: number }>; reset(): void }

/** `module`: flows-app.js (the oracle ws app) or fanout-app.js (the lean fan-out server); env for its options. */
async function startApp(module = 'flows-app.js', env: NodeJS.ProcessEnv = {}): Promise<AppHandle> {
  const child = fork(path.join(HERE, module), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], env: { ...process.env, ...env } });
  const [msg] = (await once(child, 'message')) as [{ port: number }];
  return {
    child,
    url: `ws://127.0.0.1:${msg.port}/`,
    totals: async () => {
      child.send({ cmd: 'totals' });
      const [m] = (await once(child, 'message')) as [{ totals: Pick<WsAppCounts, 'deliveries' | 'echoed'>; firstDeliveryMs: number; lastDeliveryMs: number }];
      return m;
    },
    reset: () => child.send({ cmd: 'reset' }),
  };
}

interface RunOut { code: number | null; results: Record<string, unknown> | undefined; output: string }

/** `wsherd run FILE --out DIR`, the results read back. */
async function runScenario(dir: string, name: string, yaml: string): Promise<RunOut> {
  const file = path.join(dir, `${name}.yaml`);
  const out = path.join(dir, `out-${name}`);
  writeFileSync(file, yaml);
  const child = spawn(process.execPath, [path.join(ROOT, 'bin/run.js'), 'run', file, '--out', out, '--quiet', '--accept-saturated'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const [code] = (await once(child, 'close')) as [number | null];
  let results: Record<string, unknown> | undefined;
  try {
    results = JSON.parse(readFileSync(path.join(out, 'results.json'), 'utf8')) as Record<string, unknown>;
  } catch {
    results = undefined;
  }
  return { code, results, output };
}

const phases = (holdS: number, rampS = 2): string => `phases:\n  - ramp_up: ${rampS}s\n  - hold: ${holdS}s\n  - ramp_down: 1s\n`;

function echoYaml(url: string, o: Options): string {
  return `name: bench-echo\ntarget: ${url}\nclients: ${o.clients}\nworkers: ${o.workers}\n${phases(o.seconds)}behavior:\n  messages_per_second: ${o.rate}\n  payload_bytes: 64\n`;
}

function flowYaml(url: string, o: Options): string {
  return `name: bench-flow\ntarget: ${url}\nclients: ${o.clients}\nworkers: ${o.workers}\n${phases(o.seconds)}behavior:
  correlate: {send: "$.id", receive: "$.id"}
  flow:
    - loop:
        forever: true
        every: ${Math.max(1, Math.round(1000 / o.rate))}ms
        steps:
          - send: {json: {type: echo, data: "0123456789012345678901234567"}}
`;
}

function fanoutYaml(url: string, o: Options): string {
  const n = o.subscribers + 1;
  // One publisher by largest remainder: a share rounding to 1 of n, the rest subscribers.
  const p = Number((1 / n).toFixed(8));
  const ramp = Math.max(1, Math.ceil(n / 1000));
  return `name: bench-fanout\ntarget: ${url}\nclients: ${n}\nworkers: ${o.workers}\n${phases(o.fanoutSeconds + 2, ramp)}behavior:
  delivery_timeout: 5s
  roles:
    publisher:
      share: ${p}
      flow:
        - think: ${ramp + 1}s
        - loop:
            count: ${Math.round(o.publishRate * o.fanoutSeconds)}
            every: ${Math.max(1, Math.round(1000 / o.publishRate))}ms
            steps:
              - send: {json: {type: publish, topic: t, data: "{{ stamp }}"}, correlate: false}
                publish: t
    subscriber:
      share: ${Number((1 - p).toFixed(8))}
      flow:
        - send: {json: {type: subscribe, topic: t}, correlate: false}
          join: t
`;
}

type Json = Record<string, unknown>;
const get = (r: Json | undefined, ...keys: string[]): number => {
  let v: unknown = r;
  for (const k of keys) v = v !== null && typeof v === 'object' ? (v as Json)[k] : undefined;
  return typeof v === 'number' ? v : NaN;
};

export async function benchFlows(argv: string[]): Promise<string> {
  const arg = (name: string, def: number): number => {
    const i = argv.indexOf(`--${name}`);
    const v = i >= 0 ? Number(argv[i + 1]) : def;
    if (!Number.isFinite(v) || v <= 0) throw new Error(`--${name} must be a positive number, got ${argv[i + 1]}`);
    return v;
  };
  const jsonAt = argv.indexOf('--json');
  const o: Options = {
    clients: arg('clients', 200), rate: arg('rate', 200), seconds: arg('seconds', 10), subscribers: arg('subscribers', 2000),
    publishRate: arg('publish-rate', 60), fanoutSeconds: arg('fanout-seconds', 10), workers: arg('workers', 2), batchMs: arg('batch-ms', 20),
    json: jsonAt >= 0 ? String(argv[jsonAt + 1]) : path.join(ROOT, 'wsherd-results', `bench-flows-${new Date().toISOString().replace(/[:.]/g, '-')}.json`),
  };
  const dir = mkdtempSync(path.join(tmpdir(), 'wsherd-bench-flows-'));
  const app = await startApp();
  try {
    const lines: string[] = [];
    // (a) echo, then the correlated flow, on the same server.
    const echo = await runScenario(dir, 'echo', echoYaml(app.url, o));
    const flow = await runScenario(dir, 'flow', flowYaml(app.url, o));
    // Full-load seconds: the hold plus half of each linear ramp (2 s up, 1 s down), when the clients were sending.
    const loadS = o.seconds + 1.5;
    const echoRate = get(echo.results, 'summary', 'counters', 'messagesReceived') / loadS;
    const flowRate = get(flow.results, 'summary', 'counters', 'messagesReceived') / loadS;
    const a = await app.totals();
    lines.push(`offered: ${o.clients} clients × ${o.rate} msg/s = ${o.clients * o.rate} msg/s (open loop), ${o.seconds} s hold, ${o.workers} workers`);
    lines.push(`echo engine       ${echoRate.toFixed(0).padStart(8)} msg/s received (exit ${echo.code})`);
    lines.push(`correlated flow   ${flowRate.toFixed(0).padStart(8)} msg/s answered (exit ${flow.code}; the app echoed ${a.totals.echoed} frames in both runs, wsherd counted ${get(echo.results, 'summary', 'counters', 'messagesReceived') + get(flow.results, 'summary', 'counters', 'messagesReceived')} answers)`);
    lines.push(`flow/echo ratio: ${(flowRate / echoRate).toFixed(2)} (goal ≥ 0.8)`);
    // (b) fan-out, against the lean fan-out server (bench/fanout-app.ts), so that the generator is what saturates.
    const fanApp = await startApp('fanout-app.js', { WSHERD_BENCH_BATCH_MS: String(o.batchMs) });
    let fan: RunOut;
    let b: Awaited<ReturnType<AppHandle['totals']>>;
    try {
      fan = await runScenario(dir, 'fanout', fanoutYaml(fanApp.url, o));
      b = await fanApp.totals();
    } finally {
      fanApp.child.disconnect();
      await once(fanApp.child, 'exit').catch(() => {});
    }
    // The generator's own CPU for the fan-out run (all workers): what one delivery costs it, and so how many a
    // second two cores would count with nothing else running.
    const workers = ((fan.results?.['generator'] as Json | undefined)?.['workers'] as Json[] | undefined) ?? [];
    const genCpuMs = workers.reduce((t, w) => t + (typeof w['cpuMs'] === 'number' ? w['cpuMs'] : 0), 0);
    const received = get(fan.results, 'summary', 'flow', 'deliveries', 'received');
    const windowS = Math.max(0.001, (b.lastDeliveryMs - b.firstDeliveryMs) / 1000);
    const genRate = received / windowS;
    lines.push(`fan-out: 1 publisher × ${o.publishRate}/s → ${o.subscribers} subscribers for ${o.fanoutSeconds} s, server flushing every ${o.batchMs} ms (exit ${fan.code})`);
    lines.push(`  deliveries received by the generator: ${received} over ${windowS.toFixed(2)} s of the app writing = ${genRate.toFixed(0)}/s (goal ≥ 100,000/s); over the whole hold: ${(received / (o.fanoutSeconds + 2)).toFixed(0)}/s`);
    lines.push(`  deliveries written by the app: ${b.totals.deliveries} (${(b.totals.deliveries / windowS).toFixed(0)}/s); lost ${get(fan.results, 'summary', 'flow', 'deliveries', 'lost')}, p99(delivery) ${get(fan.results, 'summary', 'flow', 'deliveries', 'latency', 'p99').toFixed(1)} ms`);
    const usPerDelivery = (genCpuMs * 1000) / Math.max(1, received);
    lines.push(`  generator CPU: ${(genCpuMs / 1000).toFixed(1)} s for the run = ${usPerDelivery.toFixed(1)} µs per delivery (connections included): ${(2e6 / usPerDelivery).toFixed(0)}/s on 2 cores`);
    for (const [name, r] of [['echo', echo], ['flow', flow], ['fanout', fan]] as const) {
      if (r.results === undefined) lines.push(`  (${name}: no results.json; output: ${r.output.trim().slice(0, 400)})`);
    }
    const record = {
      bench: 'flows', at: new Date().toISOString(), options: { ...o, json: undefined },
      echo: { msgsPerSec: echoRate, exit: echo.code }, flow: { msgsPerSec: flowRate, exit: flow.code, appEchoed: a.totals.echoed },
      ratio: flowRate / echoRate,
      fanout: { receivedByGenerator: received, appWritten: b.totals.deliveries, windowSeconds: windowS, deliveriesPerSec: genRate, generatorCpuMs: genCpuMs, usPerDelivery, exit: fan.code },
    };
    mkdirSync(path.dirname(o.json), { recursive: true });
    writeFileSync(o.json, `${JSON.stringify(record, null, 2)}\n`);
    lines.push(`saved: ${o.json}`);
    return lines.join('\n');
  } finally {
    app.child.disconnect();
    await once(app.child, 'exit').catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  }
}
