/**
 * Issue 14 item 7: verdicts that say what happened. (ii) A target that refuses every connection, no thresholds:
 * FAILED, exit 8 — the test's own server counts the refusals. (iii) A generator provably starved: the test stops
 * the load worker with SIGSTOP for 1.5 s (≥ GENERATOR_STALL_MS) mid-run, so the planned connections of that time
 * are cancelled when it resumes: INCONCLUSIVE, exit 7; with --accept-saturated the usual exit 0; `cancelled` is the
 * generator's in forensics; and the side-by-side comparison shows the row inconclusive, never starred.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { descendants, runCli, startCli, type CliResult } from '../helpers/cli.js';
import { until } from '../helpers/until.js';
import { ExitCode } from '../../src/exit-codes.js';
import { GENERATOR_STALL_MS } from '../../src/metrics/types.js';
import { countingServer, refusingServer, type CountingServer, type RefusingServer } from './servers.js';

const tmp = (): string => mkdtempSync(path.join(tmpdir(), 'wsherd-oracle-'));
const readJson = (file: string): any => JSON.parse(readFileSync(file, 'utf8')); // eslint-disable-line @typescript-eslint/no-explicit-any

describe('a target that refuses every connection, no thresholds (oracle: the server\'s own count)', () => {
  let server: RefusingServer | undefined;
  before(async () => { server = await refusingServer(); });
  after(async () => { await server?.close(); });

  test('FAILED, exit 8 (NOTHING_ESTABLISHED), every attempt the 503 the server sent', { timeout: 60_000 }, async () => {
    const dir = tmp();
    const scenario = path.join(dir, 'refused.yaml');
    writeFileSync(scenario, `name: oracle-refused\ntarget: ws://127.0.0.1:${server?.port}/\nclients: 10\nworkers: 1\nphases:\n  - ramp_up: 300ms\n  - hold: 300ms\n`);
    const res = await runCli(['run', scenario, '--out', path.join(dir, 'out'), '--quiet', '--junit', path.join(dir, 'j.xml')]);
    assert.equal(res.code, ExitCode.NOTHING_ESTABLISHED, res.stdout + res.stderr);
    const results = readJson(path.join(dir, 'out', 'results.json'));
    assert.equal(results.thresholds.length, 0);
    assert.equal(results.summary.counters.attempted, server?.refused);
    assert.equal(results.summary.errors.byCode.http_503, server?.refused);
    assert.match(res.stdout, new RegExp(`^Status {2}FAILED {2}\\(no connection was established \\(${server?.refused} attempted\\)\\)$`, 'm'));
    assert.match(res.stdout, /^Diagnosis {2}Nothing established: all 10 attempts failed, most often http_503 \(10\)/m);
    assert.match(readFileSync(path.join(dir, 'j.xml'), 'utf8'), /<failure message="failed: no connection was established \(10 attempted\)" type="nothing-established">/);
    process.stderr.write(`  oracle refused: server refused ${server?.refused}; wsherd attempted ${results.summary.counters.attempted}, http_503 ${results.summary.errors.byCode.http_503}, exit ${res.code}\n`);
  });
});

/** The scenario: 20 clients churning every 100 ms for 6 s against the test's echo server, one worker. */
const churnScenario = (port: number): string =>
  `name: oracle-stalled\ntarget: ws://127.0.0.1:${port}/\nclients: 20\nworkers: 1\nphases:\n  - ramp_up: 200ms\n  - hold: 6s\nbehavior:\n  lifetime: 100ms\n`;

/** Runs the scenario, stopping its worker with SIGSTOP for `stopMs` once `server` has seen 50 connections. */
async function stalledRun(server: CountingServer, scenario: string, out: string, extra: string[] = []): Promise<CliResult> {
  const from = server.connections;
  // Saturation is what this test is about: the helper's WSHERD_ACCEPT_SATURATED is unset, --accept-saturated says it.
  const { child, done } = startCli(['run', scenario, '--out', out, '--quiet', ...extra], { WSHERD_ACCEPT_SATURATED: '' });
  await until('the load running', () => server.connections - from >= 50, 30_000);
  const workers = descendants(child.pid as number).filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('worker-main');
    } catch {
      return false;
    }
  });
  assert.equal(workers.length, 1, 'one load worker');
  const worker = workers[0] as number;
  process.kill(worker, 'SIGSTOP');
  // The stimulus itself, not a wait for a condition: the worker is frozen this long (15 × GENERATOR_STALL_MS).
  await new Promise((r) => setTimeout(r, 15 * GENERATOR_STALL_MS));
  process.kill(worker, 'SIGCONT');
  return done;
}

