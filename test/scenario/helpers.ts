/** Shared by the scenario tests: fixture paths (tests run from dist/test/scenario/, fixtures stay in test/). */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { ScenarioError } from '../../src/errors.js';
import { parseScenario } from '../../src/scenario/load.js';

export const fixturesDir = fileURLToPath(new URL('../../../test/fixtures/scenarios/', import.meta.url));

export function fixture(name: string): string {
  return readFileSync(fixturesDir + name, 'utf8');
}

/** Parses `text` expecting failure; returns the ScenarioError. */
export function rejectText(text: string, file = 'inline.yaml'): ScenarioError {
  try {
    parseScenario(text, file);
  } catch (err) {
    assert.ok(err instanceof ScenarioError, `expected a ScenarioError, got ${String(err)}`);
    return err;
  }
  assert.fail(`${file} was accepted`);
}

/** The problem lines of a rejected fixture, as printed (`file:line:col message (hint)`), without the heading. */
export function problemLines(name: string): string[] {
  const err = rejectText(fixture(name), name);
  const [heading, ...lines] = err.message.split('\n');
  assert.equal(heading, err.problems.length === 1 ? 'The scenario has 1 problem:' : `The scenario has ${err.problems.length} problems:`);
  return lines.map((l) => l.replace(/^ {2}/, ''));
}

/** A valid scenario's text with some lines appended (for short inline cases). */
export function targetScenario(extra: string): string {
  return `name: inline\ntarget: ws://127.0.0.1:9001/\nclients: 100\n${extra}`;
}
