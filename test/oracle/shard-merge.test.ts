/**
 * Three shards of one run (`wsherd run --shard i/3`, real CLI processes) against a server of the test's own, then
 * `wsherd merge`: the merged counts are the server's own counts, every client id reached it exactly once (the shards'
 * slots are disjoint and cover the scenario), and the merged histogram is the union of the shards' histograms added by
 * the HDR library itself. Then what merge refuses and what it marks partial.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { build, decodeFromCompressedBase64 } from 'hdr-histogram-js';
import { runCli } from '../helpers/cli.js';
import type { Results } from '../../src/results/types.js';
import { decodeHistogram, latencyStats } from '../../src/metrics/hdr.js';
import { startBarrierServer, type BarrierServer } from '../../src/shard/barrier-server.js';

interface Oracle { url: string; upgrades: number; messages: number; echoes: number; users: string[]; close(): Promise<void> }

/** The test's own echo server: counts upgrades, messages and echoes, and notes each connection's `user`. */
async function countingServer(): Promise<Oracle> {
  const server = http.createServer();
  const wss = new WebSocketServer({ server, perMessageDeflate: false });
  const o: Oracle = { url: '', upgrades: 0, messages: 0, echoes: 0, users: [], close: async () => {
    for (const c of wss.clients) c.terminate();
    await new Promise((r) => server.close(r));
  } };
  wss.on('connection', (ws, req) => {
    o.upgrades++;
    o.users.push(new URL(req.url ?? '/', 'http://x').searchParams.get('user') ?? '?');
    ws.on('message', (data, binary) => {
      o.messages++;
      ws.send(data, { binary }, (err) => void (err === undefined || err === null ? o.echoes++ : undefined));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  o.url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  return o;
}

const CLIENTS = 90;
const readJson = async (file: string): Promise<Results> => JSON.parse(await readFile(file, 'utf8')) as Results;

describe('shards merged against the target\'s own counts', { timeout: 120_000 }, () => {
  let dir = '';
  let oracle: Oracle;
  let scenarioFile = '';
  let barrier: BarrierServer | undefined;
  const shardDir = (i: number): string => path.join(dir, `shard-${i}`);

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'wsherd-shards-'));
    oracle = await countingServer();
    scenarioFile = path.join(dir, 'sharded.yaml');
    await writeFile(scenarioFile, [
      'name: sharded', `target: ${oracle.url}`, `clients: ${CLIENTS}`,
      'phases:', '  - ramp_up: 1s', '  - hold: 2s',
      'behavior:', '  messages_per_second: 4', '  query: {user: "u{{ client }}"}',
      'thresholds:', '  - errors.rate < 1%', '',
    ].join('\n'));
    // A barrier of the test's own: the three start together as soon as the slowest is ready.
    barrier = await startBarrierServer({ host: '127.0.0.1', port: 0, shards: 3, leadMs: 1000 });
    const runs = await Promise.all([0, 1, 2].map((i) => runCli(['run', scenarioFile, '--shard', `${i}/3`, '--run-id', 'oracle-1', '--barrier', barrier?.url ?? '', '--barrier-timeout', '60s', '--out', shardDir(i), '-q'])));
    runs.forEach((r, i) => assert.ok(r.code === 0, `shard ${i} exited ${r.code}: ${r.stderr}${r.stdout.slice(-800)}`));
  });

  after(async () => {
    await barrier?.close();
    await oracle.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('merged counts are the target\'s own; every client id reached it once; the histogram is the union', async () => {
    const merged = await runCli(['merge', shardDir(0), shardDir(1), shardDir(2), '--out', path.join(dir, 'merged')]);
    assert.equal(merged.code, 0, merged.stderr + merged.stdout.slice(-1500));
    const r = await readJson(path.join(dir, 'merged', 'results.json'));
    const shards = await Promise.all([0, 1, 2].map((i) => readJson(path.join(shardDir(i), 'results.json'))));
    assert.equal(r.status, 'complete');
    assert.deepEqual(r.merge?.missing, []);
    assert.deepEqual(r.merge?.shards.map((s) => [s.index, s.clients]), [[0, 30], [1, 30], [2, 30]]);
    // Started by the barrier, which measured each shard's clock: one clock here, so the offsets are within their bounds.
    for (const s of shards) {
      assert.equal(s.shard?.sync.kind, 'barrier');
      assert.ok(Math.abs(s.shard?.clockOffsetMs ?? NaN) <= (s.shard?.clockUncertaintyMs ?? 0) + 2, JSON.stringify(s.shard));
    }
    // The oracle: the server's own counts.
    assert.equal(r.summary.counters.established, oracle.upgrades);
    assert.equal(r.summary.counters.established, CLIENTS);
    assert.equal(r.summary.counters.messagesSent, oracle.messages);
    assert.ok(r.summary.counters.messagesReceived <= oracle.echoes && r.summary.counters.messagesReceived > 0);
    assert.deepEqual([...oracle.users].sort(), Array.from({ length: CLIENTS }, (_, k) => `u${k}`).sort());
    // Each shard's clients are its own slots: shard i's ids are ≡ i (mod 3), seen through the shard's own counts.
    shards.forEach((s, i) => assert.equal(s.summary.counters.established, 30, `shard ${i}`));
    // The union of the shards' histograms, added by the library itself, is the merged histogram.
    const union = build({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 3, useWebAssembly: false });
    for (const s of shards) union.add(decodeFromCompressedBase64(s.histograms.rtt as string, 32, false));
    assert.deepEqual(latencyStats(decodeHistogram(r.histograms.rtt as string)), latencyStats(union));
    assert.ok(union.totalCount > 100);
    // Thresholds are judged on the merge, not on a shard's part.
    assert.deepEqual(shards.map((s) => s.thresholds.length), [0, 0, 0]);
    assert.equal(r.thresholds.length, 1);
    // Per-second series: the seconds of all shards add up to the totals.
    assert.equal(r.series.reduce((n, p) => n + p.opened, 0), CLIENTS);
  });

  test('a missing shard makes the merge partial, saying which (exit 6), with the figures of those present', async () => {
    const res = await runCli(['merge', shardDir(0), shardDir(2), '--out', path.join(dir, 'partial')]);
    assert.equal(res.code, 6, res.stdout.slice(-800));
    const r = await readJson(path.join(dir, 'partial', 'results.json'));
    assert.equal(r.status, 'failed');
    assert.match(r.statusReason ?? '', /partial merge: shard 1 of 3 missing/);
    assert.deepEqual(r.merge?.missing, [1]);
    assert.equal(r.summary.counters.established, 60);
  });

  test('shards of another run, another scenario, the same shard twice, a whole run: refused, naming the files', async () => {
    const original = await readJson(path.join(shardDir(1), 'results.json'));
    const variant = async (name: string, edit: (r: Results) => void): Promise<string> => {
      const copy = structuredClone(original);
      edit(copy);
      const file = path.join(dir, `${name}.json`);
      await writeFile(file, JSON.stringify(copy));
      return file;
    };
    const cases: Array<[string[], RegExp]> = [
      [[shardDir(0), await variant('other-run', (r) => { if (r.shard) r.shard.runId = 'oracle-2'; })], /different runs \(oracle-1: .*shard-0.*; oracle-2: .*other-run\.json\)/],
      [[shardDir(0), await variant('other-scenario', (r) => { r.scenario.clients = 91; })], /different scenarios .*scenario\.clients/],
      [[shardDir(0), await variant('other-count', (r) => { if (r.shard) r.shard.count = 4; })], /different shard counts/],
      [[shardDir(0), shardDir(0)], /shard 0 is given twice/],
      [[shardDir(0), await variant('whole', (r) => { delete r.shard; })], /whole\.json is not a shard's results/],
      [[path.join(dir, 'nowhere')], /nowhere/],
    ];
    for (const [inputs, message] of cases) {
      const res = await runCli(['merge', ...inputs, '--out', path.join(dir, 'refused')]);
      assert.equal(res.code, 2, `${inputs.join(' ')}: ${res.stderr}`);
      assert.match(res.stderr, message);
      assert.doesNotMatch(res.stderr, /\n\s+at /, 'no stack trace');
    }
  });

  test('bad sharding flags on run: exit 2 before any socket, with the fix', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['--shard', '5/4'], /shard 5 does not exist among 4/],
      [['--shards', '4'], /JOB_COMPLETION_INDEX is not set/],
      [['--barrier', 'http://127.0.0.1:9/'], /--barrier synchronises the shards of a run/],
      [['--shard', '0/2', '--start-at', '2026-12-07 21:30'], /no time zone/],
      [['--shard', '0/100'], /100 shards for 90 clients/],
    ];
    for (const [flags, message] of cases) {
      const res = await runCli(['run', scenarioFile, ...flags, '--out', path.join(dir, 'never')]);
      assert.equal(res.code, 2, `${flags.join(' ')}: ${res.stderr}`);
      assert.match(res.stderr, message);
    }
    const lab = await runCli(['run', 'scenarios/quickstart.yaml', '--shard', '0/2', '--out', path.join(dir, 'never')]);
    assert.equal(lab.code, 2);
    assert.match(lab.stderr, /a sharded run needs a `target:`/);
  });
});
