import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseScenario } from '../../src/scenario/load.js';
import type { FlowStep } from '../../src/scenario/flow-types.js';
import { fixturesDir, rejectText } from './helpers.js';
import { parseCsv, parseJsonRows, readDataFile } from '../../src/scenario/data-file.js';
import { metricDoc, parseThreshold } from '../../src/scenario/thresholds.js';
import { WsherdError } from '../../src/errors.js';

/** Inline scenarios "live" in test/fixtures/scenarios/flow/, so data files and scripts resolve there. */
const DIR = `${fixturesDir}flow/`;
const FILE = `${DIR}s.yaml`;

/** A target scenario; the `behavior` body (indented 2) starts on line 6, after `engine:`. */
const scenario = (body: string, opts: { engine?: string; clients?: number; extra?: string } = {}): string =>
  `name: f\ntarget: ws://127.0.0.1:9/\nclients: ${opts.clients ?? 2}\nbehavior:\n  engine: ${opts.engine ?? 'ws'}\n${body}${opts.extra ?? ''}`;
const behavior = (body: string, opts?: Parameters<typeof scenario>[1]): ReturnType<typeof parseScenario>['behavior'] => parseScenario(scenario(body, opts), FILE).behavior;
const problems = (body: string, opts?: Parameters<typeof scenario>[1]): string[] =>
  rejectText(scenario(body, opts), FILE).problems.map((p) => `${p.file === FILE ? '' : `${p.file}:`}${p.line}:${p.col} ${p.message}${p.hint === undefined ? '' : ` (${p.hint})`}`);
const at = (line: number, col: number): { file: string; line: number; col: number } => ({ file: FILE, line, col });

