/**
 * How the generator bench starts each client as a child process for one test, and reads what it reports:
 * wsherd through its CLI (`bin/run.js run <scenario.yaml>`, a scenario written to a temp dir, so the engine changes
 * other branches make flow in unedited), the Node floor (floor-client.ts), the C anchor (anchor/client.c) and
 * Artillery 2.0.21 (its `ws` engine; hold only).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { treePids } from './generator-proc.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
/** The repository root, from dist/bench/. */
export const ROOT = path.resolve(HERE, '../..');

export type ClientKind = 'wsherd' | 'floor' | 'net' | 'anchor' | 'artillery';
export type TestMode = 'hold' | 'rate' | 'echo';

export interface TestSpec {
  mode: TestMode;
  engine: 'ws' | 'socketio';
  port: number;
  conns: number;
  /** rate: messages per second per connection. */
  rate: number;
  /** rate / echo: seconds of load once all are open; hold: how long a client may hold at most. */
  seconds: number;
  /** Idle time before the first connection, so the baseline sample sees the client loaded. */
  delayMs: number;
  inFlight: number;
}

export interface ClientEnv {
  dir: string;
  anchorBin?: string;
  artilleryBin?: string;
  /** Extra `behavior` keys for wsherd (--wsherd-behavior); dropped with a note when the CLI rejects them. */
  wsherdBehavior: Record<string, unknown>;
}

/** What a client said when it ended: latency (ms) from its own clock, and its exit. */
export interface ClientResult { p50: number | null; p99: number | null; sent: number | null; received: number | null; code: number | null; note?: string }

