import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ROOT, descendants, isAlive, runCli, startCli } from '../helpers/cli.js';

const fixture = (name: string): string => path.join(ROOT, 'test/fixtures/cli', name);
const tmp = (): string => mkdtempSync(path.join(tmpdir(), 'wsherd-cli-'));

describe('wsherd run (the real binary)', () => {
  test('a tiny lab run writes results.json and index.html and exits 0', { timeout: 60_000 }, async () => {
    const out = tmp();
    const res = await runCli(['run', fixture('tiny-lab.yaml'), '--out', out]);
    assert.equal(res.code, 0, res.stderr + res.stdout);
    const results = JSON.parse(readFileSync(path.join(out, 'results.json'), 'utf8'));
    assert.equal(results.format, 'wsherd-results');
    assert.equal(results.status, 'complete');
    assert.equal(results.summary.counters.attempted, 40);
    assert.equal(results.summary.counters.established, 40);
    assert.equal(results.summary.errors.total, 0);
    assert.ok(results.summary.counters.messagesReceived > 0);
    // Round robin over 2 backends: every connection attributed, 20 each.
    assert.deepEqual(results.backends.perBackend.map((b: { id: string; connections: number }) => [b.id, b.connections]), [['b1', 20], ['b2', 20]]);
    assert.ok(results.thresholds.every((t: { pass: boolean }) => t.pass));
    assert.ok(existsSync(path.join(out, 'index.html')));
    assert.match(res.stdout, /Report:\s+\S+index\.html/);
  });

  test('an L7 lab with TLS (self-signed) and proxy workers: wss:// trusted without --insecure, every client served', { timeout: 60_000 }, async () => {
    const out = tmp();
    const res = await runCli(['run', fixture('tiny-l7-tls.yaml'), '--out', out]);
    assert.equal(res.code, 0, res.stderr + res.stdout);
    const results = JSON.parse(readFileSync(path.join(out, 'results.json'), 'utf8'));
    assert.match(JSON.stringify(results), /"url":"wss:\/\/127\.0\.0\.1:\d+\/"/);
    assert.equal(results.summary.counters.established, 40);
    assert.equal(results.summary.errors.total, 0);
    assert.equal(results.backends.perBackend.reduce((n: number, b: { connections: number }) => n + b.connections, 0), 40);
  });

  test('wsherd compare: two approaches side by side, one sentence each; failed thresholds do not set the exit code', { timeout: 90_000 }, async () => {
    const out = tmp();
    const res = await runCli(['compare', fixture('tiny-compare.yaml'), '--out', out, '--quiet']);
    assert.equal(res.code, 0, res.stderr + res.stdout);
    assert.match(res.stdout, /^tiny-compare: 2 approaches compared$/m);
    assert.match(res.stdout, /^round-robin: Sessions broke: /m);
    assert.match(res.stdout, /^engineio-sid: Sessions stayed together: /m);
    const compare = JSON.parse(readFileSync(path.join(out, 'compare.json'), 'utf8'));
    assert.deepEqual(compare.approaches.map((a: { name: string; thresholdsFailed: number }) => [a.name, a.thresholdsFailed]), [['round-robin', 1], ['engineio-sid', 0]]);
    assert.ok(existsSync(path.join(out, 'compare.html')));
    assert.ok(existsSync(path.join(out, '01-round-robin', 'index.html')));
  });

  test('a lab proxy with a 128-fd limit (prlimit): failures begin at the predicted cliff, counted by the proxy', { timeout: 60_000 }, async () => {
    const out = tmp();
    const res = await runCli(['run', fixture('tiny-fd-limit.yaml'), '--out', out]);
    assert.equal(res.code, 0, res.stderr + res.stdout);
    const results = JSON.parse(readFileSync(path.join(out, 'results.json'), 'utf8'));
    const proxy = results.lab.stats.proxy;
    assert.equal(proxy.process.fdLimit, 128, 'the limit reached the proxy process');
    const cliff = results.analysis.cliff;
    assert.equal(cliff.prediction.at, Math.floor((128 - (cliff.prediction.formula.match(/− (\d+)/)?.[1] ?? 0)) / 2));
    assert.ok(Math.abs(cliff.deviation) <= 0.05, cliff.diagnosis);
    assert.equal(proxy.acceptsRefused, results.summary.counters.failed, 'every client failure is an accept the proxy refused for lack of fds');
    assert.match(res.stdout, /^Limits\nFailures began at \d+ open connections/m);
  });

  test('port depletion: clients churn through one upstream source; the proxy runs out of ports when the schedule says', { timeout: 60_000 }, async () => {
    const out = tmp();
    const res = await runCli(['run', fixture('tiny-port-depletion.yaml'), '--out', out]);
    assert.equal(res.code, 0, res.stderr + res.stdout);
    const results = JSON.parse(readFileSync(path.join(out, 'results.json'), 'utf8'));
    const proxy = results.lab.stats.proxy;
    const noPorts = (proxy.errors.upstream_connect_EADDRNOTAVAIL ?? 0) + (proxy.errors.upstream_connect_EADDRINUSE ?? 0);
    assert.ok(noPorts > 0, JSON.stringify(proxy.errors));
    assert.equal(proxy.backends[0].health, 'up', 'the proxy\'s own port exhaustion never takes the backend down');
    const ports = results.analysis.cliff.ports;
    assert.equal(ports.local, '127.0.0.2');
    assert.equal(ports.range, 200);
    assert.ok(Math.abs(results.analysis.cliff.deviation) <= 0.05, results.analysis.cliff.diagnosis);
    assert.ok(Math.abs(results.analysis.cliff.atSecond - ports.predictedSecond) <= 1, results.analysis.cliff.diagnosis);
    assert.equal(results.analysis.forensics[0].side, 'proxy');
    assert.equal(results.backends.population.groups[0].addresses, 20);
    assert.match(res.stdout, /^Limits\nThe proxy ran out of local ports towards 127\.0\.0\.1:\d+ at second \d+ on 127\.0\.0\.2/m);
  });

  test('network.namespace: the run re-executes inside unshare --net with its own port range; nothing outlives it', { timeout: 60_000 }, async () => {
    const out = tmp();
    const res = await runCli(['run', fixture('tiny-netns.yaml'), '--out', out, '--quiet']);
    assert.equal(res.code, 0, res.stderr + res.stdout);
    const results = JSON.parse(readFileSync(path.join(out, 'results.json'), 'utf8'));
    assert.deepEqual(results.environment.portRange, [40000, 40999], 'the namespace\'s range, not the machine\'s');
    assert.equal(results.summary.counters.established, 50);
    assert.deepEqual(descendants(process.pid).filter(isAlive), [], 'no process of the run is left');
  });

  test('a target nobody listens on: 100% ECONNREFUSED, nothing established: FAILED, exit 8, no stack trace', { timeout: 60_000 }, async () => {
    const out = tmp();
    const res = await runCli(['run', fixture('refused.yaml'), '--out', out]);
    assert.equal(res.code, 8, res.stderr + res.stdout);
    assert.match(res.stdout, /^Status {2}FAILED .*no connection was established \(20 attempted\)/m);
    const results = JSON.parse(readFileSync(path.join(out, 'results.json'), 'utf8'));
    assert.equal(results.status, 'complete');
    assert.equal(results.summary.counters.attempted, 20);
    assert.equal(results.summary.errors.byCode.ECONNREFUSED, 20);
    assert.equal(results.summary.errors.rate, 1);
    assert.match(res.stdout, /ECONNREFUSED/);
    assert.doesNotMatch(res.stdout + res.stderr, /\n\s+at /);
  });

  test('SIGINT mid-run: partial results marked aborted, exit 130, no child process outlives the run', { timeout: 60_000 }, async () => {
    const out = tmp();
    const { child, done } = startCli(['run', fixture('long-lab.yaml'), '--out', out]);
    // Wait until the load is running (the lab and workers are up), then interrupt.
    const seen = new Set<number>();
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      for (const pid of descendants(child.pid!)) seen.add(pid);
      if (seen.size >= 5) break; // 2 backends + proxy + 2 workers
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(seen.size >= 5, `expected lab and worker processes, saw ${seen.size}`);
    // Second 0 comes ~1.3 s after the workers start (they warm their echo path first: src/load/warm-up.ts), then a
    // 1 s ramp: by 3.5 s clients are open.
    await new Promise((r) => setTimeout(r, 3500));
    child.kill('SIGINT');
    const res = await done;
    assert.equal(res.code, 130, res.stderr);
    const results = JSON.parse(readFileSync(path.join(out, 'results.json'), 'utf8'));
    assert.equal(results.status, 'aborted');
    assert.ok(results.summary.counters.established > 0);
    await new Promise((r) => setTimeout(r, 500));
    const alive = [...seen].filter(isAlive);
    assert.deepEqual(alive, [], 'child processes outlived the run');
  });

  test('bad input: a missing scenario file exits 2 with a clear message', async () => {
    const res = await runCli(['run', 'does-not-exist.yaml']);
    assert.equal(res.code, 2);
    assert.match(res.stderr, /does-not-exist\.yaml/);
    assert.doesNotMatch(res.stderr, /\n\s+at /);
  });

  test('bad input: an invalid scenario lists every problem with file:line:col and exits 2', async () => {
    const dir = tmp();
    const file = path.join(dir, 'bad.yaml');
    writeFileSync(file, 'name: bad\nlab:\n  backends: {count: 0}\nclinets: 10\n');
    const res = await runCli(['run', file]);
    assert.equal(res.code, 2);
    assert.match(res.stderr, /bad\.yaml:3:\d+/);
    assert.match(res.stderr, /bad\.yaml:4:1 .*clients/);
  });

  test('bad input: an --out folder that cannot be written exits 4 before any socket opens', async () => {
    const dir = tmp();
    const blocker = path.join(dir, 'file');
    writeFileSync(blocker, 'not a folder');
    const res = await runCli(['run', fixture('tiny-lab.yaml'), '--out', path.join(blocker, 'out')]);
    assert.equal(res.code, 4, res.stderr);
    assert.match(res.stderr, /file\/out/);
  });

  test('--help lists every command with a one-line summary', async () => {
    const res = await runCli(['--help']);
    assert.equal(res.code, 0);
    for (const cmd of ['run', 'lab', 'backend', 'proxy', 'report']) assert.match(res.stdout, new RegExp(`\\n\\s+${cmd}\\s+\\S`));
    // oclif lists topics, not their commands: the lab topic's line names its command.
    assert.match(res.stdout, /\n\s+lab\s+`lab up <scenario>`/);
    const lab = await runCli(['lab', '--help']);
    assert.match(lab.stdout, /lab up\s+\S/);
  });
});