describe('behavior.flow: good flows resolve to FlowSteps', () => {
  test('the ws flow of docs/flows.md, step by step', () => {
    const b = behavior([
      '  correlate: {send: "$.id", receive: "$.re"}',
      '  frames: {type: "$.type"}',
      '  data: {file: users.csv, order: sequential, secret: [token]}',
      '  delivery_timeout: 5s',
      '  flow:',
      '    - send: {json: {type: auth, token: "{{ data.token }}"}}',
      '    - expect: {path: "$.type", equals: welcome, timeout: 2s}',
      '      name: welcome',
      '    - send: {json: {type: subscribe, topic: "news"}}',
      '      join: news',
      '    - loop:',
      '        count: 10',
      '        every: 100ms',
      '        steps:',
      '          - send: {json: {type: request, data: "x{{ seq }}"}}',
      '            name: req',
      '          - think: {min: 0s, max: 3s}',
      '    - send: {text: "pub {{ stamp }}", correlate: false}',
      '      publish: news',
      '      leave: news',
      '    - expect: {regex: "^pong", timeout: 500ms}',
      '    - send: {binary: {bytes: 1024}}',
      '    - send: {binary: "AAEC"}',
      '    - think: 1s',
      '    - close',
      '',
    ].join('\n'));
    const expected: FlowStep[] = [
      { kind: 'send', payload: { kind: 'json', value: { type: 'auth', token: '{{ data.token }}' } }, correlate: true, location: at(11, 7) },
      { kind: 'expect', match: { path: { source: '$.type', segments: ['type'] }, equals: 'welcome' }, timeoutMs: 2000, name: 'welcome', location: at(12, 7) },
      { kind: 'send', payload: { kind: 'json', value: { type: 'subscribe', topic: 'news' } }, correlate: true, join: 'news', location: at(14, 7) },
      {
        kind: 'loop',
        count: 10,
        everyMs: 100,
        steps: [
          { kind: 'send', payload: { kind: 'json', value: { type: 'request', data: 'x{{ seq }}' } }, correlate: true, name: 'req', location: at(20, 13) },
          { kind: 'think', ms: 0, maxMs: 3000, location: at(22, 13) },
        ],
        location: at(16, 7),
      },
      { kind: 'send', payload: { kind: 'text', text: 'pub {{ stamp }}' }, correlate: false, publish: 'news', leave: 'news', location: at(23, 7) },
      { kind: 'expect', match: { regex: '^pong' }, timeoutMs: 500, location: at(26, 7) },
      { kind: 'send', payload: { kind: 'binary', bytes: 1024 }, correlate: false, location: at(27, 7) },
      { kind: 'send', payload: { kind: 'binary', base64: 'AAEC' }, correlate: false, location: at(28, 7) },
      { kind: 'think', ms: 1000, location: at(29, 7) },
      { kind: 'close', location: at(30, 7) },
    ];
    assert.deepEqual(b.flow, expected);
    assert.deepEqual(b.correlate, { send: { source: '$.id', segments: ['id'] }, receive: { source: '$.re', segments: ['re'] } });
    assert.deepEqual(b.frames, { type: { source: '$.type', segments: ['type'] } });
    assert.deepEqual(b.data, { file: `${DIR}users.csv`, format: 'csv', order: 'sequential', secret: ['token'], columns: ['id', 'token'], rows: 2, location: at(8, 16) });
    assert.equal(b.deliveryTimeoutMs, 5000);
  });

  test('without behavior.correlate sends are uncorrelated; a loop forever with every:', () => {
    const b = behavior('  flow:\n    - send: {json: {a: 1}}\n    - loop: {forever: true, every: 1s, steps: [{send: {text: "{{ uuid }} {{ now }} {{ random 1 6 }}"}}]}\n');
    assert.deepEqual(b.flow, [
      { kind: 'send', payload: { kind: 'json', value: { a: 1 } }, correlate: false, location: at(7, 7) },
      { kind: 'loop', everyMs: 1000, steps: [{ kind: 'send', payload: { kind: 'text', text: '{{ uuid }} {{ now }} {{ random 1 6 }}' }, correlate: false, location: at(8, 48) }], location: at(8, 7) },
    ]);
  });

  test('the socketio flow: emit with ack, join, publish with the stamp in a field, on with a matcher', () => {
    const b = behavior([
      '  flow:',
      '    - emit: {event: join, data: "room-{{ client % 50 }}", ack: true, timeout: 2s}',
      '      join: "room-{{ client % 50 }}"',
      '      name: join',
      '    - emit: {event: chat, data: {room: "room-{{ client % 50 }}", text: "{{ stamp }}"}}',
      '      publish: "room-{{ client % 50 }}"',
      '    - emit: {event: many, args: [1, "two", {three: 3}]}',
      '    - emit: {event: bare}',
      '    - on: {event: welcome, timeout: 2s}',
      '    - on: {event: chat, path: "$.room", equals: room-1, timeout: 1s}',
      '      name: join',
      '',
    ].join('\n'), { engine: 'socketio' });
    assert.deepEqual(b.flow, [
      { kind: 'emit', event: 'join', args: ['room-{{ client % 50 }}'], ack: true, timeoutMs: 2000, join: 'room-{{ client % 50 }}', name: 'join', location: at(7, 7) },
      { kind: 'emit', event: 'chat', args: [{ room: 'room-{{ client % 50 }}', text: '{{ stamp }}' }], ack: false, timeoutMs: 0, publish: 'room-{{ client % 50 }}', location: at(10, 7) },
      { kind: 'emit', event: 'many', args: [1, 'two', { three: 3 }], ack: false, timeoutMs: 0, location: at(12, 7) },
      { kind: 'emit', event: 'bare', args: [], ack: false, timeoutMs: 0, location: at(13, 7) },
      { kind: 'on', event: 'welcome', timeoutMs: 2000, location: at(14, 7) },
      // A name given to two kinds of step is one name: their counts add up.
      { kind: 'on', event: 'chat', match: { path: { source: '$.room', segments: ['room'] }, equals: 'room-1' }, timeoutMs: 1000, name: 'join', location: at(15, 7) },
    ]);
  });

  test('JSON data files: values stringified; order random needs no row per client', () => {
    const b = behavior('  data: {file: users.json, order: random}\n  headers: {X-User: "{{ data.id }}-{{ data.ok }}"}\n  query: {n: "{{ data.n }}"}\n', { clients: 5000 });
    assert.deepEqual(b.data, { file: `${DIR}users.json`, format: 'json', order: 'random', secret: [], columns: ['id', 'n', 'ok', 'x'], rows: 2, location: at(6, 16) });
    assert.deepEqual(b.headers, { 'X-User': '{{ data.id }}-{{ data.ok }}' });
  });

  test('secret values never reach the resolved scenario (results keep the spec: file, columns, row count)', () => {
    const s = parseScenario(scenario('  data: {file: users.csv, secret: [token]}\n  flow: [{send: {text: "{{ data.token }}"}}]\n'), FILE);
    const text = JSON.stringify(s);
    assert.ok(!text.includes('secret-one') && !text.includes('two'), text);
  });

  test('roles: shares adding up to 1 (0.1 + 0.2 + 0.7), each with a flow or a script; {{ role }} allowed', () => {
    const b = behavior([
      '  roles:',
      '    publisher: {share: 0.1, flow: [{send: {text: "{{ role }} {{ stamp }}"}, publish: t}]}',
      '    lurker: {share: 0.2, script: ./flow.mjs}',
      '    subscriber:',
      '      share: 0.7',
      '      flow:',
      '        - send: {text: sub}',
      '          join: t',
      '',
    ].join('\n'));
    assert.deepEqual(b.roles, [
      { name: 'publisher', share: 0.1, flow: [{ kind: 'send', payload: { kind: 'text', text: '{{ role }} {{ stamp }}' }, correlate: false, publish: 't', location: at(7, 36) }], location: at(7, 5) },
      { name: 'lurker', share: 0.2, script: { module: `${DIR}flow.mjs`, location: at(8, 34) }, location: at(8, 5) },
      { name: 'subscriber', share: 0.7, flow: [{ kind: 'send', payload: { kind: 'text', text: 'sub' }, correlate: false, join: 't', location: at(12, 11) }], location: at(9, 5) },
    ]);
  });

  test('script: resolved against the scenario folder', () => {
    assert.deepEqual(behavior('  script: flow.mjs\n').script, { module: `${DIR}flow.mjs`, location: at(6, 11) });
  });

  test('flow thresholds: named steps, deliveries, frames; a script names steps at run time', () => {
    const t = parseScenario(scenario('  flow:\n    - send: {text: "{{ stamp }}"}\n      publish: t\n      name: pub\n', {
      extra: 'thresholds:\n  - p99(step:pub) < 100ms\n  - step:pub.errors == 0\n  - step:pub.error_rate < 1%\n  - step:flow.errors == 0\n  - p50(delivery) < 1s\n  - delivery.loss < 0.1%\n  - delivery.lost == 0\n  - delivery.expected > 0\n  - delivery.received > 0\n  - frames.received > 0\n  - frames.unsolicited > 0\n  - frames.solicited >= 0\n',
    }), FILE).thresholds;
    assert.deepEqual(t.map((x) => [x.metric, x.value]), [
      ['p99(step:pub)', 100], ['step:pub.errors', 0], ['step:pub.error_rate', 0.01], ['step:flow.errors', 0], ['p50(delivery)', 1000], ['delivery.loss', 0.001],
      ['delivery.lost', 0], ['delivery.expected', 0], ['delivery.received', 0], ['frames.received', 0], ['frames.unsolicited', 0], ['frames.solicited', 0],
    ]);
    const scripted = parseScenario(scenario('  script: ./flow.mjs\n', { extra: 'thresholds: ["p99(step:whatever) < 1s", "delivery.loss < 1%"]\n' }), FILE);
    assert.equal(scripted.thresholds.length, 2);
  });
});

