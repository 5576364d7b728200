/**
 * examples/ci/github-actions.yml and gitlab-ci.yml, run as their CI would run them (issue 18): the files are parsed
 * with the YAML library, the matrix / parallel variables are filled in for N = 2, and the plan, shard and merge steps'
 * own shell lines run under bash (`-eo pipefail`, as both CIs do) — the shards at the same time, each in its own job
 * folder, artifacts copied between them as upload/download (or GitLab's `paths`) would. `wsherd` is this checkout's
 * CLI on PATH, and the target a plain `ws` echo server of the test's own that counts the connections it accepted: the
 * merged results.json must report exactly that many established.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { WebSocketServer } from 'ws';
import { parse } from 'yaml';
import { ROOT, BIN } from '../helpers/cli.js';

const N = 2;
const CLIENTS = 60;
/** Seconds from the plan job to second 0: both shards' start-up (Node, workers, warm-up) on a busy 2-core box. */
const START_DELAY_S = '12';

interface Bash { code: number | null; stdout: string; stderr: string }

/** Runs `script` as a CI step does: bash -eo pipefail, in `cwd`, with `env` over a clean PATH holding the shim. */
function bash(script: string, cwd: string, env: Record<string, string>): Promise<Bash> {
  const child = spawn('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', script], { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
  return new Promise((resolve) => child.on('close', (code) => {
    clearTimeout(timer);
    resolve({ code, stdout, stderr });
  }));
}

/** `${{ expr }}` → its value; an expression the test does not know fails the test (no silent blanks). */
function expand(text: string, values: Readonly<Record<string, string>>): string {
  return text.replace(/\$\{\{\s*(.+?)\s*\}\}/g, (_, expr: string) => {
    const v = values[expr];
    if (v === undefined) throw new Error(`the test has no value for \${{ ${expr} }}`);
    return v;
  });
}

function expandAll(env: Record<string, unknown> | undefined, values: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(env ?? {}).map(([k, v]) => [k, expand(String(v), values)]));
}

