/**
 * Bytes per idle connection of the reference ws backend (issue 17, goal 5: the backends' diet).
 *
 *   npm run bench -- scale-backend   (options: --conns 10000 --sources 2 --runs 1 --json FILE)
 *
 * One backend process (src/backend/server.ts, in bench/scale-child.ts) and one plain `ws` client process (not
 * wsherd) that opens --conns connections to it from --sources source addresses and holds them. The figure is the
 * backend's /proc VmRSS (after a full GC, once steady) with the connections held minus before the first, divided by the connections the kernel
 * shows ESTABLISHED on the backend's port (the kernel's socket table over netlink, `ss`), which must equal what the client says it holds.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpuOf, establishedTo, rssOf } from './proc.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '../..');
const CHILD = path.join(HERE, 'scale-child.js');

export interface BackendMemoryRun { conns: number; held: number; failed: number; established: number; rssBefore: number; rssHeld: number; bytesPerConn: number; cpuS: number }

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function message<T>(child: ChildProcess, what: string): Promise<T> {
  const exited = once(child, 'exit').then(([code]) => {
    throw new Error(`${what} exited (code ${String(code)}) before answering`);
  });
  return (await Promise.race([once(child, 'message').then(([m]) => m as T), exited]));
}

/**
 * RSS once it has stopped moving (two samples 500 ms apart within 64 kB, at most ~5 s), after a full GC in the
 * backend: what the connections hold, not the handshakes' garbage that a young generation happens to keep.
 */
async function settledRss(child: ChildProcess): Promise<number> {
  const pid = child.pid as number;
  child.send({ cmd: 'gc' });
  await message(child, 'the backend (gc)');
  let last = rssOf(pid);
  for (let i = 0; i < 10; i++) {
    await sleep(500);
    const now = rssOf(pid);
    if (Math.abs(now - last) < 65536) return now;
    last = now;
  }
  return last;
}

export async function measureBackend(conns: number, sources: number): Promise<BackendMemoryRun> {
  const backend = fork(CHILD, ['backend', 'm1'], { execArgv: ['--expose-gc'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let client: ChildProcess | undefined;
  try {
    const { port } = await message<{ port: number }>(backend, 'the backend');
    const pid = backend.pid as number;
    const rssBefore = await settledRss(backend);
    const cpu0 = cpuOf(pid);
    const hosts = Array.from({ length: sources }, (_, i) => `127.0.${Math.floor((i + 2) / 250)}.${((i + 2) % 250) + 2}`);
    client = fork(CHILD, ['hold', String(port), String(conns), hosts.join(',')], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const { held, failed } = await message<{ held: number; failed: number }>(client, 'the holding client');
    const rssHeld = await settledRss(backend);
    const established = establishedTo([port], [pid]);
    return { conns, held, failed, established, rssBefore, rssHeld, bytesPerConn: (rssHeld - rssBefore) / Math.max(1, established), cpuS: cpuOf(pid) - cpu0 };
  } finally {
    for (const c of [client, backend]) {
      if (c === undefined || c.exitCode !== null) continue;
      c.kill('SIGKILL');
      await once(c, 'exit').catch(() => {});
    }
  }
}

export async function benchScaleBackend(argv: string[]): Promise<string> {
  const arg = (name: string, def: number): number => {
    const i = argv.indexOf(`--${name}`);
    const v = i >= 0 ? Number(argv[i + 1]) : def;
    if (!Number.isInteger(v) || v <= 0) throw new Error(`--${name} must be a positive integer, got ${argv[i + 1]}`);
    return v;
  };
  const conns = arg('conns', 10000);
  if (conns > 19000) throw new Error('--conns above 19,000 exceeds one process\'s 20,000 fds');
  const sources = arg('sources', 2);
  const runs = arg('runs', 1);
  const jsonAt = argv.indexOf('--json');
  const json = jsonAt >= 0 ? String(argv[jsonAt + 1]) : path.join(ROOT, 'bench', 'results', `scale-backend-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  const results: BackendMemoryRun[] = [];
  const lines: string[] = [];
  for (let r = 0; r < runs; r++) {
    const m = await measureBackend(conns, sources);
    results.push(m);
    lines.push(`run ${r + 1}: ${m.held}/${m.conns} held (${m.failed} failed), ${m.established} ESTABLISHED on the backend's port (ss)` +
      `${m.established === m.held ? '' : '  ≠ held!'}; backend RSS ${(m.rssBefore / 1048576).toFixed(1)} → ${(m.rssHeld / 1048576).toFixed(1)} MiB` +
      ` = ${m.bytesPerConn.toFixed(0)} bytes per idle connection; backend CPU ${m.cpuS.toFixed(2)} s to accept them`);
  }
  const sorted = results.map((m) => m.bytesPerConn).sort((x, y) => x - y);
  const median = sorted[Math.floor(sorted.length / 2)] ?? NaN;
  lines.push(`backend bytes per idle connection, median of ${runs}: ${median.toFixed(0)}`);
  mkdirSync(path.dirname(json), { recursive: true });
  writeFileSync(json, `${JSON.stringify({ bench: 'scale-backend', at: new Date().toISOString(), conns, sources, runs: results, medianBytesPerConn: median }, null, 2)}\n`);
  lines.push(`saved: ${json}`);
  return lines.join('\n');
}