describe('behavior.flow and its options: bad input, at file:line:col with a hint', () => {
  test('an expect, an on, an emit with ack: each needs a timeout', () => {
    assert.deepEqual(problems('  flow:\n    - expect: {path: "$.type", equals: welcome}\n    - send: {text: x}\n'), [
      '7:15 "timeout" is required in behavior.flow[0].expect (an expect waits at most this long, then counts a timeout: e.g. timeout: 2s)',
    ]);
  });

  test('on needs a timeout', () => {
    assert.deepEqual(problems('  flow:\n    - on: {event: welcome}\n    - emit: {event: join, ack: true}\n    - emit: {event: x, timeout: 2s}\n', { engine: 'socketio' }), [
      '7:11 "timeout" is required in behavior.flow[0].on (an on waits at most this long, then counts a timeout: e.g. timeout: 2s)',
      '8:13 "timeout" is required in behavior.flow[1].emit (how long to wait for the acknowledgement, e.g. timeout: 2s)',
      '9:24 behavior.flow[2].emit.timeout applies with ack: true (the wait for the acknowledgement) (add ack: true, or remove timeout)',
    ]);
  });

  test('emit and on need engine socketio', () => {
    assert.deepEqual(problems('  flow:\n    - emit: {event: join}\n    - on: {event: x, timeout: 1s}\n'), [
      '7:7 behavior.flow[0].emit: emit steps need behavior.engine: socketio, and the engine is ws (set behavior.engine: socketio, or write send: {json: ...} for a WebSocket frame)',
      '8:7 behavior.flow[1].on: on steps need behavior.engine: socketio, and the engine is ws (set behavior.engine: socketio, or wait for a frame with expect: {..., timeout: 2s})',
    ]);
  });

  test('send and expect need engine ws', () => {
    assert.deepEqual(problems('  flow:\n    - send: {text: hi}\n    - expect: {timeout: 1s}\n', { engine: 'socketio' }), [
      '7:7 behavior.flow[0].send: send steps need behavior.engine: ws, and the engine is socketio (socket.io sends events: emit: {event: message, data: ...})',
      '8:7 behavior.flow[1].expect: expect steps need behavior.engine: ws, and the engine is socketio (wait for an event with on: {event: NAME, timeout: 2s})',
    ]);
  });

  test('flows need engine ws or socketio', () => {
    assert.deepEqual(problems('  flow: [{think: 1s}]\n', { engine: 'engineio' }), [
      '6:3 behavior.flow runs with engine ws or socketio, and the engine is engineio (set behavior.engine: ws (WebSocket frames) or socketio (events))',
    ]);
  });

  test('send payloads: exactly one of text, json, binary; binary is base64 or bytes', () => {
    assert.deepEqual(problems('  flow:\n    - send: {text: hi, json: {a: 1}}\n    - send: {}\n    - send: {txt: hi}\n    - send: {binary: "not base64!"}\n    - send: {binary: {bytes: 0}}\n    - send: {json: {a: .nan}}\n'), [
      '7:24 behavior.flow[0].send has both text and json: one payload per send (write one send step per message)',
      '8:13 behavior.flow[1].send has nothing to send (write one of send: {text: "hello"}, send: {json: {type: ping}}, send: {binary: BASE64} or send: {binary: {bytes: 1024}})',
      '9:14 unknown key "txt" in behavior.flow[2].send (did you mean "text"?)',
      '10:22 behavior.flow[3].send.binary must be base64 (e.g. "AAEC") or {bytes: N}, got a string ("not base64!") (base64 is A-Z a-z 0-9 + / with = padding to a multiple of 4 characters; templates are not filled in binary frames)',
      '11:30 behavior.flow[4].send.binary.bytes must be at least 1, got 0 (at most 16 MiB = 16777216)',
      '12:24 behavior.flow[5].send.json.a must be a JSON value (a string, a finite number, true, false or null), got ".nan" (NaN, not a finite number) (quote it to send it as a string)',
    ]);
  });

  test('a step has exactly one kind; bare words; names', () => {
    assert.deepEqual(problems('  flow:\n    - send: {text: hi}\n      expect: {timeout: 1s}\n    - name: x\n    - sned: {text: hi}\n    - think\n    - hello\n    - send: {text: hi}\n      name: "a b"\n    - send: {text: hi}\n      name: flow\n'), [
      '8:7 behavior.flow[0] has both send and expect: a step does one thing (write them as two list items (two "- " lines))',
      '9:7 behavior.flow[1] has no step kind (a step has one of send, expect, think, loop, close, emit, on, e.g. send: {json: {type: ping}})',
      '10:7 unknown key "sned" in behavior.flow[2] (did you mean "send"?)',
      '11:7 behavior.flow[3] must be a step (a map such as send: {...}, or close), got a string ("think") (think needs its details, e.g. think: 1s)',
      '12:7 behavior.flow[4] must be a step (a map such as send: {...}, or close), got a string ("hello") (step kinds: send, expect, think, loop, close, emit, on)',
      '14:13 behavior.flow[5].name must be a name of letters, digits, "_", "." and "-", got a string ("a b") (thresholds name it as p99(step:NAME); a name given to several steps adds them up)',
      '16:13 behavior.flow[6].name: "flow" is reserved (wsherd counts the errors of unnamed steps under it) (choose another name)',
    ]);
  });

  test('loops: count or forever, steps, something that waits', () => {
    assert.deepEqual(problems('  flow:\n    - loop: {steps: [{think: 1s}]}\n    - loop: {count: 0, steps: [{think: 1s}]}\n    - loop: {count: 2, forever: true, steps: [{think: 1s}]}\n    - loop: {forever: false, steps: [{think: 1s}]}\n    - loop: {forever: true, steps: [{send: {text: hi}}]}\n    - loop: {count: 2}\n'), [
      '7:13 behavior.flow[0].loop needs count: N or forever: true (e.g. loop: {count: 10, every: 100ms, steps: [...]}, or forever: true instead of count)',
      '8:21 behavior.flow[1].loop.count must be at least 1, got 0 (for a loop as long as the connection, write forever: true)',
      '9:24 behavior.flow[2].loop has both count and forever (keep count: N for N iterations, or forever: true)',
      '10:23 behavior.flow[3].loop.forever: false is not a loop length (write count: N for a bounded loop)',
      '11:13 behavior.flow[4].loop runs forever and nothing in it waits: it would send as fast as the socket takes (pace it with every: 100ms (an open loop), or add a think step)',
      '12:13 "steps" is required in behavior.flow[5].loop (the steps each iteration runs, e.g. steps: [{send: {text: ping}}])',
    ]);
  });

  test('steps after a loop that runs forever', () => {
    assert.deepEqual(problems('  flow:\n    - loop: {forever: true, steps: [{think: 1s}]}\n    - close\n'), [
      '8:7 behavior.flow[1] never runs: the loop before it (behavior.flow[0]) runs forever (give that loop a count, or move these steps before it)',
    ]);
  });

  test('think and close', () => {
    assert.deepEqual(problems('  flow:\n    - think: {min: 2s, max: 1s}\n    - think: 5\n    - close: now\n'), [
      '7:29 behavior.flow[0].think.max must be longer than min (a fixed pause is written think: 1s)',
      '8:14 behavior.flow[1].think has no unit (5) (add a unit, e.g. 5s)',
      '9:14 behavior.flow[2].close takes no value, got a string ("now") (write - close (the connection closes as behavior.close says))',
    ]);
  });

  test('join, leave and publish: where they apply, and publish needs the stamp', () => {
    assert.deepEqual(problems('  flow:\n    - think: 1s\n      join: t\n    - expect: {timeout: 1s}\n      publish: t\n    - send: {text: hi}\n      publish: t\n    - send: {text: hi}\n      publish: "a;b"\n'), [
      "8:7 behavior.flow[0].join: join applies to send, expect, emit and on steps, not to think (put join: on the step whose completion starts the membership (e.g. the expect of the server's confirmation))",
      '10:7 behavior.flow[1].publish: publish applies to send and emit steps, not to expect (put publish: on the step that sends the message)',
      '11:13 behavior.flow[2] publishes to a topic, but its payload has no {{ stamp }} (put "{{ stamp }}" in the message the app relays (e.g. text: "{{ stamp }}", or a field of the JSON): receivers are measured by it)',
      '14:16 behavior.flow[3].publish must not contain a tab, a line break or ";" (the delivery stamp ends at ";") (use letters, digits and - _ . : / in topic names)',
    ]);
  });

  test('{{ stamp }} outside a publish step, or in a topic', () => {
    assert.deepEqual(problems('  flow:\n    - send: {text: "{{ stamp }}"}\n    - send: {text: hi}\n      join: "t{{ stamp }}"\n'), [
      "7:21 behavior.flow[0].send.text uses {{ stamp }}, which only a step with publish: fills (in its payload) (add publish: TOPIC to this step (a publish step's payload carries the stamp), or remove {{ stamp }})",
      "9:15 behavior.flow[1].join uses {{ stamp }}, which only a step with publish: fills (in its payload) (add publish: TOPIC to this step (a publish step's payload carries the stamp), or remove {{ stamp }})",
    ]);
  });

  test('{{ data.X }} without behavior.data', () => {
    assert.deepEqual(problems('  flow:\n    - send: {text: "a{{ data.token }}"}\n'), [
      '7:22 behavior.flow[0].send.text uses {{ data.token }}, which needs behavior.data (add behavior.data: {file: users.csv} with a column token)',
    ]);
  });

  test('{{ data.X }} with a column the file lacks', () => {
    assert.deepEqual(problems('  data: {file: users.csv}\n  headers: {X-T: "{{ data.tokn }}"}\n  flow:\n    - send: {text: "a{{ data.tokn }}"}\n'), [
      '7:19 behavior.headers.X-T uses {{ data.tokn }}, but users.csv has no column tokn (its columns: id, token) (did you mean {{ data.token }}?)',
      '9:22 behavior.flow[0].send.text uses {{ data.tokn }}, but users.csv has no column tokn (its columns: id, token) (did you mean {{ data.token }}?)',
    ]);
  });

  test('{{ role }} without roles', () => {
    assert.deepEqual(problems('  flow:\n    - send: {text: "{{ role }}"}\n'), [
      '7:21 behavior.flow[0].send.text uses {{ role }}, which needs behavior.roles (add behavior.roles, or remove {{ role }})',
    ]);
  });

  test('{{ seq }} and {{ stamp }} in headers and query (per connection)', () => {
    assert.deepEqual(problems('  headers: {X-Seq: "{{ seq }}"}\n  query: {s: "{{ stamp }}"}\n'), [
      '6:21 behavior.headers.X-Seq uses {{ seq }}, which counts the messages of a flow: this value is sent once per connection (use {{ client }}, {{ uuid }} or {{ random A B }} here; {{ seq }} goes in flow steps)',
      '7:15 behavior.query.s uses {{ stamp }}, which only a step with publish: fills (in its payload) ({{ stamp }} goes in the payload of a flow step with publish:)',
    ]);
  });

  test('JSON paths that do not parse: at the character', () => {
    assert.deepEqual(problems('  flow:\n    - expect: {path: "$.a[*]", timeout: 1s}\n    - expect: {path: "type", timeout: 1s}\n    - expect: {path: "$.a..b", timeout: 1s}\n'), [
      "7:26 behavior.flow[0].expect.path \"$.a[*]\" has [*]: only an index ([0]) or a quoted name (['a key']) goes in brackets (a JSON path starts with $ and names members and indices: $.type, $.data.id, $.items[0], $['a key'])",
      "8:23 behavior.flow[1].expect.path \"type\" must start with $ (a JSON path starts with $ and names members and indices: $.type, $.data.id, $.items[0], $['a key'])",
      "9:27 behavior.flow[2].expect.path \"$.a..b\" expects a member name after \".\" at character 5 (a JSON path starts with $ and names members and indices: $.type, $.data.id, $.items[0], $['a key'])",
    ]);
  });

  test('correlate and frames', () => {
    assert.deepEqual(problems('  correlate: {send: "$"}\n  frames: {type: "$.[type]"}\n  flow: [{send: {json: {}}}]\n'), [
      '6:14 "receive" is required in behavior.correlate (where the id goes in what clients send, and where the answer carries it: correlate: {send: "$.id", receive: "$.re"})',
      "7:21 behavior.frames.type \"$.[type]\" expects a member name after \".\" at character 3 (a JSON path starts with $ and names members and indices: $.type, $.data.id, $.items[0], $['a key'])",
    ]);
  });

  test('matchers: equals or regex, a regex that compiles', () => {
    assert.deepEqual(problems('  flow:\n    - expect: {equals: a, regex: b, timeout: 1s}\n    - expect: {regex: "(", timeout: 1s}\n'), [
      '7:27 behavior.flow[0].expect has both equals and regex (keep one: equals compares the value, regex tests its text)',
      "8:23 behavior.flow[1].expect.regex is not a valid regular expression: Invalid regular expression: /(/: Unterminated group (JavaScript syntax; in YAML prefer single quotes, so backslashes stay as written: '\\d+')",
    ]);
  });

  test('correlate: true needs behavior.correlate', () => {
    assert.deepEqual(problems('  flow:\n    - send: {json: {a: 1}, correlate: true}\n'), [
      '7:13 behavior.flow[0].send.correlate: true needs behavior.correlate (add behavior.correlate: {send: "$.id", receive: "$.re"})',
    ]);
  });

  test('correlate: true needs a json payload', () => {
    assert.deepEqual(problems('  correlate: {send: "$.id", receive: "$.re"}\n  flow:\n    - send: {text: a, correlate: true}\n'), [
      '8:13 behavior.flow[0].send.correlate: true needs a json payload (the id is set at a JSON path) (send json: {...}, or remove correlate)',
    ]);
  });

  test('correlate, frames, delivery_timeout without a flow', () => {
    assert.deepEqual(problems('  correlate: {send: "$.id", receive: "$.re"}\n  frames: {type: "$.t"}\n  delivery_timeout: 1s\n'), [
      '6:3 behavior.correlate applies to scripted sessions, and there is no behavior.flow, roles or script (add behavior.flow (docs/flows.md), or remove it)',
      '7:3 behavior.frames applies to scripted sessions, and there is no behavior.flow, roles or script (add behavior.flow (docs/flows.md), or remove it)',
      '8:3 behavior.delivery_timeout applies to scripted sessions, and there is no behavior.flow, roles or script (add behavior.flow (docs/flows.md), or remove it)',
    ]);
  });

  test('messages_per_second and payload_bytes beside a flow', () => {
    assert.deepEqual(problems('  messages_per_second: 5\n  payload_bytes: 100\n  flow: [{think: 1s}]\n'), [
      '6:3 behavior.messages_per_second drives the echo sender, which is off with behavior.flow (it would be ignored) (pace a flow with loop: {every: 100ms, ...}; size its messages in its send steps. Remove this key)',
      '7:3 behavior.payload_bytes drives the echo sender, which is off with behavior.flow (it would be ignored) (pace a flow with loop: {every: 100ms, ...}; size its messages in its send steps. Remove this key)',
    ]);
  });

  test('flow with roles', () => {
    assert.deepEqual(problems('  flow: [{think: 1s}]\n  roles: {a: {share: 1, flow: [{think: 1s}]}}\n'), [
      '7:3 behavior.flow and behavior.roles are both given (keep roles (each role has its own flow), or flow (every client runs the same steps))',
    ]);
  });

  test('flow with script', () => {
    assert.deepEqual(problems('  flow: [{think: 1s}]\n  script: flow.mjs\n'), [
      '7:3 behavior.flow and behavior.script are both given (keep flow (steps in the scenario) or script (a module): not both)',
    ]);
  });

  test('roles: shares add up to 1', () => {
    assert.deepEqual(problems('  roles:\n    a: {share: 0.5, flow: [{think: 1s}]}\n    b: {share: 0.4, script: flow.mjs}\n'), [
      '7:5 behavior.roles: the shares add up to 0.9 (a 0.5 + b 0.4), not 1 (each share is the fraction of the clients in that role; make them add up to 1)',
    ]);
  });

  test('roles: share > 0, flow xor script', () => {
    assert.deepEqual(problems('  roles:\n    a: {share: 0, flow: [{think: 1s}]}\n    b: {share: 1, flow: [{think: 1s}], script: flow.mjs}\n    c: {share: 0.5}\n'), [
      '7:16 behavior.roles.a.share must be more than 0 (remove the role a instead)',
      '8:40 behavior.roles.b has both flow and script (a role runs either steps (flow) or a module (script): keep one)',
      '9:8 behavior.roles.c needs a flow or a script (e.g. flow: [{send: {text: hello}}], or script: ./role.mjs)',
    ]);
  });

  test('roles: at least one', () => {
    assert.deepEqual(problems('  roles: {}\n'), [
      '6:10 behavior.roles must be a map of 1 to 100 roles, got 0 roles (e.g. roles: {publisher: {share: 0.01, flow: [...]}, subscriber: {share: 0.99, flow: [...]}})',
    ]);
  });

  test('script: missing', () => {
    assert.deepEqual(problems('  script: missing.mjs\n'), [
      `6:11 behavior.script: ${DIR}missing.mjs does not exist (the path is resolved against the scenario file's folder)`,
    ]);
  });

  test('script: not a module', () => {
    assert.deepEqual(problems('  script: flow.txt\n'), [
      '6:11 behavior.script must be a JavaScript module (.mjs, .js, .cjs), got "flow.txt" (compile TypeScript first, and point at the .mjs or .js it produces)',
    ]);
  });

  test('data: missing file (the resolved path); its columns are then not checked', () => {
    assert.deepEqual(problems('  data: {file: missing.csv}\n  headers: {X: "{{ data.a }}"}\n'), [
      `6:16 behavior.data.file: ${DIR}missing.csv does not exist (the path is resolved against the scenario file's folder)`,
    ]);
  });

  test('data: empty file', () => {
    assert.deepEqual(problems('  data: {file: empty.csv}\n'), [
      `6:16 behavior.data.file: ${DIR}empty.csv is empty (a CSV data file is a header row (the column names) then one row per client; a JSON one an array of objects)`,
    ]);
  });

  test('data: a CSV row with the wrong number of fields', () => {
    assert.deepEqual(problems('  data: {file: short-row.csv}\n'), [
      `6:16 behavior.data.file: ${DIR}short-row.csv line 3 has 1 field, the header has 2 (id, token) (every row has one value per column; quote a value holding a comma: "a, b")`,
    ]);
  });

  test('data: JSON objects with other keys', () => {
    assert.deepEqual(problems('  data: {file: ragged.json, order: random}\n'), [
      `6:16 behavior.data.file: ${DIR}ragged.json item 1 has the key "extra", which item 0 lacks (item 0's keys: id) (give every object the same keys)`,
    ]);
  });

  test('data: neither csv nor json', () => {
    assert.deepEqual(problems('  data: {file: users.txt}\n'), [
      '6:16 behavior.data.file must name a .csv or .json file, got "users.txt" (CSV: a header row, then one row per client; JSON: an array of objects)',
    ]);
  });

  test('data: secret columns must exist', () => {
    assert.deepEqual(problems('  data: {file: users.csv, secret: [tokn]}\n'), [
      '6:36 behavior.data.secret[0]: users.csv has no column tokn (its columns: id, token) (did you mean "token"?)',
    ]);
  });

  test('data: fewer rows than clients with order sequential', () => {
    assert.deepEqual(problems('  data: {file: users.csv}\n', { clients: 2000 }), [
      '6:16 users.csv has 2 rows for 2,000 clients (order: sequential gives each client its own row) (add rows, or use order: random (clients then share rows))',
    ]);
  });

  test('thresholds: step names must exist; deliveries need a publish step', () => {
    assert.deepEqual(problems('  flow:\n    - send: {text: hi}\n      name: pub\n', { extra: 'thresholds:\n  - p99(step:pbu) < 1s\n  - step:nope.errors == 0\n  - delivery.loss < 1%\n' }), [
      '10:5 thresholds "p99(step:pbu) < 1s": no step is named pbu (did you mean step:pub?)',
      '11:5 thresholds "step:nope.errors == 0": no step is named nope (the named steps: pub)',
      '12:5 thresholds "delivery.loss < 1%": delivery.loss measures deliveries, and no step publishes (add publish: TOPIC to the send or emit step whose message the app relays (docs/flows.md, Deliveries))',
    ]);
  });

  test('thresholds: flow metrics need a flow', () => {
    assert.deepEqual(problems('  messages_per_second: 1\n', { extra: 'thresholds:\n  - frames.received > 0\n  - step:x.error_rate < 1%\n' }), [
      '8:5 thresholds "frames.received > 0": frames.received measures scripted sessions, and there is no behavior.flow, roles or script (add behavior.flow (docs/flows.md), or remove this threshold)',
      '9:5 thresholds "step:x.error_rate < 1%": step:x.error_rate measures scripted sessions, and there is no behavior.flow, roles or script (add behavior.flow (docs/flows.md), or remove this threshold)',
    ]);
  });

  test('emit: event names', () => {
    assert.deepEqual(problems('  flow:\n    - emit: {event: "{{ client }}"}\n    - emit: {event: connect}\n    - emit: {event: a, data: 1, args: [1]}\n', { engine: 'socketio' }), [
      '7:21 behavior.flow[0].emit.event is an event name, sent as written: templates are not filled in here (put per-client values in data: or args:)',
      "8:21 behavior.flow[1].emit.event: \"connect\" is reserved by socket.io (socket.io-client refuses to emit it: use your application's own event names)",
      '9:33 behavior.flow[2].emit has both data and args (data: X emits one argument; args: [X, Y] several)',
    ]);
  });
});

