/** Which part of a scenario a shard runs (src/shard/spec.ts), and the slots its workers own (src/load/own-schedule.ts). */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { parseShard, resolveShard, shardClients, shardScenario } from '../../src/shard/spec.js';
import { ownSlotsOf } from '../../src/load/own-schedule.js';
import { isWsherdError } from '../../src/errors.js';
import type { Scenario } from '../../src/scenario/types.js';
import { BEHAVIOR } from '../load/helpers/harness.js';

const refused = (f: () => unknown, text: RegExp): void => {
  assert.throws(f, (err: unknown) => isWsherdError(err) && err.exitCode === 2 && text.test(err.message));
};

const scenario = (over: Partial<Scenario> = {}): Scenario => ({
  name: 's', target: { url: 'ws://127.0.0.1:9/' }, clients: 10,
  phases: [{ kind: 'hold', durationMs: 1000, to: 10 }], behavior: BEHAVIOR, thresholds: [], ...over,
});

describe('shard spec', () => {
  test('i/N parses; shards count from 0, and 5/4 or 4/4 names the last shard that exists', () => {
    assert.deepEqual(parseShard('2/4'), { index: 2, count: 4 });
    assert.deepEqual(parseShard(' 0 / 1 '), { index: 0, count: 1 });
    refused(() => parseShard('5/4'), /shard 5 does not exist among 4 \(they are 0 to 3\)/);
    refused(() => parseShard('4/4'), /the last of 4 is 3\/4/);
    refused(() => parseShard('1/0'), /at least 1/);
    refused(() => parseShard('a/b'), /not of the form i\/N/);
    refused(() => parseShard('-1/4'), /not of the form i\/N/);
  });

  test('the flag first, then --shards with JOB_COMPLETION_INDEX, then WSHERD_SHARD', () => {
    assert.deepEqual(resolveShard({ shard: '1/3', env: { WSHERD_SHARD: '0/2' } }), { index: 1, count: 3 });
    assert.deepEqual(resolveShard({ shards: 8, env: { JOB_COMPLETION_INDEX: '7', WSHERD_SHARD: '0/2' } }), { index: 7, count: 8 });
    assert.deepEqual(resolveShard({ env: { WSHERD_SHARD: '0/2' } }), { index: 0, count: 2 });
    assert.equal(resolveShard({ env: {} }), undefined);
    refused(() => resolveShard({ shards: 4, env: {} }), /JOB_COMPLETION_INDEX is not set/);
    refused(() => resolveShard({ shards: 4, env: { JOB_COMPLETION_INDEX: '4' } }), /JOB_COMPLETION_INDEX 4\/4/);
    refused(() => resolveShard({ shard: '1/3', shards: 4, env: {} }), /disagree on the shard count/);
    refused(() => resolveShard({ env: { WSHERD_SHARD: '3/3' } }), /^WSHERD_SHARD 3\/3/);
  });

  test('N shards of any worker counts own every slot exactly once, shard i the slots s % N = i', () => {
    const clients = 1001;
    for (const n of [1, 2, 3, 7]) {
      const seen = new Array<number>(clients).fill(0);
      for (let i = 0; i < n; i++) {
        const w = 1 + (i % 3); // shards on hosts of different sizes
        let owned = 0;
        for (let k = 0; k < w; k++) {
          for (const s of ownSlotsOf({ clients, workerId: i + n * k, workerCount: n * w })) {
            assert.equal(s % n, i);
            seen[s] = (seen[s] ?? 0) + 1;
            owned++;
          }
        }
        assert.equal(owned, shardClients(clients, { index: i, count: n }));
      }
      assert.ok(seen.every((c) => c === 1), `n=${n}`);
    }
  });

  test('faults only on shard 0; a lab scenario and more shards than clients are refused', () => {
    const faults = [{ atMs: 1000, action: 'kill', location: { line: 1, column: 1 } }] as unknown as Scenario['faults'];
    assert.deepEqual(shardScenario(scenario({ faults }), { index: 0, count: 2 }, 'f.yaml').faults, faults);
    assert.equal(shardScenario(scenario({ faults }), { index: 1, count: 2 }, 'f.yaml').faults, undefined);
    const lab = { ...scenario(), lab: {} } as unknown as Scenario;
    refused(() => shardScenario(lab, { index: 0, count: 2 }, 'f.yaml'), /f\.yaml: a sharded run needs a `target:`/);
    refused(() => shardScenario(scenario({ clients: 3 }), { index: 0, count: 4 }, 'f.yaml'), /4 shards for 3 clients/);
  });
});
