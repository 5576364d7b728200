/**
 * Balancing strategy names the scenario file accepts for `lab.proxy.strategy`. The reference proxy implements
 * one file per strategy under src/proxy/strategies/; when a strategy lands there, its name is added here so
 * scenarios can select it (and unknown names get a "did you mean" hint against this list).
 */
export const KNOWN_STRATEGIES: readonly string[] = ['round-robin'];

export function isKnownStrategy(name: string): boolean {
  return KNOWN_STRATEGIES.includes(name);
}
