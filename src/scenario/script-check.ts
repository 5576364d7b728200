/**
 * `behavior.script` modules are imported once when the scenario loads, as k6 runs a script's init code first: a
 * module that does not load (a syntax error, a throw at its top level, a missing import) or has no default
 * function is bad input, reported at the `script:` key before anything starts — not 2,000 `script_error`s
 * counted by every client of the run. A throw inside the exported function stays a per-client error, counted.
 */
import { pathToFileURL } from 'node:url';
import { ScenarioError, type ScenarioProblem } from '../errors.js';
import type { Scenario } from './types.js';
import type { ScriptSpec } from './flow-types.js';

/** A module still loading after this long (a top-level await on something that never comes) is refused. */
export const SCRIPT_LOAD_TIMEOUT_MS = 10_000;

export async function checkScripts(scenario: Scenario): Promise<void> {
  const b = scenario.behavior;
  const scripts: Array<[string, ScriptSpec]> = [];
  if (b.script !== undefined) scripts.push(['behavior.script', b.script]);
  for (const r of b.roles ?? []) if (r.script !== undefined) scripts.push([`behavior.roles.${r.name}.script`, r.script]);
  const problems: ScenarioProblem[] = [];
  for (const [where, s] of scripts) {
    const problem = await loadProblem(s.module);
    if (problem !== undefined) problems.push({ ...s.location, path: where, message: `${where}: ${s.module} ${problem.message}`, hint: problem.hint });
  }
  if (problems.length > 0) throw new ScenarioError(problems);
}

async function loadProblem(module: string): Promise<{ message: string; hint: string } | undefined> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const loaded = await Promise.race([
      import(pathToFileURL(module).href) as Promise<{ default?: unknown }>,
      new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), SCRIPT_LOAD_TIMEOUT_MS);
        timer.unref();
      }),
    ]);
    if (loaded === 'timeout') return { message: `did not finish loading within ${SCRIPT_LOAD_TIMEOUT_MS / 1000} s`, hint: 'a top-level await in the module waits for something that never comes: move it into the exported function' };
    if (typeof loaded.default !== 'function') {
      return { message: 'has no default export function', hint: 'export default async function (session) { … } — see docs/flows.md#scripts' };
    }
    return undefined;
  } catch (err) {
    const e = err as Error;
    return { message: `cannot be loaded: ${e.name === 'Error' ? '' : `${e.name}: `}${e.message}`, hint: 'run it with `node --check` (syntax) or import it in node to see where it fails; docs/flows.md#scripts' };
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
}
