import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseScenario } from '../../src/scenario/load.js';
import { rejectText } from './helpers.js';

const lines = (text: string): string[] => rejectText(text, 'c.yaml').problems.map((p) => `${p.line}:${p.col} ${p.message}`);
/** A lab scenario whose compare list starts on line 6. */
const withCompare = (list: string, proxy = '{strategy: round-robin}'): string => `name: c\nclients: 10\nlab:\n  backends: {count: 2}\n  proxy: ${proxy}\ncompare:\n${list}`;

describe('compare:', () => {
  test('strategy names take the lab proxy (l7 when the strategy needs it); maps are full proxy sections', () => {
    const s = parseScenario(withCompare('  - round-robin\n  - cookie\n  - {name: hash, strategy: consistent-hash, options: {points_per_backend: 40}}\n', '{strategy: maglev, options: {table_size: 101}, maxconn: 50}'), 'c.yaml');
    assert.deepEqual(s.compare, [
      { name: 'round-robin', proxy: { strategy: 'round-robin', mode: 'l4', host: '127.0.0.1', maxconn: 50 }, approach: 'proxy' },
      { name: 'cookie', proxy: { strategy: 'cookie', mode: 'l7', host: '127.0.0.1', maxconn: 50 }, approach: 'proxy' },
      { name: 'hash', proxy: { strategy: 'consistent-hash', mode: 'l4', host: '127.0.0.1', options: { pointsPerBackend: 40 } }, approach: 'proxy' },
    ]);
  });

  test('problems: unknown strategy, duplicate names, a strategy needing l7 in an l4 map, target instead of lab, not a list', () => {
    assert.deepEqual(lines(withCompare('  - round-robn\n  - round-robin\n  - round-robin\n  - {strategy: cookie}\n')), [
      '7:5 unknown strategy "round-robn" in compare[0]',
      '9:5 two approaches are named "round-robin"',
      '10:16 strategy "cookie" needs mode l7, but compare[3].mode defaults to l4',
    ]);
    assert.deepEqual(lines('name: c\nclients: 10\ntarget: ws://127.0.0.1:9/\ncompare: [round-robin]\n'), ['4:10 compare varies the lab\'s proxy, but this scenario uses target']);
    assert.deepEqual(lines(withCompare('  round-robin\n')), ['7:3 compare must be a list of 1 to 16 approaches']);
  });
});
