import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseScenario } from '../../src/scenario/load.js';
import { rejectText } from './helpers.js';

const lab = (population: string): string => `name: p\nclients: 10\nlab: {backends: {count: 1}}\npopulation: ${population}\n`;
const problems = (text: string): string[] => rejectText(text, 'p.yaml').problems.map((p) => `${p.line}:${p.col} ${p.message}${p.hint ? ` (${p.hint})` : ''}`);

describe('scenario population', () => {
  test('one group as a map; named groups and distributions as a list', () => {
    assert.deepEqual(parseScenario(lab('{addresses: 16}'), 'p.yaml').population?.groups.map((g) => [g.name, g.share]), [['g1', 1]]);
    const s = parseScenario(lab('[{name: office, share: 0.4, addresses: 1}, {share: 0.6, addresses: [127.0.0.2-127.0.0.4, 127.0.0.9], distribution: zipf}]'), 'p.yaml');
    assert.deepEqual(s.population?.groups.map((g) => [g.name, g.share, g.distribution]), [['office', 0.4, 'uniform'], ['g2', 0.6, 'zipf']]);
    assert.deepEqual(s.population?.groups[1]?.addresses, { list: ['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.9'] });
  });

  test('shares that do not add up to 1', () => {
    assert.deepEqual(problems(lab('[{share: 0.4, addresses: 1}, {share: 0.5, addresses: 2}]')), ['4:13 the shares of population add up to 0.9, not 1 (shares are fractions of the clients: 0.4 + 0.5 must make 1)']);
  });

  test('a lab population outside loopback, a bad block, missing pieces', () => {
    const p = problems(lab('[{share: 0.5, addresses: [10.0.0.1]}, {share: 0.25, cidr: 127.1.0.0/33}, {share: 0.25}, {addresses: 2}]'));
    assert.match(p[0] ?? '', /population\[0\] uses 10\.0\.0\.1, outside 127\.0\.0\.0\/8: the lab runs on loopback/);
    assert.match(p[1] ?? '', /population\[1\]\.cidr must be an IPv4 block like 127\.30\.0\.0\/24, got "127\.1\.0\.0\/33"/);
    assert.match(p[2] ?? '', /population\[2\] needs addresses or cidr/);
    assert.match(p[3] ?? '', /"share" is required in population\[3\]/);
  });

  test('group names: letters, digits, ".", "_", "-" (they reach query strings and headers through {{ group }})', () => {
    assert.deepEqual(problems(lab('[{name: "office NAT", share: 0.5, addresses: 1}, {name: ok-1, share: 0.5, addresses: 2}]')), [
      '4:21 population[0].name must be 1..64 letters, digits, ".", "_" or "-", got "office NAT" (e.g. name: office-nat)',
    ]);
  });

  test('zipf_s needs zipf; a too-large block needs a count; a target population may use any address', () => {
    assert.match(problems(lab('{addresses: 4, zipf_s: 2}'))[0] ?? '', /population\.zipf_s applies only with distribution: zipf/);
    assert.match(problems(lab('{cidr: 127.0.0.0/8}'))[0] ?? '', /holds 16,777,214 addresses, more than 65,536 \(add addresses: N/);
    const t = parseScenario('name: p\nclients: 2\ntarget: ws://127.0.0.1:9/\npopulation: {addresses: [192.0.2.1]}\n', 'p.yaml');
    assert.deepEqual(t.population?.groups[0]?.addresses, { list: ['192.0.2.1'] });
  });
});
