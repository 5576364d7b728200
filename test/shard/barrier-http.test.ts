import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { joinBarrier, type BarrierJoin, type BarrierOutcome } from '../../src/shard/barrier.js';
import { startBarrierServer, type BarrierEvent, type BarrierServer } from '../../src/shard/barrier-server.js';
import { isWsherdError, type WsherdError } from '../../src/errors.js';
import { freePort } from '../helpers/free-port.js';
import { joinInChild } from './shards.js';

const servers: BarrierServer[] = [];
after(() => Promise.all(servers.map((s) => s.close())));

async function barrier(opts: { leadMs?: number; shards?: number; now?: () => number } = {}): Promise<{ server: BarrierServer; events: BarrierEvent[] }> {
  const events: BarrierEvent[] = [];
  const server = await startBarrierServer({ host: '127.0.0.1', port: 0, leadMs: opts.leadMs ?? 500, onEvent: (e) => events.push(e), ...opts });
  servers.push(server);
  return { server, events };
}

let runs = 0;
const runId = (): string => `test-${process.pid}-${++runs}`;

function join(url: string, run: string, shard: number, shards: number, more: Partial<BarrierJoin> = {}): Promise<BarrierOutcome> {
  return joinBarrier({ url, runId: run, shard, shards, timeoutMs: 20_000, leadMs: 500, ...more });
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

/** Every shard's local start is the barrier's instant converted with its own offset, within its stated uncertainty. */
function assertAgree(outs: BarrierOutcome[], barrierStartAt: number, skewOf: (i: number) => number = () => 0): void {
  for (const [i, o] of outs.entries()) {
    assert.ok(o.clockUncertaintyMs !== undefined && o.clockOffsetMs !== undefined, 'every shard measured the clock');
    // The shard's clock reads (real + skew); its start, back in real time, must be the barrier's start.
    const real = o.startAt - skewOf(i);
    assert.ok(Math.abs(real - barrierStartAt) <= o.clockUncertaintyMs + 2, `shard ${i}: start ${real} vs barrier ${barrierStartAt} (± ${o.clockUncertaintyMs} ms)`);
  }
  const reals = outs.map((o, i) => o.startAt - skewOf(i));
  const spread = Math.max(...reals) - Math.min(...reals);
  assert.ok(spread <= 10, `starts spread over ${spread} ms: ${reals.join(', ')}`);
}

describe('HTTP barrier', { timeout: 60_000 }, () => {
  test('4 shards in 4 processes are released together with one start instant, arrived = 4', async () => {
    const { server, events } = await barrier({ leadMs: 1500 });
    const run = runId();
    const results = await Promise.all([0, 1, 2, 3].map((shard) => joinInChild({ url: server.url, runId: run, shard, shards: 4, timeoutMs: 30_000, leadMs: 1000 })));
    const release = await server.released;
    const outs = results.map((r, i) => {
      assert.ok(r.ok, `shard ${i}: ${JSON.stringify(r.error)}`);
      return r.ok;
    });
    assert.deepEqual(release.collected, [0, 1, 2, 3]);
    assert.equal(release.runId, run);
    for (const o of outs) {
      assert.equal(o.arrived, 4);
      assert.equal(o.kind, 'http');
      assert.ok(Math.abs(o.clockOffsetMs ?? Infinity) <= (o.clockUncertaintyMs ?? 0) + 2, `same host, offset ${o.clockOffsetMs}`);
    }
    assertAgree(outs, release.startAt);
    // The barrier's --lead (1.5 s) is larger than the shards' (1 s): the larger wins.
    const rel = events.find((e) => e.type === 'release');
    assert.ok(rel?.type === 'release' && rel.startAt - rel.now === 1500, JSON.stringify(rel));
    assert.deepEqual(events.filter((e) => e.type === 'arrival').map((e) => (e.type === 'arrival' ? e.arrived : 0)), [1, 2, 3, 4]);
  });

  test('a barrier whose clock runs 5 s ahead: every shard measures +5,000 ms and starts at the same real instant, whatever its own clock', async () => {
    const { server } = await barrier({ now: () => Date.now() + 5000, leadMs: 800 });
    const run = runId();
    // Shards 2 and 3 have clocks of their own, 3 s behind and 1.2 s ahead of this host's.
    const skew = [0, 0, -3000, 1200];
    const outs = await Promise.all(skew.map((s, shard) => join(server.url, run, shard, 4, { now: () => Date.now() + s })));
    const release = await server.released;
    for (const [i, o] of outs.entries()) {
      const expected = 5000 - skew[i]!;
      assert.ok(Math.abs((o.clockOffsetMs ?? Infinity) - expected) <= 50, `shard ${i}: offset ${o.clockOffsetMs}, expected ${expected} ± 50`);
    }
    // release.startAt is in the barrier's clock (this host's + 5 s).
    assertAgree(outs, release.startAt - 5000, (i) => skew[i]!);
  });

  test('a barrier only 2 of 4 shards join: both time out with "2 of 4" and the shards that came, exit 6', async () => {
    const { server } = await barrier();
    const run = runId();
    const t0 = Date.now();
    const errs = await Promise.all([0, 2].map((shard) => refusal(join(server.url, run, shard, 4, { timeoutMs: 1500 }))));
    assert.ok(Date.now() - t0 < 6000, `took ${Date.now() - t0} ms`);
    for (const e of errs) {
      assert.equal(e.code, 'WSH_ERR_BARRIER_TIMEOUT');
      assert.equal(e.exitCode, 6);
      assert.equal(
        e.message,
        `barrier ${server.url}: 2 of 4 shards of run ${run} arrived within 1s500ms (shards 0, 2); the others never joined — check they run with the same --run-id and --barrier.`,
      );
      assert.equal(e.hint, 'Missing: shards 1, 3. If they start slowly (image pulls, queued CI jobs), raise --barrier-timeout.');
    }
  });

  test('a shard that says another shard count is refused as invalid input; so is any count but --shards', async () => {
    const { server } = await barrier();
    const run = runId();
    const first = new AbortController();
    const waiting = join(server.url, run, 0, 4, { signal: first.signal });
    await new Promise((r) => setTimeout(r, 300));
    const e = await refusal(join(server.url, run, 1, 3));
    first.abort('SIGINT');
    await refusal(waiting);
    assert.equal(e.code, 'WSH_ERR_INVALID_INPUT');
    assert.equal(e.exitCode, 2);
    assert.equal(e.message, `barrier ${server.url} refused shard 1 of run ${run}: run ${run} has 4 shards (shard 0 said so first), but shard 1 says 3: every shard of a run must run with the same --shard i/N.`);

    const fixed = await barrier({ shards: 4 });
    const e2 = await refusal(join(fixed.server.url, runId(), 0, 2));
    assert.equal(e2.code, 'WSH_ERR_INVALID_INPUT');
    assert.match(e2.message, /this barrier was started with --shards 4, but shard 0 of run \S+ says 2: every shard must run with --shard i\/4\.$/);
    assert.ok(fixed.events.some((ev) => ev.type === 'refused' && ev.status === 409));
  });

  test('aborting the wait rejects at once with WSH_ERR_ABORTED (143 for SIGTERM), and the barrier forgets the held request', async () => {
    const { server } = await barrier();
    const run = runId();
    const ac = new AbortController();
    const waiting = refusal(join(server.url, run, 0, 2, { signal: ac.signal }));
    await new Promise((r) => setTimeout(r, 300));
    const t0 = Date.now();
    ac.abort('SIGTERM');
    const e = await waiting;
    assert.ok(Date.now() - t0 < 500, `abort took ${Date.now() - t0} ms`);
    assert.equal(e.code, 'WSH_ERR_ABORTED');
    assert.equal(e.exitCode, 143);
    assert.equal(e.message, `Stopped while waiting at barrier ${server.url}.`);
    // The shard that gave up still counts as arrived (it may come back); the next shard completes the run.
    const out = await join(server.url, run, 1, 2);
    assert.equal(out.arrived, 2);
  });

  test('a shard joining twice (a retried pod) counts once', async () => {
    const { server, events } = await barrier();
    const run = runId();
    const [a, b, c] = await Promise.all([join(server.url, run, 0, 2), join(server.url, run, 0, 2), new Promise((r) => setTimeout(r, 300)).then(() => join(server.url, run, 1, 2))]);
    assert.equal(events.filter((e) => e.type === 'arrival').length, 2);
    assert.equal(a.arrived, 2);
    assert.equal(Math.abs(a.startAt - b.startAt) <= 10 && Math.abs(a.startAt - c.startAt) <= 10, true);
  });

  test('a run id reused after its start passed is refused (410) as invalid input', async () => {
    let ahead = 0;
    const { server } = await barrier({ now: () => Date.now() + ahead });
    const run = runId();
    await join(server.url, run, 0, 1);
    ahead = 120_000;
    const e = await refusal(join(server.url, run, 0, 1));
    assert.equal(e.code, 'WSH_ERR_INVALID_INPUT');
    assert.match(e.message, /: run \S+ already started at \d{4}-\d\d-\d\dT[\d:.]+Z \(barrier clock\): a run id is used once; give each run a new --run-id\.$/);
  });

  test('nothing listening: times out saying it was not reachable; credentials never appear in messages', async () => {
    const port = await freePort();
    const e = await refusal(join(`http://shard:s3cret@127.0.0.1:${port}/barrier`, runId(), 0, 2, { timeoutMs: 800 }));
    assert.equal(e.code, 'WSH_ERR_BARRIER_TIMEOUT');
    assert.equal(e.message, `barrier http://shard:***@127.0.0.1:${port}/barrier: not reachable within 800ms (last error: ECONNREFUSED).`);
    assert.doesNotMatch(`${e.message} ${e.hint ?? ''}`, /s3cret/);
  });

  test('an HTTP server that is not a barrier, and URLs that are not barriers, are invalid input', async () => {
    const other = http.createServer((_req, res) => res.writeHead(404).end('not here'));
    other.listen(0, '127.0.0.1');
    await once(other, 'listening');
    try {
      const url = `http://127.0.0.1:${(other.address() as AddressInfo).port}/x`;
      const e = await refusal(join(url, runId(), 0, 2));
      assert.equal(e.code, 'WSH_ERR_INVALID_INPUT');
      assert.equal(e.message, `barrier ${url} answered HTTP 404 without a clock to GET …/time: it is not a wsherd barrier.`);
    } finally {
      other.close();
    }
    assert.equal((await refusal(join('ftp://127.0.0.1/', runId(), 0, 2))).message, '--barrier "ftp://127.0.0.1/" is not an http:// or redis:// URL.');
    assert.equal((await refusal(join('https://u:pw@example.test/', runId(), 0, 2))).message, '--barrier https://u:***@example.test/: TLS (https://) is not supported.');
    assert.equal((await refusal(join('http://127.0.0.1:1/', 'has space', 0, 2))).message, '--run-id "has space" must be 1-200 letters, digits or . _ : @ + = / -.');
    assert.equal((await refusal(join('http://127.0.0.1:1/', runId(), 4, 4))).message, 'shard 4 of 4 is out of range: shards are numbered 0 to 3.');
  });

  test('a port already taken is invalid input naming it', async () => {
    const { server } = await barrier();
    const e = await refusal(startBarrierServer({ host: '127.0.0.1', port: server.port, leadMs: 0 }));
    assert.equal(e.code, 'WSH_ERR_INVALID_INPUT');
    assert.equal(e.message, `The barrier cannot listen on 127.0.0.1:${server.port}: EADDRINUSE.`);
    assert.equal(e.hint, 'Another process holds that port: pick another --port (0 picks a free one).');
  });

  test('a prefix in the URL is served (routes match on the last segment)', async () => {
    const { server } = await barrier();
    const out = await join(`${server.url}/wsherd/barrier/`, runId(), 0, 1);
    assert.equal(out.arrived, 1);
  });
});
