/**
 * Issue 15: `wsherd init` writes a starter scenario into a fresh folder — a bundled example or one for the user's own
 * server — that loads and validates as written; it never overwrites without --force.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bundledScenarios, initScenario } from '../../src/init/init.js';
import { loadScenario } from '../../src/scenario/index.js';
import { runCli } from '../helpers/cli.js';

const fresh = (): string => mkdtempSync(path.join(os.tmpdir(), 'wsherd-init-'));

describe('wsherd init', () => {
  test('every bundled scenario is listed with its summary and loads as written', async () => {
    const all = bundledScenarios();
    assert.ok(all.some((s) => s.name === 'quickstart'));
    assert.ok(!all.some((s) => s.name === 'plan-example'), 'a plan input is not a load scenario');
    for (const s of all) {
      assert.notEqual(s.summary, '', s.name);
      const dir = fresh();
      const out = await initScenario({ example: s.name }, dir);
      assert.equal(out.file, path.join(dir, `${s.name}.yaml`));
      const scenario = await loadScenario(out.file, { env: {} });
      assert.ok(scenario.name.length > 0);
    }
  });

  test('the default is the quickstart, its "Run it with" line naming the file written', async () => {
    const dir = fresh();
    const out = await initScenario({}, dir);
    assert.equal(out.from, 'quickstart');
    assert.match(readFileSync(out.file, 'utf8'), /Run it with:\s+wsherd run quickstart\.yaml/);
  });

  test('--target writes a scenario for that server, which validates', async () => {
    const dir = fresh();
    const out = await initScenario({ target: 'ws://127.0.0.1:8080/chat' }, dir);
    assert.equal(out.file, path.join(dir, 'wsherd.yaml'));
    const scenario = await loadScenario(out.file, { env: {} });
    assert.equal(scenario.target?.url, 'ws://127.0.0.1:8080/chat');
  });

  test('the real binary: refuses to overwrite (exit 2), names a close example, rejects http://', { timeout: 60_000 }, async () => {
    const dir = fresh();
    writeFileSync(path.join(dir, 'quickstart.yaml'), 'mine\n');
    const exists = await runCli(['init', path.join(dir, 'quickstart.yaml')]);
    assert.equal(exists.code, 2, exists.stderr);
    assert.match(exists.stderr, /already exists\.\nHint: give another file name, or --force to overwrite it/);
    assert.equal(readFileSync(path.join(dir, 'quickstart.yaml'), 'utf8'), 'mine\n');
    const typo = await runCli(['init', '--example', 'stiky-sessions', path.join(dir, 'x.yaml')]);
    assert.equal(typo.code, 2);
    assert.match(typo.stderr, /no bundled scenario "stiky-sessions" \(did you mean "sticky-sessions"\?\)/);
    const http = await runCli(['init', '--target', 'http://127.0.0.1:1/', path.join(dir, 'y.yaml')]);
    assert.equal(http.code, 2);
    assert.match(http.stderr, /--target must be a ws:\/\/ or wss:\/\/ URL/);
    const forced = await runCli(['init', '--force', path.join(dir, 'quickstart.yaml')]);
    assert.equal(forced.code, 0, forced.stderr);
    assert.match(readFileSync(path.join(dir, 'quickstart.yaml'), 'utf8'), /name: quickstart/);
  });
});
