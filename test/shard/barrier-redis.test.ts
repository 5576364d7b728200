import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { joinBarrier, type BarrierJoin, type BarrierOutcome } from '../../src/shard/barrier.js';
import { RespConnection } from '../../src/proxy/store/resp.js';
import { isWsherdError, type WsherdError } from '../../src/errors.js';
import { REDIS_SKIP, RedisChild, freePort } from '../proxy/store/redis-server.js';
import { joinInChild } from './shards.js';

const redis = new RedisChild(await freePort());
before(() => (REDIS_SKIP === false ? redis.start() : undefined));
after(() => redis.kill());

let runs = 0;
const runId = (): string => `redis-test-${process.pid}-${++runs}`;

function join(run: string, shard: number, shards: number, more: Partial<BarrierJoin> = {}): Promise<BarrierOutcome> {
  return joinBarrier({ url: redis.url, runId: run, shard, shards, timeoutMs: 20_000, leadMs: 500, ...more });
}

async function refusal(p: Promise<unknown>): Promise<WsherdError> {
  try {
    await p;
  } catch (err) {
    if (isWsherdError(err)) return err;
    throw err;
  }
  assert.fail('expected a WsherdError');
}

async function redisCommand(args: string[]): Promise<unknown> {
  const c = await RespConnection.open('127.0.0.1', redis.port, 2000);
  try {
    return await c.send(args, 2000);
  } finally {
    c.close();
  }
}

