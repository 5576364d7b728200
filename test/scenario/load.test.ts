import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ScenarioError, WsherdError } from '../../src/errors.js';
import { ExitCode } from '../../src/exit-codes.js';
import { loadScenario, parseScenario } from '../../src/scenario/load.js';
import type { Behavior, Scenario } from '../../src/scenario/types.js';
import { fixture, fixturesDir, problemLines } from './helpers.js';

const DEFAULT_BEHAVIOR: Behavior = {
  messagesPerSecond: 1,
  payloadBytes: 64,
  close: 'client',
  connectTimeoutMs: 5000,
  handshakeTimeoutMs: 5000,
  messageTimeoutMs: 5000,
};

describe('bad scenario files: every problem, exact message, file:line:col', () => {
  test('unknown keys get the closest known key, or the list when nothing is close', () => {
    assert.deepEqual(problemLines('unknown-key.yaml'), [
      'unknown-key.yaml:4:1 unknown key "clinets" (did you mean "clients"?)',
      'unknown-key.yaml:6:3 unknown key "mesages_per_second" in behavior (did you mean "messages_per_second"?)',
      'unknown-key.yaml:7:3 unknown key "colour" in behavior (valid keys: engine, ws_client, session, messages_per_second, payload_bytes, close, connect_timeout, handshake_timeout, message_timeout, lifetime, think_time, handshakes_in_flight, send_during_ramp, source_ports, reconnect, dns, headers, query, flow, roles, script, correlate, frames, data, delivery_timeout)',
    ]);
  });

  test('.nan and .inf are named as written, not "a number" (issue 15)', async () => {
    assert.deepEqual(problemLines('not-finite.yaml'), [
      'not-finite.yaml:3:10 clients must be an integer, got ".inf" (Infinity, not a finite number)',
      'not-finite.yaml:5:24 behavior.messages_per_second must be a number, got ".nan" (NaN, not a finite number)',
    ]);
  });

  test('wrong types say what was expected and what was found', () => {
    assert.deepEqual(problemLines('wrong-type.yaml'), [
      'wrong-type.yaml:3:10 clients must be an integer, got a string ("100") (remove the quotes)',
      'wrong-type.yaml:4:10 workers must be an integer, got a boolean (true)',
      'wrong-type.yaml:6:18 behavior.payload_bytes must be an integer, got a list',
      'wrong-type.yaml:7:24 behavior.messages_per_second must be a number, got a string ("fast")',
      'wrong-type.yaml:8:13 thresholds must be a list, got a string ("p99(connect) < 50ms") (write one "- p99(connect) < 50ms" style item per threshold)',
    ]);
  });

  test('negative counts', () => {
    assert.deepEqual(problemLines('negative-count.yaml'), [
      'negative-count.yaml:4:12 lab.backends.count must be at least 1, got -2',
      'negative-count.yaml:5:10 clients must be at least 1, got -10',
    ]);
  });

  test('zero counts', () => {
    assert.deepEqual(problemLines('zero-count.yaml'), [
      'zero-count.yaml:3:21 lab.backends.count must be at least 1, got 0',
      'zero-count.yaml:4:10 clients must be at least 1, got 0',
      'zero-count.yaml:5:10 workers must be at least 1, got 0',
    ]);
  });

  test('non-integer counts (1e3 is an integer and passes)', () => {
    assert.deepEqual(problemLines('non-integer-count.yaml'), [
      'non-integer-count.yaml:3:21 lab.backends.count must be a whole number, got 2.5',
      'non-integer-count.yaml:5:10 workers must be a whole number, got 1.5',
    ]);
  });

  test('YAML syntax errors carry their line:col', () => {
    assert.deepEqual(problemLines('yaml-syntax.yaml'), [
      'yaml-syntax.yaml:4:1 YAML syntax error: Flow map in block collection must be sufficiently indented and end with a } (check the indentation and quoting on this line and the one before)',
    ]);
  });

  test('lab and target both given', () => {
    assert.deepEqual(problemLines('lab-and-target.yaml'), [
      'lab-and-target.yaml:4:1 "lab" and "target" are both given; use exactly one (remove "lab" to test your own server, or remove "target" to test the built-in lab)',
    ]);
  });

  test('neither lab nor target', () => {
    assert.deepEqual(problemLines('neither-lab-nor-target.yaml'), [
      'neither-lab-nor-target.yaml:1:1 either "lab" or "target" is required ("lab" starts backends and a balancer on this machine; "target" points at a WebSocket server you run)',
    ]);
  });

  test('an http:// target gets the ws:// spelling as a hint', () => {
    assert.deepEqual(problemLines('http-target.yaml'), [
      'http-target.yaml:2:9 target must use ws:// or wss://, got http:// (use ws:// instead: "ws://127.0.0.1:8080/socket"; wsherd makes the HTTP upgrade request itself)',
    ]);
  });

  test('durations need a unit', () => {
    assert.deepEqual(problemLines('bare-duration.yaml'), [
      'bare-duration.yaml:5:14 phases[0].ramp_up has no unit (5) (add a unit, e.g. 5s)',
      'bare-duration.yaml:6:11 phases[1].hold has no unit ("10") (add a unit, e.g. 5s)',
      'bare-duration.yaml:8:20 behavior.connect_timeout is not a duration ("5sec") (write a number with a unit: 500ms, 5s, 2m, 1h or 1m30s)',
    ]);
  });

  test('bad thresholds: unknown metric, bad operator, bad unit, out-of-range fraction, no shape', () => {
    assert.deepEqual(problemLines('bad-threshold.yaml'), [
      'bad-threshold.yaml:5:5 thresholds[0] "p99(conect) < 50ms": unknown metric "p99(conect)" (did you mean "p99(connect)"?)',
      'bad-threshold.yaml:6:5 thresholds[1] "errors.rate = 0": not of the form <metric> <op> <number>[unit] (use == to compare for equality)',
      'bad-threshold.yaml:7:5 thresholds[2] "p99(rtt) < 5kb": unit "kb" does not apply to p99(rtt) (use ms, s or us; a bare number is ms)',
      'bad-threshold.yaml:8:5 thresholds[3] "errors.rate < 150": errors.rate is a fraction between 0 and 1, got 150 (write a fraction such as 0.01, or a percentage such as 1%)',
      'bad-threshold.yaml:9:5 thresholds[4] "connections.failed < 1%": unit "%" does not apply to connections.failed (this metric has no unit; write a bare number)',
      'bad-threshold.yaml:10:5 thresholds[5] "latency is low": not of the form <metric> <op> <number>[unit] (write <metric> <op> <number>[unit], e.g. "p99(connect) < 50ms"; ops are < <= > >= == !=)',
    ]);
  });

  test('lab hosts must be loopback', () => {
    assert.deepEqual(problemLines('non-loopback.yaml'), [
      'non-loopback.yaml:3:30 lab.backends.host must be a loopback address (127.0.0.0/8 or ::1), got "10.0.0.5" (the lab runs on this machine only: use 127.0.0.1 or another 127.x.y.z address; to load servers elsewhere, use `target` instead of `lab`)',
      'non-loopback.yaml:4:17 lab.proxy.host must be a loopback address (127.0.0.0/8 or ::1), got "localhost" (write 127.0.0.1 or ::1: the lab binds addresses, not names)',
    ]);
  });

  test('phase problems: direction, `to` above clients, duration and rate together, two kinds in one item, zero rate', () => {
    assert.deepEqual(problemLines('bad-phases.yaml'), [
      'bad-phases.yaml:6:33 phases[1].ramp_up ramps up to 20, below the level the previous phases reached (50) (use ramp_down to lower the number of open clients)',
      'bad-phases.yaml:8:19 phases[3].ramp_up.to must be at most 100, got 500 (`to` is a number of open clients and cannot exceed `clients`, the peak)',
      'bad-phases.yaml:9:35 phases[4].ramp_up has both "duration" and "rate"; give one (a rate derives the duration: (to - current level) / rate)',
      'bad-phases.yaml:10:5 phases[5] has 2 keys; a phase has exactly one of ramp_up, hold, ramp_down (start a new list item ("- ") for each phase)',
      'bad-phases.yaml:12:23 phases[6].ramp_down.rate must be greater than 0, got 0 (a rate is connections opened or closed per second)',
    ]);
  });

  test('the phases may not last longer than 24h', () => {
    assert.deepEqual(problemLines('too-long.yaml'), [
      'too-long.yaml:5:3 phases last 24h1m30s in total; the limit is 24h (split a soak test longer than a day into several runs)',
    ]);
  });

  test('several problems at once come back together, in file order', () => {
    assert.deepEqual(problemLines('many-problems.yaml'), [
      'many-problems.yaml:2:7 name must use letters, digits, ".", "_" and "-" only, got "many problems" (the name becomes part of the results folder name)',
      'many-problems.yaml:4:21 lab.backends.count must be at least 1, got 0',
      'many-problems.yaml:4:30 lab.backends.kind must be one of ws, socketio, got "grpc"',
      'many-problems.yaml:5:21 unknown strategy "round-robbin" in lab.proxy.strategy (did you mean "round-robin"?)',
      'many-problems.yaml:5:41 lab.proxy.mode must be one of l4, l7, got "l5" (did you mean "l4"?)',
      'many-problems.yaml:6:10 clients must be a whole number, got 1.5',
      'many-problems.yaml:8:14 phases[0].ramp_up has no unit (10) (add a unit, e.g. 5s)',
      'many-problems.yaml:10:1 unknown key "behaviour" (did you mean "behavior"?)',
      'many-problems.yaml:14:5 thresholds[1] "p42(connect) < 50ms": unknown metric "p42(connect)" (did you mean "p50(connect)"?)',
    ]);
  });

  test('the error is a ScenarioError with code, exit code 2 and structured problems', () => {
    assert.throws(
      () => parseScenario(fixture('zero-count.yaml'), 'zero-count.yaml'),
      (err: unknown) => {
        assert.ok(err instanceof ScenarioError);
        assert.equal(err.code, 'WSH_ERR_SCENARIO_INVALID');
        assert.equal(err.exitCode, ExitCode.INVALID_INPUT);
        assert.equal(err.hint, 'See docs/scenario.md for every section and its defaults.');
        assert.deepEqual(err.problems, [
          { file: 'zero-count.yaml', line: 3, col: 21, path: 'lab.backends.count', message: 'lab.backends.count must be at least 1, got 0' },
          { file: 'zero-count.yaml', line: 4, col: 10, path: 'clients', message: 'clients must be at least 1, got 0' },
          { file: 'zero-count.yaml', line: 5, col: 10, path: 'workers', message: 'workers must be at least 1, got 0' },
        ]);
        return true;
      },
    );
  });
});

