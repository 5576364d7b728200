import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { assignRoles, roleCounts } from '../../src/load/flow/roles.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { rowIndex, loadRows } from '../../src/load/flow/data-rows.js';

describe('roles by slot', () => {
  test('counts per role are the largest-remainder apportionment, for several sizes and shares', () => {
    const cases: Array<[number, number[]]> = [[1, [0.01, 0.99]], [7, [0.5, 0.5]], [100, [0.01, 0.99]], [101, [0.3, 0.3, 0.4]], [1000, [0.1, 0.2, 0.7]], [3, [1 / 3, 1 / 3, 1 / 3]], [10, [0.25, 0.75]]];
    for (const [n, shares] of cases) {
      const roles = assignRoles(n, shares);
      const counted = shares.map((_, r) => roles.filter((x) => x === r).length);
      assert.deepEqual(counted, roleCounts(n, shares), `n=${n} shares=${shares.join(',')}`);
      assert.equal(counted.reduce((a, b) => a + b, 0), n);
      // Each count is its exact share rounded down or up.
      counted.forEach((c, r) => assert.ok(Math.abs(c - n * (shares[r] as number)) < 1, `n=${n} role ${r}: ${c}`));
    }
    assert.deepEqual(roleCounts(10, [0.25, 0.75]), [3, 7]);
    assert.deepEqual(roleCounts(100, [0.01, 0.99]), [1, 99]);
  });

  test('a small role is spread over the slots, not packed at the start', () => {
    const roles = assignRoles(1000, [0.1, 0.9]);
    const pubs = [...roles.keys()].filter((s) => roles[s] === 0);
    assert.equal(pubs.length, 100);
    // Every block of 100 slots holds 10 of them.
    for (let b = 0; b < 10; b++) assert.equal(pubs.filter((s) => Math.floor(s / 100) === b).length, 10);
  });

  test('a small role is not periodic: `room-{{ client % 50 }}` gives 1% publishers many rooms, not one', () => {
    const roles = assignRoles(2000, [0.01, 0.99]);
    const pubs = [...roles.keys()].filter((s) => roles[s] === 0);
    assert.equal(pubs.length, 20);
    assert.ok(new Set(pubs.map((s) => s % 50)).size >= 10, `rooms: ${pubs.map((s) => s % 50).join(',')}`);
    // Still one per 100-slot block (spread over a ramp), and both workers of a 2-worker run get some.
    for (let b = 0; b < 20; b++) assert.equal(pubs.filter((s) => Math.floor(s / 100) === b).length, 1);
    assert.ok(pubs.some((s) => s % 2 === 0) && pubs.some((s) => s % 2 === 1));
    assert.deepEqual(assignRoles(2000, [0.01, 0.99]), roles, 'the same in every worker');
  });
});

describe('data rows', () => {
  test('CSV with quotes, sequential and seeded random rows', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'wsherd-rows-'));
    const csv = path.join(dir, 'users.csv');
    writeFileSync(csv, 'user,token\r\nalice,"a,""1"""\nbob,b2\n');
    const spec = { file: csv, format: 'csv' as const, order: 'sequential' as const, secret: [], columns: ['user', 'token'], rows: 2, location: { file: 'x', line: 1, col: 1 } };
    assert.deepEqual([...loadRows(spec, [0, 1])], [[0, { user: 'alice', token: 'a,"1"' }], [1, { user: 'bob', token: 'b2' }]]);
    const json = path.join(dir, 'users.json');
    writeFileSync(json, '[{"user":"x","n":1}]');
    assert.deepEqual([...loadRows({ ...spec, file: json, format: 'json', columns: ['user', 'n'], rows: 1 }, [0])], [[0, { user: 'x', n: '1' }]]);
    assert.equal(rowIndex(5, 10, 'sequential'), 5);
    const r = [0, 1, 2, 3].map((s) => rowIndex(s, 1000, 'random'));
    assert.deepEqual(r, [0, 1, 2, 3].map((s) => rowIndex(s, 1000, 'random')));
    assert.ok(new Set(r).size > 1);
  });
});
