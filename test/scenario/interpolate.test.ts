import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ScenarioError } from '../../src/errors.js';
import { parseScenario } from '../../src/scenario/load.js';
import { substitute, type Env } from '../../src/scenario/interpolate.js';

const base = (extra = '') => `name: vars\ntarget: \${TARGET}\nclients: \${CLIENTS:-100}\n${extra}`;

function problems(text: string, env: Env): string[] {
  try {
    parseScenario(text, 'v.yaml', { env });
  } catch (err) {
    assert.ok(err instanceof ScenarioError, String(err));
    return err.problems.map((p) => `${p.line}:${p.col} ${p.path} ${p.message} (${p.hint ?? ''})`);
  }
  return assert.fail('accepted');
}

describe('substitute', () => {
  test('references, defaults, required-with-message, literals', () => {
    const env = { A: 'x', EMPTY: '' };
    assert.deepEqual(substitute('${A}-${A}', env), { ok: true, text: 'x-x' });
    assert.deepEqual(substitute('${B:-d e f}', env), { ok: true, text: 'd e f' });
    assert.deepEqual(substitute('${EMPTY:-d}', env), { ok: true, text: 'd' });
    assert.deepEqual(substitute('${EMPTY}', env), { ok: true, text: '' }); // set but empty is a value, as in compose
    assert.deepEqual(substitute('$${A} costs $5', env), { ok: true, text: '${A} costs $5' });
    assert.equal(substitute('${B:?give B}', env).ok, false);
    assert.equal(substitute('${A:?give A}', env).ok, true);
  });

  test('malformed references are problems, not text', () => {
    for (const bad of ['${A', '${}', '${1A}', '${A-b}', '${A B}']) {
      assert.equal(substitute(bad, { A: 'x' }).ok, false, bad);
    }
  });
});

describe('variables in a scenario', () => {
  test('values are substituted and unquoted ones typed as YAML would; quoted ones stay strings', () => {
    const s = parseScenario(base('phases:\n  - ramp_up: 1s\n  - hold: ${HOLD:-2s}\nbehavior:\n  payload_bytes: ${BYTES}\n'), 'v.yaml', {
      env: { TARGET: 'ws://127.0.0.1:9001/', CLIENTS: '250', BYTES: '64' },
    });
    assert.equal(s.clients, 250);
    assert.equal(s.target?.url, 'ws://127.0.0.1:9001/');
    assert.equal(s.behavior.payloadBytes, 64);
    assert.equal(s.phases[1]?.durationMs, 2000);
    // A quoted reference is a string: clients must then be a number, and that is the problem reported.
    assert.deepEqual(problems('name: vars\ntarget: ws://127.0.0.1:9001/\nclients: "${CLIENTS}"\n', { CLIENTS: '5' }), [
      '3:10 clients clients must be an integer, got a string ("5") (remove the quotes)',
    ]);
  });

  test('every unset variable is reported at its value with its path, and nothing else is checked', () => {
    const text = base('phases:\n  - hold: ${HOLD:?the hold time, e.g. 30s}\n');
    assert.deepEqual(problems(text, {}), [
      '2:9 target environment variable TARGET is not set (set it before the command or with -e TARGET=…, or give a default: ${TARGET:-value})',
      '5:11 phases[0].hold the hold time, e.g. 30s (environment variable HOLD is not set) (set it before the command or with -e HOLD=…)',
    ]);
  });

  test('keys are never substituted; compare entries are', () => {
    const text = 'name: vars\nlab:\n  backends: {count: 2}\n  proxy: {strategy: round-robin}\nclients: 10\ncompare:\n  - strategy: ${S1}\n  - strategy: least-connections\n';
    const s = parseScenario(text, 'v.yaml', { env: { S1: 'random' } });
    assert.equal(s.compare?.[0]?.proxy.strategy, 'random');
    assert.match(problems('name: vars\n${K}: 1\ntarget: ws://127.0.0.1:1/\nclients: 1\n', { K: 'x' }).join('\n'), /unknown key "\$\{K\}"/);
  });

  test('${…} inside a flow map: one hint saying why, and the cascade cut short', () => {
    const out = problems('name: vars\nlab:\n  backends: {count: ${N}}\n  proxy: {strategy: round-robin}\nclients: 10\n', { N: '2' });
    assert.ok(out.length <= 4, out.join('\n'));
    assert.match(out[0] ?? '', /^3:\d+ .*YAML syntax error.*write that map one key per line/);
  });
});