/** A plain ws echo server counting the WebSocket connections it accepted (its own count, not wsherd's). */
async function echoServer(): Promise<{ url: string; accepted: () => number; close: () => Promise<void> }> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  let accepted = 0;
  wss.on('connection', (ws) => {
    accepted++;
    ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  });
  await once(wss, 'listening');
  const { port } = wss.address() as AddressInfo;
  return {
    url: `ws://127.0.0.1:${port}/`,
    accepted: () => accepted,
    close: async () => {
      for (const c of wss.clients) c.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}

/** A job's fresh folder with the checkout's scenarios (what actions/checkout or GitLab's clone gives a job). */
function jobDir(root: string, name: string): string {
  const dir = path.join(root, name);
  mkdirSync(dir, { recursive: true });
  cpSync(path.join(ROOT, 'scenarios'), path.join(dir, 'scenarios'), { recursive: true });
  return dir;
}

/** What both CIs share: the shim, the load's size, a run quick enough for a test. */
function baseEnv(bin: string): Record<string, string> {
  return {
    PATH: `${bin}:${process.env.PATH ?? ''}`,
    WSHERD_CLIENTS: String(CLIENTS),
    WSHERD_HOLD: '2s',
    // Two shards and the test runner share two cores: a stalled generator is not what is tested here (exit 7).
    WSHERD_ACCEPT_SATURATED: '1',
    NO_COLOR: '1',
    GITHUB_STEP_SUMMARY: '',
  };
}

function assertMerged(mergedDir: string, server: { accepted: () => number }, merge: Bash): void {
  assert.ok(existsSync(path.join(mergedDir, 'results.json')), `merge wrote no results.json (exit ${merge.code}): ${merge.stderr}${merge.stdout}`);
  const results = JSON.parse(readFileSync(path.join(mergedDir, 'results.json'), 'utf8')) as { summary: { counters: { established: number } }; thresholds: Array<{ pass: boolean }> };
  assert.ok(server.accepted() > 0, 'the server saw connections');
  assert.equal(results.summary.counters.established, server.accepted(), 'merged established = what the target accepted');
  assert.equal(server.accepted(), CLIENTS, 'every client of both shards connected');
  // The merge step's exit is the thresholds' verdict: 0 when all pass, 3 when one failed (and the CI job fails).
  assert.equal(merge.code, results.thresholds.every((t) => t.pass) ? 0 : 3, merge.stderr);
  assert.ok(existsSync(path.join(mergedDir, 'summary.md')) && existsSync(path.join(mergedDir, 'junit.xml')));
}

/** Both shards of one run, none missing, started on the same second (--start-at from the plan job). */
function assertShards(mergedDir: string, runId: string): void {
  const { merge } = JSON.parse(readFileSync(path.join(mergedDir, 'results.json'), 'utf8')) as { merge?: { count: number; runId?: string; missing: number[]; shards: unknown[]; startSpreadMs: number } };
  assert.ok(merge !== undefined, 'the merged results say they come from shards');
  assert.deepEqual({ count: merge.count, runId: merge.runId, missing: merge.missing, shards: merge.shards.length }, { count: N, runId, missing: [], shards: N });
  assert.ok(merge.startSpreadMs < 1000, `shards started ${merge.startSpreadMs} ms apart: ${JSON.stringify(merge.shards)}`);
}

describe('examples/ci: the CI files run as written', () => {
  let tmp = '';
  let bin = '';
  before(() => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'wsherd-ci-examples-'));
    bin = path.join(tmp, 'bin');
    mkdirSync(bin);
    writeFileSync(path.join(bin, 'wsherd'), `#!/bin/sh\nexec "${process.execPath}" "${BIN}" "$@"\n`);
    chmodSync(path.join(bin, 'wsherd'), 0o755);
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  test('github-actions.yml: plan, a matrix of 2 shards at the same second, artifacts, merge', { timeout: 240_000 }, async () => {
    const wf = parse(readFileSync(path.join(ROOT, 'examples/ci/github-actions.yml'), 'utf8')) as {
      env: Record<string, string>;
      jobs: Record<string, { steps: Array<{ name?: string; id?: string; run?: string; uses?: string; env?: Record<string, string>; with?: Record<string, string> }>; strategy?: { matrix: { shard: number[] } }; needs?: string | string[] }>;
    };
    const { plan, shard, merge } = wf.jobs;
    assert.ok(plan !== undefined && shard !== undefined && merge !== undefined);
    // The file's own shard count and matrix agree; the test then runs N of them.
    assert.deepEqual(shard.strategy?.matrix.shard, Array.from({ length: Number(wf.env.WSHERD_SHARDS) }, (_, i) => i));
    assert.deepEqual([shard.needs, merge.needs], ['plan', 'shard']);
    const server = await echoServer();
    try {
      const root = path.join(tmp, 'github');
      const env = { ...baseEnv(bin), ...wf.env, WSHERD_SHARDS: String(N), WSHERD_START_DELAY: START_DELAY_S };

      // plan: the start time, through $GITHUB_OUTPUT.
      const planDir = jobDir(root, 'plan');
      const output = path.join(planDir, 'github-output');
      writeFileSync(output, '');
      for (const step of plan.steps) assert.equal((await bash(step.run ?? '', planDir, { ...env, GITHUB_OUTPUT: output })).code, 0);
      const startAt = /^start-at=(.+)$/m.exec(readFileSync(output, 'utf8'))?.[1] ?? '';
      assert.match(startAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);

      // The shards, at once; steps that install or upload are played by the test (the shim; the artifact copy).
      const artifacts = path.join(root, 'artifacts');
      // One checkout path for every shard, as GitHub-hosted runners have (/home/runner/work/<repo>/<repo>): merge
      // compares the shards' resolved scenarios, and the scenario's absolute path is part of it.
      const checkout = jobDir(root, 'checkout');
      const runs = Array.from({ length: N }, async (_, i) => {
        const dir = checkout;
        const values = { 'matrix.shard': String(i), 'needs.plan.outputs.start-at': startAt, 'vars.WSHERD_TARGET': server.url, 'github.run_id': '4242', 'github.run_attempt': '1' };
        for (const step of shard.steps) {
          if (step.uses?.startsWith('actions/upload-artifact') === true) {
            cpSync(path.join(dir, expand(step.with?.path ?? '', values)), path.join(artifacts, expand(step.with?.name ?? '', values)), { recursive: true });
          } else if (step.name === 'Run shard') {
            const r = await bash(expand(step.run ?? '', values), dir, { ...env, ...expandAll(step.env, values) });
            assert.equal(r.code, 0, `shard ${i}: ${r.stderr}`);
          } else if (step.run !== undefined) {
            assert.match(step.run, /^npm install --global /, 'only the install is left to the CI');
          }
        }
      });
      await Promise.all(runs);

      // merge: download by pattern (one folder per artifact), then the merge line, with the step summary.
      const mergeDir = jobDir(root, 'merge');
      const summary = path.join(mergeDir, 'step-summary.md');
      let mergeRun: Bash | undefined;
      for (const step of merge.steps) {
        if (step.uses?.startsWith('actions/download-artifact') === true) {
          const pattern = new RegExp(`^${(step.with?.pattern ?? '').replace(/\*/g, '.*')}$`);
          for (const name of readdirSync(artifacts).filter((a) => pattern.test(a))) cpSync(path.join(artifacts, name), path.join(mergeDir, step.with?.path ?? '', name), { recursive: true });
        } else if (step.name === 'Merge') {
          mergeRun = await bash(step.run ?? '', mergeDir, { ...env, GITHUB_STEP_SUMMARY: summary });
        }
      }
      assert.ok(mergeRun !== undefined, 'a step named Merge');
      assertMerged(path.join(mergeDir, 'merged'), server, mergeRun);
      assert.match(readFileSync(summary, 'utf8'), /wsherd|threshold/i, 'the summary went to the workflow page');
      assertShards(path.join(mergeDir, 'merged'), '4242-1');
    } finally {
      await server.close();
    }
  });

  test('gitlab-ci.yml: plan (dotenv), parallel: 2 with CI_NODE_INDEX from 1, artifacts, merge', { timeout: 240_000 }, async () => {
    const ci = parse(readFileSync(path.join(ROOT, 'examples/ci/gitlab-ci.yml'), 'utf8')) as Record<string, {
      script?: string[]; before_script?: string[]; parallel?: number; needs?: string[]; artifacts?: { paths?: string[]; reports?: { dotenv?: string } };
    }> & { variables: Record<string, string> };
    const plan = ci['wsherd-plan'];
    const shard = ci['wsherd-shard'];
    const merge = ci['wsherd-merge'];
    assert.ok(plan !== undefined && shard !== undefined && merge !== undefined);
    assert.equal(typeof shard.parallel, 'number');
    assert.deepEqual([shard.needs, merge.needs], [['wsherd-plan'], ['wsherd-shard']]);
    const server = await echoServer();
    try {
      const root = path.join(tmp, 'gitlab');
      const env = { ...baseEnv(bin), ...ci.variables, WSHERD_START_DELAY: START_DELAY_S, CI_PIPELINE_ID: '777', WSHERD_TARGET: server.url };
      const script = (lines: string[] | undefined): string => (lines ?? []).join('\n');

      const planDir = jobDir(root, 'plan');
      assert.equal((await bash(script(plan.script), planDir, env)).code, 0);
      const dotenv = Object.fromEntries(readFileSync(path.join(planDir, plan.artifacts?.reports?.dotenv ?? ''), 'utf8').trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
      assert.match(dotenv.WSHERD_START_AT ?? '', /Z$/);

      for (const line of shard.before_script ?? []) assert.match(line, /^npm install --global /, 'only the install is left to the CI');
      const mergeDir = jobDir(root, 'merge');
      // One clone path for every shard job (see the GitHub test; on GitLab: docs/sharding.md, "CI matrices").
      const checkout = jobDir(root, 'checkout');
      await Promise.all(Array.from({ length: N }, async (_, k) => {
        const dir = checkout;
        const r = await bash(script(shard.script), dir, { ...env, ...dotenv, CI_NODE_INDEX: String(k + 1), CI_NODE_TOTAL: String(N) });
        assert.equal(r.code, 0, `CI_NODE_INDEX ${k + 1}: ${r.stderr}`);
      }));
      for (const p of shard.artifacts?.paths ?? []) cpSync(path.join(checkout, p), path.join(mergeDir, p), { recursive: true });
      // CI_NODE_INDEX 1..N became shards 0..N-1.
      assert.deepEqual(readdirSync(path.join(mergeDir, 'shards')).sort(), Array.from({ length: N }, (_, i) => `shard-${i}`));

      const mergeRun = await bash(script(merge.script), mergeDir, env);
      assertMerged(path.join(mergeDir, 'merged'), server, mergeRun);
      assertShards(path.join(mergeDir, 'merged'), '777');
    } finally {
      await server.close();
    }
  });
});
