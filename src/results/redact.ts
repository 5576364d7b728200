/**
 * Secrets kept out of what a run writes. results.json embeds the scenario as run and is meant to be shared (CI
 * artifacts, `wsherd compare`, the HTML report), so credential-bearing header values are replaced; the names stay,
 * so a reader still sees that the run authenticated. Other header values, and behavior.query, are recorded as given:
 * per-client templates (`{{ client % 50 }}`) as the template text, never one client's value.
 */
import type { Scenario } from '../scenario/types.js';

export const REDACTED = '<redacted>';
/** Headers whose values are credentials, lower case. */
export const SECRET_HEADERS: readonly string[] = ['authorization', 'proxy-authorization', 'cookie'];

/** The scenario with the values of SECRET_HEADERS in behavior.headers replaced by `<redacted>` (a copy when any). */
export function redactScenario(scenario: Scenario): Scenario {
  const headers = scenario.behavior.headers;
  if (headers === undefined || !Object.keys(headers).some((n) => SECRET_HEADERS.includes(n.toLowerCase()))) return scenario;
  const shown = Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, SECRET_HEADERS.includes(name.toLowerCase()) ? REDACTED : value]));
  return { ...scenario, behavior: { ...scenario.behavior, headers: shown } };
}
