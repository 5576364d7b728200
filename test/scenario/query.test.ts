import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseScenario } from '../../src/scenario/load.js';
import { TEMPLATE_HINT, parseTemplate, renderTemplate } from '../../src/scenario/templates.js';
import { rejectText } from './helpers.js';

/** A target scenario whose `behavior` body (indented 2) starts on line 5. */
const scenario = (body: string, target = 'ws://127.0.0.1:9/', extra = ''): string => `name: q\ntarget: ${target}\nclients: 10\nbehavior:\n${body}${extra}`;
const parse = (body: string, target?: string, extra?: string): ReturnType<typeof parseScenario>['behavior'] => parseScenario(scenario(body, target, extra), 'q.yaml').behavior;
const problems = (body: string, target?: string, extra?: string): string[] =>
  rejectText(scenario(body, target, extra), 'q.yaml').problems.map((p) => `${p.file}:${p.line}:${p.col} ${p.message}${p.hint === undefined ? '' : ` (${p.hint})`}`);

const HINT = TEMPLATE_HINT;
const POPULATION = 'population:\n  - {name: office, share: 0.5, cidr: 127.0.0.1/32}\n  - {name: home, share: 0.5, cidr: 127.0.0.1/32}\n';

describe('per-client templates', () => {
  test('parse and render: client, client % N, group, literal text around, whitespace optional', () => {
    const render = (text: string, client: number, group?: string): string => {
      const p = parseTemplate(text);
      assert.ok('parts' in p, text);
      return renderTemplate(p.parts, { client, group });
    };
    assert.equal(render('u{{client}}', 17), 'u17');
    assert.equal(render('{{ client % 50 }}', 117), '17');
    assert.equal(render('{{client%3}}-{{ group }}!', 7, 'office'), '1-office!');
    assert.equal(render('no template }} here', 1), 'no template }} here');
    assert.deepEqual(parseTemplate('a{{ clients }}'), { error: 'has an unknown template {{ clients }}', hint: HINT, index: 1 });
    assert.deepEqual(parseTemplate('{{client % 0}}'), { error: 'has {{client % 0}}: N in {{ client % N }} must be a whole number ≥ 1, got "0"', hint: HINT, index: 0 });
    assert.ok('error' in parseTemplate('{{client % 2.5}}'));
    assert.ok('error' in parseTemplate('x{{client'));
  });
});

describe('behavior.query', () => {
  test('absent or blank: none; values as written (templates kept), numbers become strings', () => {
    assert.equal(parse('  messages_per_second: 1\n').query, undefined);
    assert.equal(parse('  query:\n').query, undefined);
    assert.deepEqual(parse('  query: {room: "{{ client % 50 }}", v: 2, user: "u{{client}}", e: ""}\n').query, { room: '{{ client % 50 }}', v: '2', user: 'u{{client}}', e: '' });
    assert.deepEqual(parse('  headers: {X-User-Id: "u{{ client }}"}\n').headers, { 'X-User-Id': 'u{{ client }}' });
  });

  test('the target URL\'s own parameters may stay, under other names', () => {
    assert.deepEqual(parse('  query: {room: "{{client}}"}\n', 'ws://127.0.0.1:9/chat?token=abc').query, { room: '{{client}}' });
  });

  test('{{ group }} with a population is accepted, in headers and query', () => {
    const b = parse('  query: {g: "{{group}}"}\n  headers: {X-Group: "{{ group }}"}\n', undefined, POPULATION);
    assert.deepEqual(b.query, { g: '{{group}}' });
  });

  test('unknown template, % 0, {{group}} without population, a name the URL has, bad names: at line:col', () => {
    assert.deepEqual(problems([
      '  query:',
      '    room: "r{{ clients }}"',
      '    shard: "{{client % 0}}"',
      '    g: x{{group}}',
      '    token: "{{client}}"',
      '    "a b": 1',
      '    "x&y": 1',
      '    u: {{client}}',
      '    n:',
      '  headers:',
      '    X-User: "{{ user }}"',
      '    X-Group: "{{group}}"',
      '',
    ].join('\n'), 'ws://127.0.0.1:9/?token=abc'), [
      `q.yaml:6:13 behavior.query.room has an unknown template {{ clients }} (${HINT})`,
      `q.yaml:7:13 behavior.query.shard has {{client % 0}}: N in {{ client % N }} must be a whole number ≥ 1, got "0" (${HINT})`,
      'q.yaml:8:9 behavior.query.g uses {{ group }}, which needs a population: section (add population: with named groups, or use {{ client }} / {{ client % N }})',
      'q.yaml:9:5 behavior.query.token: the target URL already has a parameter "token" (remove token from target.url or from behavior.query (one value per client goes in behavior.query))',
      'q.yaml:10:5 behavior.query has an invalid parameter name "a b" (a parameter name is letters, digits and - . _ ~ (characters a URL carries unencoded))',
      'q.yaml:11:5 behavior.query has an invalid parameter name "x&y" (a parameter name is letters, digits and - . _ ~ (characters a URL carries unencoded))',
      'q.yaml:12:8 behavior.query.u must be a string, got a map (quote the value; a template must be quoted: "{{ client }}")',
      'q.yaml:13:5 behavior.query.n has no value (write the value, or "" for an empty parameter)',
      `q.yaml:15:14 behavior.headers.X-User has an unknown template {{ user }} (${HINT})`,
      'q.yaml:16:15 behavior.headers.X-Group uses {{ group }}, which needs a population: section (add population: with named groups, or use {{ client }} / {{ client % N }})',
    ]);
  });

  test('a session engine refuses engine.io\'s own parameters; not a map is a problem', () => {
    assert.deepEqual(problems('  engine: socketio\n  query: {sid: "{{client}}", EIO: 3}\n'), [
      'q.yaml:6:11 behavior.query.sid cannot be set: engine.io puts sid on every request of a session itself (use another name than EIO, transport, sid, t)',
      'q.yaml:6:30 behavior.query.EIO cannot be set: engine.io puts EIO on every request of a session itself (use another name than EIO, transport, sid, t)',
    ]);
    assert.deepEqual(parse('  query: {sid: "{{client}}"}\n').query, { sid: '{{client}}' });
    assert.deepEqual(problems('  query: room=1\n'), ['q.yaml:5:10 behavior.query must be a map of parameter name to value, got a string ("room=1") (e.g. query: {room: "{{ client % 50 }}"})']);
  });
});