describe('data files', () => {
  test('CSV: RFC 4180 quoting ("" escapes, commas and line breaks inside quotes), CRLF or LF, trailing empty lines ignored', () => {
    assert.deepEqual(parseCsv('a,b\r\n"x,1","say ""hi"""\r\n"two\nlines",\r\n\r\n'), { format: 'csv', columns: ['a', 'b'], rows: [['x,1', 'say "hi"'], ['two\nlines', '']] });
    assert.deepEqual(parseCsv('a\nx\ny'), { format: 'csv', columns: ['a'], rows: [['x'], ['y']] });
    assert.deepEqual(readDataFile(`${DIR}users.csv`).rows, [['u1', 'secret-one'], ['u2', 'se,cret "two"']]);
  });

  test('CSV problems name the line', () => {
    assert.deepEqual(parseCsv('a,b\n1,2\n3\n', 'u.csv'), { error: 'u.csv line 3 has 1 field, the header has 2 (a, b)', hint: 'every row has one value per column; quote a value holding a comma: "a, b"', line: 3 });
    assert.equal((parseCsv('a,a\n1,2\n', 'u.csv') as { error: string }).error, 'u.csv line 1: the column "a" is named twice');
    assert.equal((parseCsv('a\n"open\n', 'u.csv') as { error: string }).error, 'u.csv line 2: a quoted field is not closed before the end of the file');
    assert.equal((parseCsv('a\nx"y\n', 'u.csv') as { error: string }).error, 'u.csv line 2: a quote inside an unquoted field');
    assert.equal((parseCsv('a,b\n', 'u.csv') as { error: string }).error, 'u.csv has a header row but no rows');
  });

  test('JSON: an array of flat objects, values stringified (null is "")', () => {
    assert.deepEqual(readDataFile(`${DIR}users.json`), { format: 'json', columns: ['id', 'n', 'ok', 'x'], rows: [['u1', '1', 'true', ''], ['u2', '2', 'false', 'y']] });
    assert.equal((parseJsonRows('[{"a": {"b": 1}}]', 'u.json') as { error: string }).error, 'u.json item 0.a is an object: values must be strings, numbers or booleans');
    assert.equal((parseJsonRows('{"a": 1}', 'u.json') as { error: string }).error, 'u.json must hold an array of objects');
    assert.equal((parseJsonRows('[{"a": 1}, {}]', 'u.json') as { error: string }).error, 'u.json item 1 lacks the key "a" (item 0\'s keys: a)');
  });

  test('readDataFile throws a WsherdError for workers', () => {
    assert.throws(() => readDataFile(`${DIR}short-row.csv`), (err: Error) => err instanceof WsherdError && err.message === `behavior.data: ${DIR}short-row.csv line 3 has 1 field, the header has 2 (id, token).`);
  });
});

