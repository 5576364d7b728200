import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ROOT, runCli } from '../helpers/cli.js';

const scenario = path.join(ROOT, 'test/fixtures/cli/tiny-vars.yaml');
const tmp = (): string => mkdtempSync(path.join(tmpdir(), 'wsherd-env-'));

describe('${NAME} in scenarios, -e NAME=VALUE (the real binary)', () => {
  test('-e wins over the environment; the run uses the substituted values', { timeout: 60_000 }, async () => {
    const out = tmp();
    const res = await runCli(['run', scenario, '--out', out, '-q', '-e', 'CLIENTS=12', '-e', 'BACKENDS=3', '--env', 'SUFFIX=ci'], { CLIENTS: '999', STRATEGY: 'least-connections' });
    assert.equal(res.code, 0, res.stderr + res.stdout);
    const results = JSON.parse(readFileSync(path.join(out, 'results.json'), 'utf8'));
    assert.equal(results.scenario.name, 'tiny-vars-ci');
    assert.equal(results.scenario.clients, 12);
    assert.equal(results.scenario.lab.proxy.strategy, 'least-connections');
    assert.equal(results.summary.counters.established, 12);
    assert.equal(results.backends.perBackend.length, 3);
  });

  test('-e before the scenario leaves the file to the argument (issue 15: it swallowed it)', { timeout: 60_000 }, async () => {
    const out = tmp();
    const res = await runCli(['run', '-e', 'CLIENTS=7', '-e', 'BACKENDS=2', scenario, '--out', out, '-q']);
    assert.equal(res.code, 0, res.stderr + res.stdout);
    const results = JSON.parse(readFileSync(path.join(out, 'results.json'), 'utf8'));
    assert.equal(results.scenario.clients, 7);
    assert.equal(results.backends.perBackend.length, 2);
  });

  test('an unset required variable: exit 2, file:line:col and the message the scenario wrote, no stack', async () => {
    const res = await runCli(['run', scenario], { CLIENTS: '' });
    assert.equal(res.code, 2, res.stderr);
    assert.match(res.stderr, /tiny-vars\.yaml:7:10 how many clients, e\.g\. -e CLIENTS=20 \(environment variable CLIENTS is not set\)/);
    assert.doesNotMatch(res.stderr, /\n\s+at /);
  });

  test('a malformed -e item: exit 2 with the form expected', async () => {
    const res = await runCli(['run', scenario, '-e', 'CLIENTS']);
    assert.equal(res.code, 2, res.stderr);
    assert.match(res.stderr, /-e CLIENTS: expected NAME=VALUE/);
  });
});