export interface Launched {
  child: ChildProcess;
  pid: number;
  output(): string;
  /** Its exit code, once it exited. */
  exited: Promise<number | null>;
  /** Waits for its exit and reads its figures (wsherd: results.json). */
  result(): Promise<ClientResult>;
  /** SIGINT to the root: wsherd stops its clients and writes partial results (exit 130). */
  interrupt(): void;
  /** SIGKILL to every process of its tree (the bench's own children only). */
  kill(): Promise<void>;
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

function wsherdYaml(t: TestSpec, behavior: Record<string, unknown>): string {
  const target = t.engine === 'socketio' ? `http://127.0.0.1:${t.port}` : `ws://127.0.0.1:${t.port}/`;
  const b: Record<string, unknown> = { ...(t.engine === 'socketio' ? { engine: 'socketio' } : {}), connect_timeout: '20s', handshake_timeout: '20s', ...behavior };
  if (t.mode === 'hold') b['messages_per_second'] = 0;
  else if (t.mode === 'rate') Object.assign(b, { messages_per_second: t.rate, payload_bytes: 64 });
  else {
    // Closed loop: a forever loop with no `every` starts each iteration when the last one's echo arrived.
    delete b['send_during_ramp'];
    b['flow'] = [{ loop: { forever: true, steps: [{ send: { text: '.'.repeat(64) } }, { expect: { regex: '^', timeout: '5s' } }] } }];
  }
  // YAML is a superset of JSON: the behavior map is written as JSON so passthrough keys need no YAML writer.
  return [`name: bench-generator-${t.mode}`, `target: ${target}`, `clients: ${t.conns}`, 'phases:', `  - hold: ${t.delayMs}ms`,
    // Hold: 1 s for all of them, as fast as it goes. Load tests measure after all are open: a gentler ramp (500/s) so
    // a busy host does not cancel attempts the generator could not start in time (wsherd counts those, never retries).
    `  - ramp_up: ${t.mode === 'hold' ? 1000 : Math.max(1000, Math.ceil(t.conns / 500) * 1000)}ms`,
    // Load tests: the bench ends the run with SIGINT once it has had --seconds of load after all were open (wsherd
    // writes its results on an interrupt), so the hold only needs to outlast a slow ramp on a busy host.
    `  - hold: ${t.mode === 'hold' ? Math.max(1, Math.round(t.seconds)) : Math.round(t.seconds) + 120}s`, `behavior: ${JSON.stringify(b)}`, ''].join('\n');
}

function artilleryYaml(t: TestSpec): string {
  return ['config:', `  target: "ws://127.0.0.1:${t.port}/"`, '  phases:', `    - duration: 1`, `      arrivalRate: ${t.conns}`,
    'scenarios:', '  - engine: ws', '    flow:', `      - think: ${Math.max(1, Math.round(t.seconds))}`, ''].join('\n');
}

function argvFor(kind: ClientKind, t: TestSpec, env: ClientEnv, name: string): { cmd: string; args: string[]; results?: string } {
  const common = ['--conns', String(t.conns), '--in-flight', String(t.inFlight), '--delay-ms', String(t.delayMs), '--mode', t.mode,
    '--rate', String(t.rate), '--seconds', String(t.seconds), '--payload', '64'];
  if (kind === 'floor') {
    const url = t.engine === 'socketio' ? `http://127.0.0.1:${t.port}` : `ws://127.0.0.1:${t.port}/`;
    return { cmd: process.execPath, args: [path.join(HERE, 'floor-client.js'), '--url', url, '--engine', t.engine, ...common] };
  }
  if (kind === 'net') return { cmd: process.execPath, args: [path.join(HERE, 'net-floor-client.js'), '--host', '127.0.0.1', '--port', String(t.port), ...common] };
  if (kind === 'anchor') return { cmd: env.anchorBin as string, args: ['--host', '127.0.0.1', '--port', String(t.port), ...common] };
  if (kind === 'artillery') {
    const file = path.join(env.dir, `${name}.artillery.yaml`);
    writeFileSync(file, artilleryYaml(t));
    return { cmd: env.artilleryBin as string, args: ['run', '--quiet', file] };
  }
  const file = path.join(env.dir, `${name}.yaml`);
  const out = path.join(env.dir, `out-${name}`);
  writeFileSync(file, wsherdYaml(t, t.mode === 'rate' ? env.wsherdBehavior : withoutRampKey(env.wsherdBehavior)));
  return { cmd: process.execPath, args: [path.join(ROOT, 'bin/run.js'), 'run', file, '--out', out, '--quiet', '--accept-saturated'], results: path.join(out, 'results.json') };
}

/** send_during_ramp only matters where messages are sent on the echo schedule (the rate test). */
function withoutRampKey(b: Record<string, unknown>): Record<string, unknown> {
  const { send_during_ramp: _drop, ...rest } = b;
  return rest;
}

export function launch(kind: ClientKind, t: TestSpec, env: ClientEnv, name: string): Launched {
  const { cmd, args, results } = argvFor(kind, t, env, name);
  const child = spawn(cmd, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ARTILLERY_DISABLE_TELEMETRY: 'true' } });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const exited = once(child, 'close').then(([code]) => code as number | null);
  const pid = child.pid ?? -1;
  return {
    child, pid, output: () => output, exited,
    interrupt: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
    },
    kill: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      for (const p of treePids(pid).reverse()) {
        try {
          process.kill(p, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      await exited;
    },
    result: async () => {
      const code = await exited;
      if (results !== undefined) {
        try {
          const r = JSON.parse(readFileSync(results, 'utf8')) as { summary?: { latency?: { rtt?: Record<string, unknown> }; counters?: Record<string, unknown> } };
          const rtt = r.summary?.latency?.rtt ?? {};
          const none = rtt['count'] === 0; // a flow records no echo round trips
          return { p50: none ? null : num(rtt['p50']), p99: none ? null : num(rtt['p99']), sent: num(r.summary?.counters?.['messagesSent']), received: num(r.summary?.counters?.['messagesReceived']), code };
        } catch {
          return { p50: null, p99: null, sent: null, received: null, code, note: `no results.json: ${output.trim().slice(-300)}` };
        }
      }
      const done = output.split('\n').filter((l) => l.startsWith('{"ev":"done"')).pop();
      if (done === undefined) return { p50: null, p99: null, sent: null, received: null, code, note: output.trim().slice(-300) };
      const d = JSON.parse(done) as Record<string, unknown>;
      return { p50: num(d['p50']), p99: num(d['p99']), sent: num(d['sent']), received: num(d['received']), code };
    },
  };
}
