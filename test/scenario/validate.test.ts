import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseScenario } from '../../src/scenario/load.js';
import { isLoopback } from '../../src/scenario/sections.js';
import { KNOWN_STRATEGIES, isKnownStrategy } from '../../src/scenario/strategies.js';
import { ALL_STRATEGY_NAMES } from '../../src/proxy/strategies/metadata.js';
import { rejectText, targetScenario } from './helpers.js';

const lines = (text: string) => rejectText(text, 'v.yaml').problems.map((p) => `${p.line}:${p.col} ${p.message}${p.hint ? ` (${p.hint})` : ''}`);
const labScenario = (lab: string) => `name: lab\nclients: 10\nlab:\n${lab}`;

describe('document-level problems', () => {
  test('empty file, comments only, a list, a scalar', () => {
    const empty = '1:1 the scenario file is empty (start from scenarios/quickstart.yaml; see docs/scenario.md)';
    assert.deepEqual(lines(''), [empty]);
    assert.deepEqual(lines('# nothing here\n'), [empty]);
    assert.deepEqual(lines('- a\n'), ['1:1 the scenario must be a map, got a list (valid keys: name, lab, target, clients, workers, phases, behavior, thresholds, out, compare, network, population, faults, baseline)']);
    assert.deepEqual(lines('just text\n'), ['1:1 the scenario must be a map, got a string ("just text") (valid keys: name, lab, target, clients, workers, phases, behavior, thresholds, out, compare, network, population, faults, baseline)']);
  });

  test('required keys; a typo of a required key is reported once, as the typo', () => {
    assert.deepEqual(lines('target: ws://127.0.0.1:1/\n'), [
      '1:1 "name" is required (e.g. name: quickstart; it names the results folder)',
      '1:1 "clients" is required (the peak number of concurrent clients, e.g. clients: 1000)',
    ]);
    assert.deepEqual(lines('nmae: x\nclient: 3\ntarget: ws://127.0.0.1:1/\n'), [
      '1:1 unknown key "nmae" (did you mean "name"?)',
      '2:1 unknown key "client" (did you mean "clients"?)',
    ]);
  });

  test('duplicate keys, tabs and several documents are YAML errors with hints', () => {
    assert.deepEqual(lines('name: a\nname: b\n'), ['2:1 YAML syntax error: Map keys must be unique (each key may appear once in a map; remove or rename one)']);
    assert.deepEqual(lines('name: a\n---\nname: b\n'), ['2:1 YAML syntax error: Source contains multiple documents; please use YAML.parseAllDocuments() (a scenario file holds one document; remove the extra "---")']);
  });

  test('name must be usable in a folder name; empty values and null values', () => {
    assert.deepEqual(lines(targetScenario('').replace('name: inline', 'name: a/b')), [
      '1:7 name must use letters, digits, ".", "_" and "-" only, got "a/b" (the name becomes part of the results folder name)',
    ]);
    assert.deepEqual(lines(targetScenario('out: ""\nworkers:\n')), ['4:6 out must not be empty', '5:1 workers has no value (give it a value or remove the key)']);
  });

  test('anchors and aliases resolve', () => {
    const s = parseScenario('name: alias\ntarget: ws://127.0.0.1:1/\nclients: &n 50\nphases:\n  - ramp_up: {duration: 1s, to: *n}\n', 'a.yaml');
    assert.deepEqual(s.phases, [{ kind: 'ramp_up', durationMs: 1000, to: 50 }]);
  });
});

describe('lab', () => {
  test('backends are required, count is required; an empty proxy section means defaults', () => {
    assert.deepEqual(lines(labScenario('  proxy: {}\n')), ['4:3 "backends" is required in lab (e.g. backends: {count: 3})']);
    assert.deepEqual(lines(labScenario('  backends: {kind: ws}\n')), ['4:13 "count" is required in lab.backends (the number of backend processes, e.g. count: 3)']);
    const s = parseScenario(labScenario('  backends: {count: 2}\n  proxy:\n'), 'l.yaml');
    assert.deepEqual(s.lab?.proxy, { strategy: 'round-robin', mode: 'l4', host: '127.0.0.1' });
  });

  test('lab must be a map; backend count has a ceiling', () => {
    assert.deepEqual(lines(labScenario('  - backends\n')), ['4:3 lab must be a map, got a list (valid keys: backends, proxy, approach, dns, orchestrator)']);
    assert.deepEqual(lines(labScenario('  backends: {count: 257}\n')), ['4:21 lab.backends.count must be at most 256, got 257']);
  });

  test('strategy names come from the proxy strategy metadata', () => {
    assert.deepEqual([...KNOWN_STRATEGIES], [...ALL_STRATEGY_NAMES]);
    assert.ok(isKnownStrategy('round-robin'));
    assert.ok(isKnownStrategy('least-connections'));
    assert.ok(isKnownStrategy('cookie'));
    assert.ok(!isKnownStrategy('leastconn'));
    assert.deepEqual(lines(labScenario('  backends: {count: 2}\n  proxy: {strategy: least-connection}\n')), [
      '5:21 unknown strategy "least-connection" in lab.proxy.strategy (did you mean "least-connections"?)',
    ]);
    assert.deepEqual(lines(labScenario('  backends: {count: 2}\n  proxy: {strategy: leastconn}\n')), [
      `5:21 unknown strategy "leastconn" in lab.proxy.strategy (known strategies: ${ALL_STRATEGY_NAMES.join(', ')})`,
    ]);
    const s = parseScenario(labScenario('  backends: {count: 2}\n  proxy: {strategy: maglev}\n'), 'm.yaml');
    assert.deepEqual(s.lab?.proxy, { strategy: 'maglev', mode: 'l4', host: '127.0.0.1' });
  });

  test('an L7-only strategy needs mode l7, reported at the strategy', () => {
    const hint = '(set lab.proxy.mode: l7 (cookie reads the HTTP request), or pick a strategy that works at L4, e.g. consistent-hash or round-robin)';
    assert.deepEqual(lines(labScenario('  backends: {count: 2}\n  proxy: {strategy: cookie}\n')), [
      `5:21 strategy "cookie" needs mode l7, but lab.proxy.mode defaults to l4 ${hint}`,
    ]);
    assert.deepEqual(lines(labScenario('  backends: {count: 2}\n  proxy:\n    mode: l4\n    strategy: cookie\n')), [
      `7:15 strategy "cookie" needs mode l7, but lab.proxy.mode is l4 ${hint}`,
    ]);
    const s = parseScenario(labScenario('  backends: {count: 2}\n  proxy: {strategy: engineio-sid, mode: l7}\n'), 'e.yaml');
    assert.deepEqual(s.lab?.proxy, { strategy: 'engineio-sid', mode: 'l7', host: '127.0.0.1' });
  });

  test('loopback addresses', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', '127.255.255.254', '::1', '0:0:0:0:0:0:0:1', '::0:1']) assert.ok(isLoopback(host), host);
    for (const host of ['10.0.0.1', '0.0.0.0', 'localhost', '::', '::2', '1::', '[::1]', '128.0.0.1', '127.0.0']) assert.ok(!isLoopback(host), host);
  });
});