describe('flow threshold metrics', () => {
  test('parse with their kinds; step names may hold - and .', () => {
    assert.deepEqual(parseThreshold('p99(step:req-1.a) < 2s'), { metric: 'p99(step:req-1.a)', op: '<', value: 2000 });
    assert.deepEqual(parseThreshold('step:req.error_rate < 1%'), { metric: 'step:req.error_rate', op: '<', value: 0.01 });
    assert.deepEqual(parseThreshold('step:a.b.errors <= 3'), { metric: 'step:a.b.errors', op: '<=', value: 3 });
    assert.deepEqual(parseThreshold('p999(delivery) < 250ms'), { metric: 'p999(delivery)', op: '<', value: 250 });
    assert.deepEqual(parseThreshold('delivery.loss < 0.5%'), { metric: 'delivery.loss', op: '<', value: 0.005 });
    assert.equal(metricDoc('step:x.errors')?.kind, 'count');
    assert.equal(metricDoc('p50(step:x)')?.kind, 'latency');
    assert.equal(metricDoc('frames.unsolicited')?.kind, 'count');
    assert.deepEqual(parseThreshold('step:x.errors < 1ms'), { error: 'unit "ms" does not apply to step:x.errors', hint: 'this metric has no unit; write a bare number' });
    assert.ok('error' in parseThreshold('step:x.latency < 1'));
  });
});