describe('good scenario files resolve to the exact Scenario', () => {
  const labDefaults = { kind: 'ws', host: '127.0.0.1' } as const;
  const proxyDefaults = { strategy: 'round-robin', mode: 'l4', host: '127.0.0.1' } as const;

  test('duration form, with lab and behavior defaults', () => {
    const expected: Scenario = {
      name: 'by-duration',
      lab: { backends: { count: 3, ...labDefaults }, proxy: { ...proxyDefaults } },
      clients: 1000,
      phases: [
        { kind: 'ramp_up', durationMs: 5000, to: 1000 },
        { kind: 'hold', durationMs: 90_000, to: 1000 },
        { kind: 'ramp_down', durationMs: 500, to: 0 },
      ],
      behavior: DEFAULT_BEHAVIOR,
      thresholds: [],
    };
    assert.deepStrictEqual(parseScenario(fixture('good-duration.yaml'), 'good-duration.yaml'), expected);
  });

  test('`to` form, every behavior key, thresholds with units and their locations', () => {
    const at = (line: number) => ({ file: 'good-to.yaml', line, col: 5 });
    const expected: Scenario = {
      name: 'by-target',
      lab: { backends: { count: 2, kind: 'ws', host: '127.0.0.2' }, proxy: { strategy: 'round-robin', mode: 'l7', host: '::1' } },
      clients: 1500,
      workers: 3,
      phases: [
        { kind: 'ramp_up', durationMs: 10_000, to: 1000 },
        { kind: 'hold', durationMs: 5000, to: 1000 },
        { kind: 'ramp_up', durationMs: 2000, to: 1500 },
        { kind: 'ramp_down', durationMs: 2000, to: 100 },
      ],
      behavior: { messagesPerSecond: 0.5, payloadBytes: 1024, close: 'server', connectTimeoutMs: 2000, handshakeTimeoutMs: 1500, messageTimeoutMs: 60_000 },
      thresholds: [
        { source: 'p99(connect) < 50ms', metric: 'p99(connect)', op: '<', value: 50, location: at(21) },
        { source: 'p95(rtt) <= 0.2s', metric: 'p95(rtt)', op: '<=', value: 200, location: at(22) },
        { source: 'p50(handshake) < 500us', metric: 'p50(handshake)', op: '<', value: 0.5, location: at(23) },
        { source: 'errors.rate < 1%', metric: 'errors.rate', op: '<', value: 0.01, location: at(24) },
        { source: 'connections.peak_open >= 1500', metric: 'connections.peak_open', op: '>=', value: 1500, location: at(25) },
        { source: 'backends.peak_to_average < 1.2', metric: 'backends.peak_to_average', op: '<', value: 1.2, location: at(26) },
      ],
      out: 'results/by-target',
    };
    assert.deepStrictEqual(parseScenario(fixture('good-to.yaml'), 'good-to.yaml'), expected);
  });

  test('rate form: durations derived from (to - level) / rate, up and down; target as {url}', () => {
    const expected: Scenario = {
      name: 'by-rate',
      target: { url: 'wss://example.test/socket' },
      clients: 8000,
      phases: [
        { kind: 'ramp_up', durationMs: 8000, to: 8000, rate: 1000 },
        { kind: 'ramp_down', durationMs: 15_000, to: 2000, rate: 400 },
        { kind: 'ramp_up', durationMs: 2500, to: 2750, rate: 300 },
        { kind: 'hold', durationMs: 2000, to: 2750 },
      ],
      behavior: { ...DEFAULT_BEHAVIOR, messagesPerSecond: 0 },
      thresholds: [],
    };
    assert.deepStrictEqual(parseScenario(fixture('good-rate.yaml'), 'good-rate.yaml'), expected);
  });

  test('a minimal file gets the default phases (ramp_up 5s, hold 10s, ramp_down 2s) and behavior', () => {
    const expected: Scenario = {
      name: 'minimal',
      target: { url: 'ws://127.0.0.1:9001/' },
      clients: 10,
      phases: [
        { kind: 'ramp_up', durationMs: 5000, to: 10 },
        { kind: 'hold', durationMs: 10_000, to: 10 },
        { kind: 'ramp_down', durationMs: 2000, to: 0 },
      ],
      behavior: DEFAULT_BEHAVIOR,
      thresholds: [],
    };
    assert.deepStrictEqual(parseScenario(fixture('good-defaults.yaml'), 'good-defaults.yaml'), expected);
  });
});

