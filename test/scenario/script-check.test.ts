/** behavior.script modules are checked when the scenario loads: one that does not load is bad input at its key. */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadScenario } from '../../src/scenario/index.js';
import { ScenarioError } from '../../src/errors.js';
import { FlowAggregator } from '../../src/metrics/flow-aggregate.js';
import { summarizeFlow } from '../../src/analysis/flow.js';

function scenarioWith(module: string, body: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'wsherd-script-'));
  writeFileSync(path.join(dir, module), body);
  const file = path.join(dir, 's.yaml');
  writeFileSync(file, `name: s\ntarget: ws://127.0.0.1:9/\nclients: 2\nphases:\n  - ramp_up: 1s\nbehavior:\n  script: ./${module}\n`);
  return file;
}

async function problem(file: string): Promise<string> {
  try {
    await loadScenario(file);
  } catch (err) {
    assert.ok(err instanceof ScenarioError, String(err));
    return err.problems.map((p) => `${path.basename(p.file)}:${p.line}:${p.col} ${p.message} (${p.hint ?? ''})`).join('\n');
  }
  return 'no problem';
}

describe('behavior.script is loaded when the scenario loads', () => {
  test('a module that throws at its top level is refused at the script key, with its error', async () => {
    assert.match(await problem(scenarioWith('bad.mjs', "throw new Error('boom at import');\n")), /^s\.yaml:7:11 behavior\.script: .*bad\.mjs cannot be loaded: boom at import \(run it with `node --check`/);
  });
  test('a syntax error names its kind', async () => {
    assert.match(await problem(scenarioWith('syntax.mjs', 'export default async function (s) {\n')), /syntax\.mjs cannot be loaded: SyntaxError: /);
  });
  test('a module without a default function is refused, with what to write', async () => {
    assert.match(await problem(scenarioWith('none.mjs', 'export const x = 1;\n')), /none\.mjs has no default export function \(export default async function \(session\)/);
  });
  test('a good module loads', async () => {
    const s = await loadScenario(scenarioWith('good.mjs', 'export default async function (s) { s.send("x"); }\n'));
    assert.ok(s.behavior.script?.module.endsWith('good.mjs'));
  });
});

describe('a step failure sample survives the merge', () => {
  test('the first sample per step is kept, whichever worker had it, and reaches the summary', () => {
    const agg = new FlowAggregator();
    agg.add({ steps: { script: { ok: 0, errors: { script_error: 1 }, sample: 'client 0: first' } } });
    agg.add({ steps: { script: { ok: 1, errors: { script_error: 2 }, sample: 'client 1: second' } } });
    const merged = agg.result();
    assert.equal(merged.steps.get('script')?.sample, 'client 0: first');
    const steps = summarizeFlow(merged).steps;
    assert.equal(steps['script']?.sample, 'client 0: first');
    assert.equal(steps['script']?.errorCount, 3);
  });
});
