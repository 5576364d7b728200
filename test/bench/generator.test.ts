/**
 * Smoke test of `npm run bench -- generator --quick` (bench/generator.ts): one run, 2,000 connections, wsherd through
 * its CLI beside the Node floor, the Node net floor and the C anchor (Artillery left out: no install in the suite). It asserts only that
 * the bench completes, prints every row and every ratio, and saves its JSON — never a timing or a figure: those are
 * the benchmark's to report, not the suite's to judge on a shared host.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from '../helpers/cli.js';

const ROWS = [
  /^bytes per held connection, whole tree \(Δ RSS \/ 2,000\)/m,
  /^ {2}total tree RSS \/ 2,000/m,
  /^connections opened per second \(server count\)/m,
  /^generator CPU-s to open and hold 2,000/m,
  /^p50 \/ p99 ms at 40 msg\/s × 200 conns/m,
  /^ {2}CPU-s per 1k messages at that rate/m,
  /^p50 \/ p99 ms at 10 msg\/s × 200 conns \(--kept-rate\)/m,
  /^closed-loop echoes\/s \(server count\)/m,
  /^ {2}CPU-s per 1k messages, closed loop/m,
  /^open-loop echoes\/s, 20,000\/s offered over 100/m,
  /^ {2}CPU-s per 1k messages, open loop/m,
  /^socket\.io: bytes per held session/m,
  /^ {2}socket\.io: total tree RSS \/ sessions/m,
  /^ {2}socket\.io: sessions opened per second/m,
];

const RATIOS = ['bytes per held connection, wsherd / floor', 'open rate, wsherd / best other client', 'CPU per connection opened, wsherd / anchor',
  'CPU per connection opened, Node net floor / anchor', 'CPU per connection opened, wsherd / Node net floor',
  'p99 at fixed rate, wsherd / floor', 'p99 at 10 msg/s (kept by both), wsherd / floor', 'CPU per 1k messages at fixed rate, wsherd / floor'];

test('bench generator --quick completes and prints every row and ratio', { timeout: 300_000 }, async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'wsherd-bench-generator-test-'));
  try {
    const json = path.join(dir, 'generator.json');
    const child = spawn(process.execPath, [path.join(ROOT, 'dist/bench/run.js'), 'generator', '--quick', '--no-artillery', '--out', json],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    const [code] = (await once(child, 'close')) as [number | null];
    assert.equal(code, 0, `${out}\n${err}`);
    assert.match(out, /^ +wsherd +Node\+ws floor +Node net floor +(C anchor|—)/m, out);
    for (const row of ROWS) assert.match(out, row, out);
    for (const r of RATIOS) assert.ok(out.includes(r), `${r} missing:\n${out}`);
    assert.match(out, /tcpkali .* not packaged in Debian 12/, out);
    const saved = JSON.parse(await readFile(json, 'utf8')) as { bench: string; medians: Record<string, Record<string, unknown>> };
    assert.equal(saved.bench, 'generator');
    for (const c of ['wsherd', 'floor', 'net']) assert.ok(saved.medians[c] !== undefined, `medians of ${c} saved: ${JSON.stringify(saved)}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
