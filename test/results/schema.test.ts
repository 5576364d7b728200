/**
 * schema/results.schema.json is what users validate results.json with in their CI: it must accept what wsherd
 * writes — the sample fixture, and a real lab run with every optional part (faults, population, churn, probes) —
 * and reject what is not a results file. Checked with Ajv (JSON Schema 2020-12), as a user would.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { ROOT } from '../helpers/cli.js';
import { sampleResults } from './fixture.js';
import { flowFixtureSummary } from '../metrics/flow-fixture.js';
import { runScenario } from '../../src/run/run.js';
import { parseScenario } from '../../src/scenario/load.js';
import { RunEvents } from '../../src/run-events.js';

const require = createRequire(import.meta.url);
// Ajv's 2020-12 build is CommonJS; formats (date-time) are annotations here, as in most CI validators.
const Ajv2020 = require('ajv/dist/2020') as new (opts: object) => { compile(schema: object): ((data: unknown) => boolean) & { errors?: unknown } };
const schema = JSON.parse(readFileSync(path.join(ROOT, 'schema/results.schema.json'), 'utf8')) as object;
const validate = new Ajv2020({ strict: false, validateFormats: false, allErrors: true }).compile(schema);

test('the shipped JSON Schema accepts the sample results and rejects what is not one', () => {
  assert.ok(validate(sampleResults()), JSON.stringify(validate.errors));
  assert.equal(validate({ format: 'something-else' }), false);
});

test('the shipped JSON Schema accepts summary.flow and flowHistograms (a flow run), and rejects a negative loss', () => {
  const r = sampleResults();
  r.summary.flow = flowFixtureSummary();
  r.flowHistograms = { 'step:login': 'HISTFAKE', delivery: 'HISTFAKE' };
  const json = JSON.parse(JSON.stringify(r)) as typeof r;
  assert.ok(validate(json), JSON.stringify(validate.errors));
  const bad = JSON.parse(JSON.stringify(r)) as { summary: { flow: { deliveries: { loss: number } } } };
  bad.summary.flow.deliveries.loss = -1;
  assert.equal(validate(bad), false);
});

test('the shipped JSON Schema accepts a real lab run with faults, a population, churn and probes', { timeout: 60_000 }, async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'wsherd-schema-'));
  try {
    const scenario = parseScenario(`name: schema
lab: {backends: {count: 2}, proxy: {strategy: least-connections}}
population: [{name: nat, share: 0.5, addresses: 1}, {share: 0.5, addresses: 4}]
clients: 20
phases: [{ramp_up: 1s}, {hold: 3s}, {ramp_down: 500ms}]
behavior: {lifetime: 1s, reconnect: immediate}
faults: [{at: 2s, action: kill, backend: b2}]
`, 'schema.yaml');
    const out = await runScenario({ scenario, outDir: dir, events: new RunEvents() });
    const written = JSON.parse(await readFile(out.files.results, 'utf8')) as Record<string, unknown>;
    for (const key of ['faults', 'probes']) assert.ok(key in written, key);
    assert.ok(validate(written), JSON.stringify(validate.errors));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
