import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runCompare } from '../../src/compare/run.js';
import { parseScenario } from '../../src/scenario/load.js';

const SCENARIO = `name: cmp
lab:
  backends: {count: 2}
clients: 20
workers: 1
phases: [{ramp_up: 1s}, {hold: 1s}, {ramp_down: 500ms}]
behavior: {messages_per_second: 1}
thresholds: [errors.rate == 0]
compare:
  - round-robin
  - {name: hash, strategy: source-ip-hash}
`;

describe('runCompare', () => {
  test('each approach on a fresh lab with its own results; compare.json and compare.html side by side', { timeout: 60_000 }, async () => {
    const out = mkdtempSync(path.join(tmpdir(), 'wsherd-compare-'));
    const { compare, files, runs } = await runCompare({ scenario: parseScenario(SCENARIO, 'cmp.yaml'), outDir: out });
    assert.equal(compare.format, 'wsherd-compare');
    assert.equal(compare.status, 'complete');
    assert.deepEqual(compare.approaches.map((a) => [a.name, a.proxy.strategy, a.status, a.metrics?.established]), [
      ['round-robin', 'round-robin', 'complete', 20],
      ['hash', 'source-ip-hash', 'complete', 20],
    ]);
    // Every client comes from 127.0.0.1: round robin splits 10/10, the source hash puts all 20 on one backend.
    assert.equal(runs[0]?.backends.skew?.peakToAverage, 1);
    assert.equal(runs[1]?.backends.skew?.peakToAverage, 2);
    assert.deepEqual(compare.best.peakToAverage, ['round-robin']);
    assert.equal(compare.best.established, undefined, 'a tie on every approach marks none');
    for (const a of compare.approaches) {
      assert.ok(a.results && existsSync(path.join(out, a.results)), `${a.name} wrote its own results`);
      assert.match(a.sentence, /^20 of 20 connections established, error rate 0\.00%/);
    }
    const saved = JSON.parse(readFileSync(files.json, 'utf8')) as typeof compare;
    assert.deepEqual(saved.approaches.map((a) => a.name), ['round-robin', 'hash']);
    const html = readFileSync(files.html, 'utf8');
    assert.match(html, /<h1>cmp: 2 approaches compared<\/h1>/);
    assert.match(html, /<td class="num best">1\.000 ★<\/td>/);
    assert.match(html, /<a href="01-round-robin\/index\.html">round-robin<\/a>/);
  });

  test('an abort skips the approaches not yet run and marks them', { timeout: 60_000 }, async () => {
    const out = mkdtempSync(path.join(tmpdir(), 'wsherd-compare-'));
    const abort = new AbortController();
    abort.abort('SIGINT');
    const { compare } = await runCompare({ scenario: parseScenario(SCENARIO, 'cmp.yaml'), outDir: out, signal: abort.signal });
    assert.deepEqual(compare.approaches.map((a) => a.status), ['skipped', 'skipped']);
    assert.ok(existsSync(path.join(out, 'compare.json')));
  });
});
