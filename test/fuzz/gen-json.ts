/**
 * Malformed JSON request bodies for the HTTP APIs (orchestrator, proxy admin, DNS records): not JSON, the wrong
 * type at the top or in a field, huge strings and numbers, deep nesting, prototype keys, and near-valid objects
 * with one field wrong. `fields` are the names the API expects, so most bodies get past the JSON parse.
 */
import type { Rng } from './prng.js';

const VALUES = (rng: Rng): unknown[] => [
  null, true, 0, -1, 1e308, Number.MAX_SAFE_INTEGER + 2, 0.5, '', 'x'.repeat(rng.pick([10, 1000, 70000])), [], {}, [1, 'a'], { nested: { deep: [] } },
  'ws://127.0.0.1:1/', 'http://127.0.0.1:1/', 'ws://[::1', 'ws://user:pass@127.0.0.1:9/?token=1', rng.text(20),
];

export function genJson(rng: Rng, fields: readonly string[]): string {
  const kind = rng.int(0, 9);
  if (kind === 0) return rng.pick(['', '{', '{"a":', '[1,2', 'nul', '{"a":1}}', '\u0000', '{"a":"\\ud800"}', '{"a":1e999}', '{"__proto__":{"x":1}}', rng.text(rng.size(300))]);
  if (kind === 1) return JSON.stringify(rng.pick(VALUES(rng)));
  if (kind === 2) return `${'['.repeat(rng.pick([100, 5000, 100000]))}${']'.repeat(rng.chance(0.5) ? 0 : 10)}`;
  if (kind === 3) return `{${Array.from({ length: rng.pick([100, 5000]) }, (_, i) => `"k${i}":${i}`).join(',')}}`;
  const o: Record<string, unknown> = {};
  for (const f of fields) if (rng.chance(0.8)) o[f] = rng.chance(0.5) ? rng.pick(VALUES(rng)) : `fuzz-${rng.int(0, 1e6)}`;
  if (rng.chance(0.2)) o[rng.text(8)] = rng.pick(VALUES(rng));
  return JSON.stringify(o);
}
