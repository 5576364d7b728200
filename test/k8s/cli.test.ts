/**
 * `wsherd k8s render` and `wsherd k8s wait` as a user runs them (the real CLI in a child process): YAML on stdout and
 * notes on stderr; bad input is exit 2 with a message saying what and how to fix it, no stack trace.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runCli } from '../helpers/cli.js';
import { parseManifests, validateObject } from '../helpers/k8s-models.js';

const IMAGE = ['--image', 'wsherd:dev'];
const TARGET = ['-e', 'WSHERD_TARGET=ws://echo.load.svc:8080/'];

function assertBadInput(r: { code: number | null; stderr: string }, text: RegExp): void {
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, text);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
}

describe('wsherd k8s render (CLI)', () => {
  test('prints valid manifests on stdout, notes on stderr', { timeout: 30_000 }, async () => {
    const r = await runCli(['k8s', 'render', 'scenarios/sharded-target.yaml', '--shards', '2', ...IMAGE, ...TARGET, '--run-id', 'cli-1']);
    assert.equal(r.code, 0, r.stderr);
    const objs = parseManifests(r.stdout);
    assert.equal(objs.length, 9);
    for (const o of objs) validateObject(o);
    assert.match(r.stderr, /^Note: Memory per shard: \d+Mi = /m);
  });

  test('--shards 0 is exit 2, saying what a shard count is', { timeout: 30_000 }, async () => {
    assertBadInput(await runCli(['k8s', 'render', 'scenarios/sharded-target.yaml', '--shards', '0', ...IMAGE, ...TARGET]), /--shards 0: expected a whole number of shards, 1 or more/);
  });

  test('a lab scenario is exit 2: sharded runs need a target', { timeout: 30_000 }, async () => {
    assertBadInput(await runCli(['k8s', 'render', 'scenarios/quickstart.yaml', '--shards', '2', ...IMAGE]), /has a lab: section; sharded runs drive an external target[\s\S]*Hint: replace lab: with target:/);
  });

  test('without --image it is exit 2, naming the flag', { timeout: 30_000 }, async () => {
    assertBadInput(await runCli(['k8s', 'render', 'scenarios/sharded-target.yaml', '--shards', '2', ...TARGET]), /Missing required flag image/);
  });

  test('more shards than clients, a bad name, a bad barrier, a bad quantity: exit 2 each', { timeout: 60_000 }, async () => {
    const common = ['k8s', 'render', 'scenarios/sharded-target.yaml', ...IMAGE, ...TARGET];
    assertBadInput(await runCli([...common, '--shards', '3', '-e', 'WSHERD_CLIENTS=2']), /--shards 3 is more than the scenario's 2 clients/);
    assertBadInput(await runCli([...common, '--shards', '2', '--name', 'Load_Test']), /--name "Load_Test" is not a Kubernetes name/);
    assertBadInput(await runCli([...common, '--shards', '2', '--barrier', 'tcp://x:1']), /--barrier "tcp:\/\/x:1": expected http/);
    assertBadInput(await runCli([...common, '--shards', '2', '--memory', '4 GB']), /--memory "4 GB" is not a Kubernetes quantity/);
  });

  test('a variable set only in this shell is not what the pods get: file:line:col and -e in the hint', { timeout: 30_000 }, async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'wsherd-k8s-var-'));
    try {
      writeFileSync(path.join(dir, 's.yaml'), 'name: v\ntarget: ${MY_TARGET}\nclients: 4\nphases:\n  - ramp_up: 1s\n');
      const r = await runCli(['k8s', 'render', path.join(dir, 's.yaml'), '--shards', '2', ...IMAGE], { MY_TARGET: 'ws://x.svc:1/' });
      assertBadInput(r, /s\.yaml:2:9 environment variable MY_TARGET is not set \(set it before the command or with -e MY_TARGET=/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('wsherd k8s wait (CLI)', () => {
  let dir = '';
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'wsherd-k8s-wait-'));
    mkdirSync(path.join(dir, 'shard-0'));
    writeFileSync(path.join(dir, 'shard-0/results.json'), '{}');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('ends by its timeout, exit 0, naming the shard that wrote nothing', { timeout: 30_000 }, async () => {
    const started = Date.now();
    const r = await runCli(['k8s', 'wait', '--dir', dir, '--shards', '2', '--timeout', '2s', '--poll', '100ms', '--job', 'x-shards'], { KUBERNETES_SERVICE_HOST: '' });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(Date.now() - started >= 2000);
    assert.match(r.stderr, /Not in a pod \(no service account\): job\/x-shards is not read/);
    assert.match(r.stderr, /Stopped waiting after 2 s: 1 of 2 shards wrote results; no results from shard 1 \(the merge will be partial and say so\)/);
  });

  test('returns at once when every shard has written', { timeout: 30_000 }, async () => {
    const r = await runCli(['k8s', 'wait', '--dir', dir, '--shards', '1', '--timeout', '10m']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /All 1 shard wrote results/);
  });
});