describe('target', () => {
  test('string or {url}; wss accepted; other schemes and bad URLs rejected', () => {
    assert.deepEqual(parseScenario('name: t\nclients: 1\ntarget: wss://example.test:8443/ws?x=1\n', 't.yaml').target, { url: 'wss://example.test:8443/ws?x=1' });
    assert.deepEqual(lines('name: t\nclients: 1\ntarget: https://example.test/ws\n'), [
      '3:9 target must use ws:// or wss://, got https:// (use wss:// instead: "wss://example.test/ws"; wsherd makes the HTTP upgrade request itself)',
    ]);
    assert.deepEqual(lines('name: t\nclients: 1\ntarget: {url: "ftp://x/"}\n'), ['3:15 target.url must use ws:// or wss://, got ftp:// (e.g. ws://127.0.0.1:8080/ or wss://example.com/socket)']);
    assert.deepEqual(lines('name: t\nclients: 1\ntarget: not a url\n'), ['3:9 target is not a valid URL ("not a url") (e.g. ws://127.0.0.1:8080/)']);
    assert.deepEqual(lines('name: t\nclients: 1\ntarget: {uri: "ws://x/"}\n'), [
      '3:10 unknown key "uri" in target (did you mean "url"?)',
    ]);
    assert.deepEqual(lines('name: t\nclients: 1\ntarget: 8080\n'), ['3:9 target must be a ws:// or wss:// URL, got a number (8080) (e.g. target: ws://127.0.0.1:8080/)']);
  });
});

describe('behavior', () => {
  test('ranges: payload 16 B..16 MiB, messages_per_second >= 0 and fractional, timeouts > 0, close word', () => {
    assert.deepEqual(lines(targetScenario('behavior:\n  payload_bytes: 16777217\n  messages_per_second: -1\n  message_timeout: 0ms\n  close: both\n')), [
      '5:18 behavior.payload_bytes must be at most 16777216, got 16777217 (a payload holds the wsherd:m:<seq>: header, so at least 16 bytes; at most 16 MiB = 16777216)',
      '6:24 behavior.messages_per_second must be at least 0, got -1',
      '7:20 behavior.message_timeout must be longer than 0 ("0ms")',
      '8:10 behavior.close must be one of client, server, client-fin, got "both"',
    ]);
    const s = parseScenario(targetScenario('behavior:\n  payload_bytes: 16\n  messages_per_second: 0.25\n'), 'b.yaml');
    assert.equal(s.behavior.payloadBytes, 16);
    assert.equal(s.behavior.messagesPerSecond, 0.25);
  });

  test('behavior must be a map; an empty one means defaults', () => {
    assert.deepEqual(lines(targetScenario('behavior: fast\n')), [
      '4:11 behavior must be a map, got a string ("fast") (valid keys: engine, ws_client, session, messages_per_second, payload_bytes, close, connect_timeout, handshake_timeout, message_timeout, lifetime, think_time, handshakes_in_flight, send_during_ramp, source_ports, reconnect, dns, headers, query, flow, roles, script, correlate, frames, data, delivery_timeout)',
    ]);
    assert.equal(parseScenario(targetScenario('behavior:\n'), 'b.yaml').behavior.connectTimeoutMs, 5000);
  });
});

describe('thresholds', () => {
  test('items must be strings; the ThresholdSpec keeps the source text and location', () => {
    assert.deepEqual(lines(targetScenario('thresholds:\n  - p99(connect): 50\n')), [
      '5:5 thresholds[0] must be a string such as "p99(connect) < 50ms", got a map (quote the whole expression if it contains ": ")',
    ]);
    const s = parseScenario(targetScenario('thresholds:\n  - "errors.rate <= 0.5%"\n'), 'th.yaml');
    assert.deepEqual(s.thresholds, [{ source: 'errors.rate <= 0.5%', metric: 'errors.rate', op: '<=', value: 0.005, location: { file: 'th.yaml', line: 5, col: 5 } }]);
    assert.deepEqual(parseScenario(targetScenario('thresholds:\n'), 'th.yaml').thresholds, []);
  });
});
