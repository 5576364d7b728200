/** What a shard's and a merge's summary and report say (src/report/shards-section.ts). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderHtml } from '../../src/report/html.js';
import { renderSummary } from '../../src/report/summary.js';
import { Aggregator } from '../../src/metrics/aggregate.js';
import type { Results } from '../../src/results/types.js';
import { sampleResults } from '../results/fixture.js';

const shard = (): Results => ({
  ...sampleResults(),
  thresholds: [],
  shard: { index: 1, count: 3, runId: 'nightly-42', host: 'gen-1', loadStartMs: 1_800_000_000_000, sync: { kind: 'barrier', url: 'http://barrier:8089', arrived: 3, waitedMs: 812 }, clockOffsetMs: -12.5, clockUncertaintyMs: 0.4, clients: 334 },
  raw: new Aggregator().raw(),
});

const merged = (): Results => ({
  ...sampleResults(),
  merge: {
    count: 3, runId: 'nightly-42', missing: [2], startSpreadMs: 1_450, clockSpreadMs: 20, warnings: ['The shards\' second 0 spread over 1,450 ms (tolerance 1,000 ms)'],
    shards: [0, 1].map((index) => ({ index, file: `/r/shard-${index}/results.json`, status: 'complete' as const, host: `gen-${index}`, startOffsetMs: index * 1450, shiftSeconds: index, clockOffsetMs: index * 20, clockUncertaintyMs: 0.5, clients: 334, established: 330, workers: 2 })),
  },
});

test('a shard says which part of which run it is, and that its thresholds are judged on the merge', () => {
  const text = renderSummary(shard(), { color: false });
  assert.match(text, /Shard 1 of 3 {2}run nightly-42/);
  assert.match(text, /334 of the scenario's .* clients \(the slots s with s % 3 = 1\); started at the barrier http:\/\/barrier:8089 \(3 shards arrived; waited 812 ms\); clock -12\.5 ms from the barrier's \(±0\.400\)/);
  assert.match(text, /thresholds are judged on the merged figures/);
  const html = renderHtml(shard());
  assert.match(html, /<section id="shards"><h2>Shard 1 of 3<\/h2>/);
  assert.match(html, /<a href="#shards">Shards<\/a>/);
  // The raw metrics stay in results.json: the page does not carry them.
  assert.doesNotMatch(html, /"raw":/);
});

test('a merge lists its shards, what is missing and its warnings', () => {
  const text = renderSummary(merged(), { color: false });
  assert.match(text, /Merged 2 of 3 shards {2}run nightly-42/);
  assert.match(text, /second 0 spread over 1,450 ms; clocks 20\.0 ms apart/);
  assert.match(text, /missing: shard 2/);
  assert.match(text, /tolerance 1,000 ms/);
  const html = renderHtml(merged());
  assert.match(html, /<section id="shards"><h2>Shards<\/h2>/);
  assert.match(html, /Missing: shard 2 of 3/);
  assert.equal((html.match(/<td><code>gen-\d<\/code><\/td>/g) ?? []).length, 2);
});

test('a run that is neither shows nothing of it', () => {
  assert.doesNotMatch(renderSummary(sampleResults(), { color: false }), /Shard|Merged/);
  assert.doesNotMatch(renderHtml(sampleResults()), /id="shards"/);
});
