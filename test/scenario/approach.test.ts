import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseScenario } from '../../src/scenario/load.js';
import { rejectText } from './helpers.js';

const lab = (extra: string, rest = ''): string => `name: a\nclients: 10\nlab:\n  backends: {count: 3}\n${extra}${rest}`;
const problems = (text: string): string[] => rejectText(text, 'a.yaml').problems.map((p) => `${p.line}:${p.col} ${p.message}`);

describe('scenario approaches and faults', () => {
  test('approach dns and orchestrator take their defaults; compare entries name their approach', () => {
    const s = parseScenario(lab('  approach: dns\n', 'compare:\n  - {approach: dns, dns: {ttl: 2s, health: true}}\n  - {approach: orchestrator, orchestrator: {strategy: consistent-hash}}\n  - least-connections\n'), 'a.yaml');
    assert.deepEqual(s.lab?.dns, { name: 'app.wsherd.test', ttlSeconds: 30, health: false, proxies: 2 });
    assert.deepEqual(s.compare?.map((e) => [e.name, e.approach]), [['dns', 'dns'], ['orchestrator-consistent-hash', 'orchestrator'], ['least-connections', 'proxy']]);
    assert.equal(s.compare?.[0]?.dns?.ttlSeconds, 2);
    assert.equal(s.compare?.[1]?.orchestrator?.strategy, 'consistent-hash');
  });

  test('sections that do not go with the approach, and engines that contradict it', () => {
    assert.match(problems(lab('  dns: {ttl: 5s}\n'))[0] ?? '', /lab\.dns applies with approach: dns or dns-proxies/);
    assert.match(problems(lab('  approach: orchestrator\n  orchestrator: {instances: 2}\n'))[0] ?? '', /2 orchestrator instances need a shared registry/);
    assert.match(problems(lab('  approach: dns\n', 'behavior: {engine: socketio}\n'))[0] ?? '', /behavior\.engine: socketio cannot be used with the dns approach/);
    assert.match(problems(lab('', 'behavior: {engine: dns}\n'))[0] ?? '', /behavior\.engine: dns follows from lab\.approach, which is proxy/);
    assert.match(problems(lab('', 'behavior: {dns: {cache: none}}\n'))[0] ?? '', /behavior\.dns applies to dns clients/);
    assert.match(problems(lab('  approach: dns\n  dns: {ttl: 1500ms}\n'))[0] ?? '', /lab\.dns\.ttl must be whole seconds/);
    assert.match(problems('name: a\nclients: 1\ntarget: ws://app.example.test:80/\nbehavior: {engine: dns}\n')[0] ?? '', /needs behavior\.dns\.server/);
  });

  test('faults: times within the phases, backends that exist then (counting the ones added before)', () => {
    const s = parseScenario(lab('', 'phases: [{ramp_up: 1s}, {hold: 29s}]\nfaults:\n  - {at: 20s, action: kill, backend: b4}\n  - {at: 10s, action: add}\n  - {at: 5s, action: drain, backend: b1}\n'), 'a.yaml');
    assert.deepEqual(s.faults?.map((f) => [f.atMs, f.action, f.backend]), [[5000, 'drain', 'b1'], [10000, 'add', undefined], [20000, 'kill', 'b4']]);
    assert.deepEqual(problems(lab('', 'phases: [{ramp_up: 1s}, {hold: 29s}]\nfaults:\n  - {at: 5s, action: kill, backend: b4}\n')), ['7:5 a kill at 5s aims at backend b4, which does not exist then (the lab has b1..b3)']);
    assert.match(problems(lab('', 'phases: [{ramp_up: 1s}, {hold: 29s}]\nfaults:\n  - {at: 40s, action: stop, backend: b1}\n'))[0] ?? '', /faults\[0\]\.at is 40s, but the phases end at 30s/);
    assert.match(problems(lab('', 'faults:\n  - {at: 1s, action: add, backend: b2}\n'))[0] ?? '', /add starts the next backend; it takes no backend/);
    assert.match(problems('name: a\nclients: 1\ntarget: ws://127.0.0.1:9/\nfaults: [{at: 1s, action: add}]\n')[0] ?? '', /faults act on the lab's backends, but this scenario uses target/);
  });
});
