import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseScenario } from '../../src/scenario/load.js';
import { rejectText } from './helpers.js';

const lines = (text: string): string[] => rejectText(text, 's.yaml').problems.map((p) => `${p.line}:${p.col} ${p.message}`);
/** A lab scenario whose `lab.backends` body (indented 4) starts on line 4. */
const backends = (body: string): string => `name: s\nlab:\n  backends:\n${body}clients: 10\n`;

describe('lab.backends.kind socketio and lab.backends.socketio', () => {
  test('kind socketio needs no options; every option resolves', () => {
    const plain = parseScenario(backends('    count: 2\n    kind: socketio\n'), 's.yaml').lab?.backends;
    assert.deepEqual(plain, { count: 2, kind: 'socketio', host: '127.0.0.1' });
    const full = parseScenario(backends('    count: 2\n    kind: socketio\n    socketio: {path: /rt/, cookie: true, transports: [websocket]}\n'), 's.yaml').lab?.backends;
    assert.deepEqual(full?.socketio, { path: '/rt/', cookie: true, transports: ['websocket'] });
    const named = parseScenario(backends('    count: 1\n    kind: socketio\n    socketio: {cookie: SRV}\n'), 's.yaml').lab?.backends;
    assert.deepEqual(named?.socketio, { cookie: 'SRV' });
  });

  test('bad values are reported at their position', () => {
    assert.deepEqual(lines(backends('    count: 1\n    socketio: {cookie: true}\n')), ['5:5 lab.backends.socketio applies to kind socketio, but the kind is ws']);
    assert.deepEqual(lines(backends('    count: 1\n    kind: socketio\n    socketio:\n      path: rt\n      cookie: "a b"\n      transports: [polling, polling, ws]\n      colour: red\n')), [
      '7:13 lab.backends.socketio.path must start with "/", got "rt"',
      '8:15 lab.backends.socketio.cookie is not a valid cookie name: "a b"',
      '9:29 lab.backends.socketio.transports lists polling twice',
      '9:38 lab.backends.socketio.transports[2] must be one of polling, websocket, got "ws"',
      '10:7 unknown key "colour" in lab.backends.socketio',
    ]);
    assert.deepEqual(lines(backends('    count: 1\n    kind: socketio\n    socketio: {transports: []}\n')), ['6:28 lab.backends.socketio.transports must be a non-empty list']);
  });
});
