import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseScenario } from '../../src/scenario/load.js';
import { rejectText } from './helpers.js';

/** A target scenario whose `behavior` body (indented 2) starts on line 5. */
const behavior = (body: string): string => `name: h\ntarget: ws://127.0.0.1:9/\nclients: 10\nbehavior:\n${body}`;
const parse = (body: string): ReturnType<typeof parseScenario>['behavior'] => parseScenario(behavior(body), 'h.yaml').behavior;
const problems = (body: string): string[] => rejectText(behavior(body), 'h.yaml').problems.map((p) => `${p.file}:${p.line}:${p.col} ${p.message}${p.hint === undefined ? '' : ` (${p.hint})`}`);

describe('behavior.headers', () => {
  test('absent or blank: no headers', () => {
    assert.equal(parse('  messages_per_second: 1\n').headers, undefined);
    assert.equal(parse('  headers:\n').headers, undefined);
  });

  test('names keep their spelling; numbers become strings; Host, Origin, Cookie, X-* and the subprotocols are allowed', () => {
    const b = parse([
      '  headers:',
      '    Authorization: "Bearer x"',
      '    Origin: https://app.example',
      '    Host: app.example',
      '    Cookie: "a=1; b=2"',
      '    User-Agent: wsherd-test',
      '    x-build: 42',
      '    X-Empty: ""',
      '    Sec-WebSocket-Protocol: "chat,  v2"',
      '',
    ].join('\n'));
    assert.deepEqual(b.headers, {
      Authorization: 'Bearer x', Origin: 'https://app.example', Host: 'app.example', Cookie: 'a=1; b=2',
      'User-Agent': 'wsherd-test', 'x-build': '42', 'X-Empty': '', 'Sec-WebSocket-Protocol': 'chat, v2',
    });
    assert.deepEqual(parse('  headers: {Origin: "https://a.example"}\n  engine: engineio\n').headers, { Origin: 'https://a.example' });
  });

  test('bad names, CR in a value, a header the client controls and a repeat by case: all reported at line:col', () => {
    assert.deepEqual(problems([
      '  headers:',
      '    "X Bad": 1',
      '    Authorization: "Bearer x\\r\\nX-Injected: 1"',
      '    Connection: keep-alive',
      '    authorization: other',
      '    sec-websocket-key: abc',
      '    X-Ok: [1, 2]',
      '    X-Nul: "a\\0b"',
      '',
    ].join('\n')), [
      'h.yaml:6:5 behavior.headers has an invalid header name "X Bad" (a header name is letters, digits and !#$%&\'*+-.^_`|~ (an RFC 9110 token): no spaces, colons or quotes)',
      'h.yaml:7:20 behavior.headers.Authorization must not contain CR, LF or NUL (they would end the header and start another) (write the value on one line; a YAML block scalar (| or >) adds a line break at the end)',
      'h.yaml:8:5 behavior.headers.Connection cannot be set: the client sends Connection: Upgrade for the WebSocket handshake, and manages the connection itself (remove Connection)',
      'h.yaml:9:5 behavior.headers.authorization repeats Authorization (line 7): header names are case-insensitive (keep one of them; to send several cookies, join them in one Cookie value with "; ")',
      'h.yaml:10:5 behavior.headers.sec-websocket-key cannot be set: the client makes a fresh random key for every handshake and checks the server\'s Sec-WebSocket-Accept against it (RFC 6455 §4.1) (remove sec-websocket-key)',
      'h.yaml:11:11 behavior.headers.X-Ok must be a string, got a list (quote the value)',
      'h.yaml:12:12 behavior.headers.X-Nul must not contain CR, LF or NUL (they would end the header and start another) (write the value on one line; a YAML block scalar (| or >) adds a line break at the end)',
    ]);
  });

  test('every header the client must control is refused, whatever its case', () => {
    for (const name of ['Connection', 'upgrade', 'Sec-WebSocket-Key', 'SEC-WEBSOCKET-VERSION', 'Sec-WebSocket-Accept', 'Sec-WebSocket-Extensions', 'Content-Length', 'Transfer-Encoding']) {
      const [line] = problems(`  headers: {${name}: x}\n`);
      assert.match(line ?? '', new RegExp(`^h\\.yaml:5:13 behavior\\.headers\\.${name} cannot be set: .+ \\(remove ${name}\\)$`), name);
    }
  });

  test('not a map, no value, characters HTTP cannot carry, a block scalar, a bad subprotocol list', () => {
    assert.deepEqual(problems('  headers: [Authorization]\n'), ['h.yaml:5:12 behavior.headers must be a map of header name to value, got a list (e.g. headers: {Authorization: "Bearer …", Origin: "https://app.example"})']);
    assert.deepEqual(problems('  headers: {X-A: }\n'), ['h.yaml:5:13 behavior.headers.X-A has no value (write the value, or "" for an empty header)']);
    assert.deepEqual(problems('  headers: {X-A: "€"}\n'), ['h.yaml:5:18 behavior.headers.X-A contains U+20AC, which an HTTP header value cannot carry (use visible ASCII; percent-encode or base64 anything else)']);
    assert.match(problems('  headers:\n    X-A: |\n      token\n')[0] ?? '', /^h\.yaml:6:10 behavior\.headers\.X-A must not contain CR, LF or NUL/);
    assert.deepEqual(problems('  headers: {Sec-WebSocket-Protocol: "chat, chat"}\n'), ['h.yaml:5:37 behavior.headers.Sec-WebSocket-Protocol must be a comma-separated list of distinct subprotocol names, got "chat, chat" (e.g. Sec-WebSocket-Protocol: "graphql-transport-ws, chat")']);
    assert.equal(problems('  headers: {X-A: true}\n')[0], 'h.yaml:5:18 behavior.headers.X-A must be a string, got a boolean (true) (quote the value)');
  });
});
