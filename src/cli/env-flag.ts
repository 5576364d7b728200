/**
 * `-e NAME=VALUE` (k6's flag): values for `${NAME}` references in a scenario, over the process environment, so a
 * CI job can pass a target or a client count without exporting it to every child process.
 */
import { Flags } from '@oclif/core';
import { WsherdError } from '../errors.js';
import type { Env } from '../scenario/interpolate.js';

export const envFlag = Flags.string({
  char: 'e',
  multiple: true,
  // One value per -e, so `-e K=V scenario.yaml` leaves the scenario to the argument (k6's order works too).
  multipleNonGreedy: true,
  description: 'NAME=VALUE for ${NAME} in the scenario (repeatable; over the environment). See docs/scenario.md, "Variables".',
});

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** process.env with each `NAME=VALUE` of the flag on top; a malformed item is invalid input (exit 2). */
export function scenarioEnv(items: readonly string[] | undefined, base: Env = process.env): Env {
  const env: Record<string, string | undefined> = { ...base };
  for (const item of items ?? []) {
    const eq = item.indexOf('=');
    const name = eq < 0 ? item : item.slice(0, eq);
    if (eq < 0 || !NAME.test(name)) {
      throw new WsherdError('WSH_ERR_INVALID_INPUT', `-e ${item}: expected NAME=VALUE.`, {
        hint: 'e.g. -e TARGET=ws://127.0.0.1:8080 -e CLIENTS=500 (names are letters, digits and _)',
      });
    }
    env[name] = item.slice(eq + 1);
  }
  return env;
}
