import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { closest, editDistance, suggestHint } from '../../src/scenario/suggest.js';

describe('suggestions', () => {
  test('edit distance counts a swap of neighbours as one edit', () => {
    assert.equal(editDistance('clients', 'clients'), 0);
    assert.equal(editDistance('clinets', 'clients'), 1);
    assert.equal(editDistance('behaviour', 'behavior'), 1);
    assert.equal(editDistance('', 'abc'), 3);
    assert.equal(editDistance('kitten', 'sitting'), 3);
  });

  test('closest suggests only reasonably close names, ignoring case', () => {
    const keys = ['name', 'lab', 'target', 'clients', 'workers', 'phases'];
    assert.equal(closest('clinets', keys), 'clients');
    assert.equal(closest('Phase', keys), 'phases');
    assert.equal(closest('foo', keys), undefined);
    assert.equal(closest('x', keys), undefined);
    assert.equal(suggestHint('wrokers', keys), 'did you mean "workers"?');
    assert.equal(suggestHint('zzz', keys), 'valid keys: name, lab, target, clients, workers, phases');
  });
});
