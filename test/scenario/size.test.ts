/**
 * Issue 15: a huge or hostile scenario fails at once with the limit named — a 100 MB file used to load for more
 * than 400 s, and 20,000-deep nesting surfaced as "Maximum call stack size exceeded" called a YAML syntax error.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadScenario, parseScenario } from '../../src/scenario/index.js';
import { MAX_COLLECTION_ITEMS, MAX_SCENARIO_BYTES, MAX_SCENARIO_DEPTH } from '../../src/scenario/size.js';
import type { ScenarioError } from '../../src/errors.js';

const HEAD = 'name: x\ntarget: ws://127.0.0.1:9/\nclients: 1\n';

function problems(fn: () => unknown): string[] {
  try {
    fn();
  } catch (e) {
    return (e as ScenarioError).problems.map((p) => `${p.line}:${p.col} ${p.message}`);
  }
  assert.fail('expected a ScenarioError');
}

describe('scenario size limits', () => {
  test('a file over the limit is refused before it is read, with both sizes', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'wsherd-size-'));
    try {
      const file = path.join(dir, 'big.yaml');
      writeFileSync(file, HEAD + `# ${'x'.repeat(MAX_SCENARIO_BYTES)}\n`);
      await assert.rejects(loadScenario(file), (e: ScenarioError) => {
        assert.equal(e.code, 'WSH_ERR_SCENARIO_INVALID');
        assert.match(e.message, /big\.yaml:1:1 the file is 1\.0 MB; a scenario may be at most 1\.0 MB/);
        return true;
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('20,000-deep flow nesting: the depth limit at its place, not a stack overflow', () => {
    const lines = problems(() => parseScenario(`${HEAD}behavior:\n  headers: ${'['.repeat(20_000)}${']'.repeat(20_000)}\n`, 's.yaml'));
    assert.equal(lines.length, 1);
    assert.match(lines[0] as string, new RegExp(`^5:\\d+ maps and lists nest more than ${MAX_SCENARIO_DEPTH} levels deep here`));
    assert.doesNotMatch(lines[0] as string, /call stack/);
  });

  test('deep block nesting too', () => {
    const deep = Array.from({ length: 100 }, (_, i) => `${' '.repeat(2 * i + 2)}k${i}:`).join('\n');
    const lines = problems(() => parseScenario(`${HEAD}behavior:\n${deep}\n`, 's.yaml'));
    assert.match(lines[0] as string, /nest more than 64 levels deep here/);
  });

  test(`a map of more than ${MAX_COLLECTION_ITEMS} entries is refused at its line, quickly`, () => {
    const headers = Array.from({ length: MAX_COLLECTION_ITEMS + 1 }, (_, i) => `    X-H${i}: v`).join('\n');
    const lines = problems(() => parseScenario(`${HEAD}behavior:\n  headers:\n${headers}\n`, 's.yaml'));
    assert.deepEqual(lines, [`6:5 this map has 10,001 entries; a scenario map or list may have at most 10,000`]);
  });

  test('duplicate keys are still found, at the second one', () => {
    assert.deepEqual(problems(() => parseScenario(`${HEAD}behavior:\n  payload_bytes: 1\n  payload_bytes: 2\n`, 's.yaml')), ['6:3 YAML syntax error: Map keys must be unique']);
  });
});