describe('Redis barrier (real redis-server)', { timeout: 60_000, skip: REDIS_SKIP }, () => {
  test('4 shards in 4 processes agree on one start: Redis TIME + lead, converted with each one\'s offset', async () => {
    const run = runId();
    const results = await Promise.all([0, 1, 2, 3].map((shard) => joinInChild({ url: redis.url, runId: run, shard, shards: 4, timeoutMs: 30_000, leadMs: 1000 })));
    const start = Number(await redisCommand(['GET', `wsherd:barrier:${run}:start`]));
    const ttl = Number(await redisCommand(['TTL', `wsherd:barrier:${run}:joined`]));
    assert.ok(ttl > 86_000 && ttl <= 86_400, `joined expires in ${ttl} s`);
    assert.deepEqual(((await redisCommand(['SMEMBERS', `wsherd:barrier:${run}:joined`])) as string[]).sort(), ['0', '1', '2', '3']);
    const starts = results.map((r, i) => {
      assert.ok(r.ok, `shard ${i}: ${JSON.stringify(r.error)}`);
      assert.equal(r.ok.arrived, 4);
      assert.equal(r.ok.kind, 'redis');
      const u = r.ok.clockUncertaintyMs ?? Infinity;
      // Redis runs on this host: the offset is 0 within the measurement's own bound.
      assert.ok(Math.abs(r.ok.clockOffsetMs ?? Infinity) <= u + 2, `offset ${r.ok.clockOffsetMs} ± ${u}`);
      assert.ok(Math.abs(r.ok.startAt - start) <= u + 2, `shard ${i}: start ${r.ok.startAt} vs Redis ${start} (± ${u})`);
      return r.ok.startAt;
    });
    assert.ok(Math.max(...starts) - Math.min(...starts) <= 10, `starts: ${starts.join(', ')}`);
  });

  test('a shard whose clock is 4 s behind converts the same instant into its own clock', async () => {
    const run = runId();
    const [a, b] = await Promise.all([join(run, 0, 2), join(run, 1, 2, { now: () => Date.now() - 4000 })]);
    assert.ok(Math.abs((b.clockOffsetMs ?? 0) - 4000) <= 50, `offset ${b.clockOffsetMs}`);
    assert.ok(Math.abs(b.startAt + 4000 - a.startAt) <= (a.clockUncertaintyMs ?? 0) + (b.clockUncertaintyMs ?? 0) + 4);
  });

  test('only 2 of 4 join: both time out with "2 of 4" and the shards that came, exit 6', async () => {
    const run = runId();
    const errs = await Promise.all([1, 3].map((shard) => refusal(join(run, shard, 4, { timeoutMs: 1000 }))));
    for (const e of errs) {
      assert.equal(e.code, 'WSH_ERR_BARRIER_TIMEOUT');
      assert.equal(e.exitCode, 6);
      assert.equal(e.message, `barrier ${redis.url}: 2 of 4 shards of run ${run} arrived within 1s (shards 1, 3); the others never joined — check they run with the same --run-id and --barrier.`);
      assert.equal(e.hint, 'Missing: shards 0, 2. If they start slowly (image pulls, queued CI jobs), raise --barrier-timeout.');
    }
  });

  test('a shard count that disagrees with the run\'s is invalid input', async () => {
    const run = runId();
    const ac = new AbortController();
    const first = refusal(join(run, 0, 4, { signal: ac.signal }));
    await new Promise((r) => setTimeout(r, 300));
    const e = await refusal(join(run, 1, 2));
    ac.abort('SIGINT');
    assert.equal((await first).code, 'WSH_ERR_ABORTED');
    assert.equal(e.code, 'WSH_ERR_INVALID_INPUT');
    assert.equal(e.message, `barrier ${redis.url} refused shard 1 of run ${run}: the run has 4 shards (the first shard to join said so), but this shard says 2.`);
  });

  test('a run id whose start passed a minute ago is refused (stale keys of an earlier run)', async () => {
    const run = runId();
    await redisCommand(['SET', `wsherd:barrier:${run}:start`, String(Date.now() - 120_000), 'EX', '60']);
    const e = await refusal(join(run, 0, 1));
    assert.equal(e.code, 'WSH_ERR_INVALID_INPUT');
    assert.match(e.message, /: that run already started at \S+Z \(Redis clock\)\.$/);
    assert.equal(e.hint, `A run id is used once (its keys live a day): give each run a new --run-id, or delete the keys wsherd:barrier:${run}:*.`);
  });

  test('aborting the wait rejects with WSH_ERR_ABORTED', async () => {
    const ac = new AbortController();
    const p = refusal(join(runId(), 0, 2, { signal: ac.signal }));
    await new Promise((r) => setTimeout(r, 300));
    const t0 = Date.now();
    ac.abort('SIGINT');
    const e = await p;
    assert.ok(Date.now() - t0 < 500);
    assert.equal(e.code, 'WSH_ERR_ABORTED');
    assert.equal(e.exitCode, 130);
  });

  test('a refused AUTH is invalid input at once, the password redacted; no Redis is a timeout saying so', async () => {
    const url = `redis://:hunter2@127.0.0.1:${redis.port}/0`;
    const e = await refusal(joinBarrier({ url, runId: runId(), shard: 0, shards: 2, timeoutMs: 20_000, leadMs: 0 }));
    assert.equal(e.code, 'WSH_ERR_INVALID_INPUT');
    assert.match(e.message, new RegExp(`^barrier redis://:\\*\\*\\*@127\\.0\\.0\\.1:${redis.port}/0: Redis refused the connection: "ERR AUTH`));
    assert.doesNotMatch(e.message, /hunter2/);

    const port = await freePort();
    const e2 = await refusal(joinBarrier({ url: `redis://127.0.0.1:${port}`, runId: runId(), shard: 0, shards: 2, timeoutMs: 700, leadMs: 0 }));
    assert.equal(e2.code, 'WSH_ERR_BARRIER_TIMEOUT');
    assert.equal(e2.message, `barrier redis://127.0.0.1:${port}: not reachable within 700ms (last error: ECONNREFUSED).`);

    const e3 = await refusal(joinBarrier({ url: 'redis://127.0.0.1:6379/x', runId: runId(), shard: 0, shards: 2, timeoutMs: 700, leadMs: 0 }));
    assert.equal(e3.message, 'Invalid --barrier URL "redis://127.0.0.1:6379/x": the path must be a database number, got "/x".');
  });
});