describe('loadScenario', () => {
  test('a missing file is WSH_ERR_SCENARIO_NOT_FOUND with the path and a hint', async () => {
    const missing = path.join(fixturesDir, 'no-such-file.yaml');
    await assert.rejects(loadScenario(missing), (err: unknown) => {
      assert.ok(err instanceof WsherdError);
      assert.equal(err.code, 'WSH_ERR_SCENARIO_NOT_FOUND');
      assert.equal(err.exitCode, ExitCode.INVALID_INPUT);
      assert.equal(err.message, `Scenario file ${missing} does not exist.`);
      assert.equal(err.hint, 'check the path; `wsherd init` writes a starter scenario here (`wsherd init --list`: the bundled examples)');
      return true;
    });
  });

  test('a directory is not a scenario file', async () => {
    await assert.rejects(loadScenario(fixturesDir), (err: unknown) => {
      assert.ok(err instanceof WsherdError);
      assert.equal(err.code, 'WSH_ERR_SCENARIO_NOT_FOUND');
      assert.equal(err.message, `Scenario file ${fixturesDir} is a directory, not a file.`);
      return true;
    });
  });

  test('problems name the file as given; the Scenario carries the absolute path', async () => {
    const relative = path.relative(process.cwd(), path.join(fixturesDir, 'zero-count.yaml'));
    await assert.rejects(loadScenario(relative), (err: unknown) => {
      assert.ok(err instanceof Error);
      assert.match(err.message, new RegExp(`^  ${relative.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:3:21 `, 'm'));
      return true;
    });
    const good = await loadScenario(path.relative(process.cwd(), path.join(fixturesDir, 'good-defaults.yaml')));
    assert.equal(good.file, path.join(fixturesDir, 'good-defaults.yaml'));
    assert.equal(good.name, 'minimal');
  });
});

