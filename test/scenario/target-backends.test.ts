import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseScenario } from '../../src/scenario/load.js';
import { backendIds } from '../../src/analysis/skew.js';
import { problemLines, rejectText } from './helpers.js';

describe('target.backends: the backends behind a target, so an idle one is counted', () => {
  test('the short form still works; a list of ids or a count in the object form', () => {
    assert.equal(parseScenario('name: a\ntarget: ws://127.0.0.1:9001/\nclients: 1\n', 'a.yaml').target?.backends, undefined);
    assert.deepEqual(parseScenario('name: a\ntarget: {url: ws://127.0.0.1:9001/, backends: [w1, w2, w3, w4]}\nclients: 1\n', 'a.yaml').target, { url: 'ws://127.0.0.1:9001/', backends: ['w1', 'w2', 'w3', 'w4'] });
    assert.equal(parseScenario('name: a\ntarget: {url: ws://127.0.0.1:9001/, backends: 4}\nclients: 1\n', 'a.yaml').target?.backends, 4);
  });

  test('bad declarations at file:line:col', () => {
    assert.deepEqual(problemLines('bad-target-backends.yaml'), [
      'bad-target-backends.yaml:4:26 target.backends[3] must be a backend id (a name such as w1), got a string ("unknown") (e.g. backends: [w1, w2, w3, w4] (the ids the servers send in x-wsherd-backend) or backends: 4)',
    ]);
    const zero = rejectText('name: a\ntarget: {url: ws://127.0.0.1:9001/, backends: 0}\nclients: 1\n');
    assert.match(zero.message, /inline\.yaml:2:47 target\.backends must be/);
    const dup = rejectText('name: a\ntarget: {url: ws://127.0.0.1:9001/, backends: [w1, w1]}\nclients: 1\n');
    assert.match(dup.message, /target\.backends\[1\] repeats the backend id "w1"/);
  });

  test('backendIds: seen plus declared, a count filled with unseen-N, natural order', () => {
    assert.deepEqual(backendIds(['w2', 'unknown', 'w10'], ['w1', 'w2']), ['w1', 'w2', 'w10']);
    assert.deepEqual(backendIds(['a', 'b', 'c'], 4), ['a', 'b', 'c', 'unseen-1']);
    assert.deepEqual(backendIds(['a'], undefined, ['b']), ['a', 'b']);
  });
});