describe('a generator provably starved (SIGSTOP of its worker): INCONCLUSIVE, never PASS', () => {
  let server: CountingServer | undefined;
  before(async () => { server = await countingServer(); });
  after(async () => { await server?.close(); });

  test('exit 7; --accept-saturated exit 0; cancelled is the generator\'s; the comparison marks the row and stars nothing on it', { timeout: 180_000 }, async () => {
    const s = server as CountingServer;
    const dir = tmp();
    const scenario = path.join(dir, 'stalled.yaml');
    writeFileSync(scenario, churnScenario(s.port));

    const res = await stalledRun(s, scenario, path.join(dir, 'stalled'));
    assert.equal(res.code, ExitCode.INCONCLUSIVE, res.stdout + res.stderr);
    assert.match(res.stdout, /^Status {2}INCONCLUSIVE {2}\(generator saturated: /m);
    assert.match(res.stdout, /^Diagnosis {2}Generator saturated: /m);
    const results = readJson(path.join(dir, 'stalled', 'results.json'));
    const cancelled = results.summary.errors.byCode.cancelled ?? 0;
    assert.ok(cancelled / results.summary.counters.attempted >= 0.05, `the stall cancelled ${cancelled} of ${results.summary.counters.attempted}`);
    // Every established connection reached the server; what the server never saw, wsherd never blames on it.
    assert.ok(results.summary.counters.established <= s.connections);
    const generator = results.analysis.forensics.filter((a: { side: string }) => a.side === 'generator');
    assert.ok(generator.some((a: { codes: string[]; count: number }) => a.codes.includes('cancelled') && a.count === cancelled), JSON.stringify(results.analysis.forensics));
    assert.ok(!results.analysis.forensics.some((a: { side: string; codes: string[] }) => a.side === 'target' && a.codes.includes('cancelled')));
    assert.equal(results.summary.errors.generator, cancelled + (results.summary.errors.byCode.EMFILE ?? 0) + (results.summary.errors.byCode.ENFILE ?? 0) + (results.summary.errors.byCode.EADDRNOTAVAIL ?? 0));

    const accepted = await stalledRun(s, scenario, path.join(dir, 'accepted'), ['--accept-saturated']);
    assert.equal(accepted.code, ExitCode.OK, accepted.stdout + accepted.stderr);
    assert.match(accepted.stdout, /^Status {2}INCONCLUSIVE /m, 'accepting changes the exit code, not the verdict');

    const calm = path.join(dir, 'calm');
    const normal = await runCli(['run', scenario, '--out', calm, '--quiet']);
    assert.ok(normal.code === ExitCode.OK || normal.code === ExitCode.INCONCLUSIVE, normal.stdout + normal.stderr);
    const side = await runCli(['report', path.join(dir, 'stalled', 'results.json'), path.join(calm, 'results.json'), '--out', path.join(dir, 'side')]);
    assert.equal(side.code, 0, side.stdout + side.stderr);
    const compare = readJson(path.join(dir, 'side', 'compare.json'));
    const row = compare.approaches.find((a: { results: string }) => a.results.includes('stalled'));
    assert.equal(row.inconclusive, true);
    assert.equal(row.verdict, 'INCONCLUSIVE');
    assert.equal(row.diagnosis.kind, 'generator-saturated');
    for (const names of Object.values(compare.best) as string[][]) assert.ok(!names.includes(row.name), `no ★ on the inconclusive row: ${JSON.stringify(compare.best)}`);
    assert.match(side.stdout, /INCONCLUSIVE ⚠/);
    assert.match(readFileSync(path.join(dir, 'side', 'compare.html'), 'utf8'), /data-verdict="INCONCLUSIVE"/);
    process.stderr.write(`  oracle stall: worker stopped ${15 * GENERATOR_STALL_MS} ms; server saw ${s.connections} upgrades in all; wsherd cancelled ${cancelled} of ${results.summary.counters.attempted} (${(100 * cancelled / results.summary.counters.attempted).toFixed(1)}%), exit ${res.code}, with --accept-saturated ${accepted.code}\n`);
  });
});
