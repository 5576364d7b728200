import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseScenario } from '../../src/scenario/load.js';
import { rejectText } from './helpers.js';

const lines = (text: string): string[] => rejectText(text, 's.yaml').problems.map((p) => `${p.line}:${p.col} ${p.message}`);
/** A lab scenario whose `lab.backends` body (indented 4) starts on line 4. */
const backends = (body: string): string => `name: s\nlab:\n  backends:\n${body}clients: 10\n`;

describe('lab.backends.bus and lab.backends.push_interval', () => {
  test('absent: no bus, no pushes; given: resolved', () => {
    assert.deepEqual(parseScenario(backends('    count: 2\n'), 's.yaml').lab?.backends, { count: 2, kind: 'ws', host: '127.0.0.1' });
    assert.deepEqual(parseScenario(backends('    count: 2\n    bus: redis\n    push_interval: 1s\n'), 's.yaml').lab?.backends, { count: 2, kind: 'ws', host: '127.0.0.1', bus: 'redis', pushIntervalMs: 1000 });
    assert.deepEqual(parseScenario(backends('    count: 3\n    kind: socketio\n    bus: redis\n'), 's.yaml').lab?.backends, { count: 3, kind: 'socketio', host: '127.0.0.1', bus: 'redis' });
  });

  test('bad values are reported at their position', () => {
    assert.deepEqual(lines(backends('    count: 1\n    bus: kafka\n')), ['5:10 lab.backends.bus must be one of redis, got "kafka"']);
    assert.deepEqual(lines(backends('    count: 1\n    kind: socketio\n    push_interval: 1s\n')), ['6:5 lab.backends.push_interval applies to kind ws (the JSON app\'s pushes), but the kind is socketio']);
    assert.deepEqual(lines(backends('    count: 1\n    push_interval: 1\n')), ['5:20 lab.backends.push_interval has no unit (1)']);
    assert.deepEqual(lines(backends('    count: 1\n    push_interval: 1ms\n')), ['5:20 lab.backends.push_interval must be at least 10 ms ("1ms")']);
  });
});