describe('bundled scenarios load', () => {
  const bundled = (name: string): string => fileURLToPath(new URL(`../../../scenarios/${name}`, import.meta.url));

  test('quickstart: 1,000 clients, 3 backends, round-robin l4, under 30 s, the three thresholds', async () => {
    const s = await loadScenario(bundled('quickstart.yaml'));
    assert.equal(s.clients, 1000);
    assert.deepEqual(s.lab, { backends: { count: 3, kind: 'ws', host: '127.0.0.1' }, proxy: { strategy: 'round-robin', mode: 'l4', host: '127.0.0.1' } });
    assert.equal(s.target, undefined);
    assert.ok(s.phases.reduce((t, p) => t + p.durationMs, 0) < 30_000);
    assert.equal(s.behavior.messagesPerSecond, 1);
    assert.equal(s.behavior.payloadBytes, 64);
    assert.deepEqual(
      s.thresholds.map((t) => [t.metric, t.op, t.value]),
      [
        ['p99(connect)', '<', 50],
        ['errors.rate', '==', 0],
        ['backends.peak_to_average', '<', 1.05],
      ],
    );
    assert.equal(s.out, undefined);
  });

  test('idle-8000: 8,000 idle clients through the proxy to 4 backends, rate ramp', async () => {
    const s = await loadScenario(bundled('idle-8000.yaml'));
    assert.equal(s.clients, 8000);
    assert.equal(s.lab?.backends.count, 4);
    assert.equal(s.behavior.messagesPerSecond, 0);
    assert.deepEqual(s.phases, [
      { kind: 'ramp_up', durationMs: 8000, to: 8000, rate: 1000 },
      { kind: 'hold', durationMs: 10_000, to: 8000 },
      { kind: 'ramp_down', durationMs: 2000, to: 0 },
    ]);
    assert.deepEqual(s.thresholds.map((t) => t.source), ['errors.rate == 0']);
  });

  test('external-target: points at ws://127.0.0.1:9001/, no lab', async () => {
    const s = await loadScenario(bundled('external-target.yaml'));
    assert.deepEqual(s.target, { url: 'ws://127.0.0.1:9001/' });
    assert.equal(s.lab, undefined);
    assert.ok(s.clients <= 1000);
  });
});
