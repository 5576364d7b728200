import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseScenario } from '../../src/scenario/load.js';
import { rejectText } from './helpers.js';

const lines = (text: string): string[] => rejectText(text, 'e.yaml').problems.map((p) => `${p.line}:${p.col} ${p.message}`);
/** A target scenario whose `behavior` body (indented 2) starts on line 5. */
const behavior = (body: string): string => `name: e\ntarget: ws://127.0.0.1:9/\nclients: 10\nbehavior:\n${body}`;

describe('behavior.engine and behavior.session', () => {
  test('ws is the default and keeps behavior as before (no engine, no session)', () => {
    const b = parseScenario(behavior('  messages_per_second: 2\n'), 'e.yaml').behavior;
    assert.equal(b.engine, undefined);
    assert.equal(b.session, undefined);
  });

  test('a session engine gets the session defaults; every key resolves', () => {
    const d = parseScenario(behavior('  engine: socketio\n'), 'e.yaml').behavior;
    assert.equal(d.engine, 'socketio');
    assert.deepEqual(d.session, { path: '/socket.io/', transports: ['polling', 'websocket'], pollsBeforeUpgrade: 3, upgrade: true, reconnectCheck: false });
    const e = parseScenario(behavior('  engine: engineio\n  session: {path: /io, transports: [websocket], polls_before_upgrade: 0, upgrade: false, reconnect_check: true}\n'), 'e.yaml').behavior;
    assert.deepEqual(e.session, { path: '/io/', transports: ['websocket'], pollsBeforeUpgrade: 0, upgrade: false, reconnectCheck: true });
  });

  test('bad values are reported at their position with the fix', () => {
    assert.deepEqual(lines(behavior('  engine: socket.io\n')), ['5:11 behavior.engine must be one of ws, socketio, engineio, dns, orchestrated, got "socket.io"']);
    assert.deepEqual(lines(behavior('  session: {path: /x}\n')), ['5:12 behavior.session applies to the socketio and engineio engines, but the engine is ws']);
    assert.deepEqual(lines(behavior('  engine: engineio\n  session:\n    path: io\n    transports: [polling, polling]\n    polls_before_upgrade: 101\n    upgrade: "yes"\n    colour: red\n')), [
      '7:11 behavior.session.path must start with "/", got "io"',
      '8:27 behavior.session.transports lists polling twice',
      '9:27 behavior.session.polls_before_upgrade must be at most 100, got 101',
      '10:14 behavior.session.upgrade must be true or false',
      '11:5 unknown key "colour" in behavior.session',
    ]);
  });
});

describe('behavior.ws_client', () => {
  test('absent: the lean client (no key in behavior); lean and library resolve', () => {
    assert.equal(parseScenario(behavior('  messages_per_second: 2\n'), 'e.yaml').behavior.wsClient, undefined);
    assert.equal(parseScenario(behavior('  ws_client: library\n'), 'e.yaml').behavior.wsClient, 'library');
    assert.equal(parseScenario(behavior('  engine: ws\n  ws_client: lean\n'), 'e.yaml').behavior.wsClient, 'lean');
    // The dns and orchestrated engines open a WebSocket with it too.
    assert.equal(parseScenario(behavior('  engine: dns\n  dns: {server: 127.0.0.1:53}\n  ws_client: library\n'), 'e.yaml').behavior.wsClient, 'library');
  });

  test('a bad value, or another engine, is reported at its position', () => {
    assert.deepEqual(lines(behavior('  ws_client: ws\n')), ['5:14 behavior.ws_client must be one of lean, library, got "ws"']);
    assert.deepEqual(lines(behavior('  engine: socketio\n  ws_client: library\n')), ['6:14 behavior.ws_client applies to the ws, dns and orchestrated engines, but the engine is socketio']);
  });
});
