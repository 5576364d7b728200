import { afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { STATS_PATH } from '../../src/backend/identity.js';
import { BackendState } from '../../src/proxy/pool.js';
import { applyResult, resolveHealth } from '../../src/proxy/health.js';
import { Live, backendStats, eventually, spread, stats } from './live.js';

const live = new Live();
afterEach(() => live.closeAll());

const fast = { kind: 'tcp', intervalMs: 40, timeoutMs: 500, rise: 2, fall: 3 } as const;

describe('health checks', () => {
  test('rise/fall: down after `fall` consecutive failures, up after `rise` consecutive passes', () => {
    const b = new BackendState({ id: 'b1', host: '127.0.0.1', port: 1 });
    assert.equal(applyResult(b, 'ECONNREFUSED', 2, 3), false);
    assert.equal(applyResult(b, null, 2, 3), false, 'a pass resets the failure streak');
    assert.equal(applyResult(b, 'ECONNREFUSED', 2, 3), false);
    assert.equal(applyResult(b, 'ECONNREFUSED', 2, 3), false);
    assert.equal(applyResult(b, 'ETIMEDOUT', 2, 3), true);
    assert.equal(b.checkUp, false);
    assert.equal(applyResult(b, null, 2, 3), false);
    assert.equal(applyResult(b, null, 2, 3), true);
    assert.equal(b.checkUp, true);
    assert.deepEqual([b.checksPassed, b.checksFailed, b.lastError], [3, 4, 'ETIMEDOUT']);
  });

  test('defaults are HAProxy’s (inter 2s, rise 2, fall 3); bad values are all reported at once', () => {
    assert.deepEqual(resolveHealth(), { kind: 'tcp', intervalMs: 2000, timeoutMs: 2000, rise: 2, fall: 3, path: '/' });
    assert.throws(() => resolveHealth({ kind: 'icmp' as never, rise: 0, fall: 1.5, path: 'x' }), {
      code: 'WSH_ERR_INVALID_INPUT',
      message: 'Invalid proxy health options: kind must be one of none, tcp, http, ws, got "icmp"; rise must be an integer from 1 to 1000, got 0; fall must be an integer from 1 to 1000, got 1.5; path must start with "/", got "x".',
    });
  });

  test('a killed backend is marked down after `fall` checks and gets no new connection; restarted on its port it is up after `rise`', async () => {
    const [b1, b2] = [await live.backend('b1'), await live.backend('b2')];
    const port1 = b1.port;
    // A long cooldown would hide the checks' effect; a short one shows that the checks, not it, keep b1 out.
    const proxy = await live.proxy([{ id: 'b1', port: port1 }, { id: 'b2', port: b2.port }], { health: fast, failureCooldownMs: 10 });
    assert.ok(await eventually(async () => ((await backendStats(proxy.adminPort, 'b1'))?.checks?.passed ?? 0) >= 2), 'checks pass while b1 lives');

    await b1.close();
    assert.ok(await eventually(async () => (await backendStats(proxy.adminPort, 'b1'))?.health === 'down'), 'b1 marked down');
    const down = await backendStats(proxy.adminPort, 'b1');
    assert.equal(down?.healthy, false);
    assert.ok((down?.checks?.failed ?? 0) >= 3);
    assert.equal(down?.checks?.lastError, 'ECONNREFUSED');

    const before = (await stats(proxy.adminPort)).errors['upstream_connect_failed'] ?? 0;
    assert.deepEqual(await spread(live, proxy.port, 4), ['b2', 'b2', 'b2', 'b2']);
    assert.equal((await stats(proxy.adminPort)).errors['upstream_connect_failed'] ?? 0, before, 'no connect was even tried on b1');

    await live.backend('b1', port1);
    assert.ok(await eventually(async () => (await backendStats(proxy.adminPort, 'b1'))?.health === 'up'), 'b1 up again');
    assert.ok((await spread(live, proxy.port, 4)).includes('b1'));
  });

  test('passive: a failed connect counts as a failed check', async () => {
    const b1 = await live.backend('b1');
    const b2 = await live.backend('b2');
    // Checks far apart: only the relayed traffic can count failures within the test.
    const proxy = await live.proxy([{ id: 'b1', port: b1.port }, { id: 'b2', port: b2.port }], {
      health: { kind: 'tcp', intervalMs: 3_600_000, rise: 1, fall: 1 },
      failureCooldownMs: 1,
    });
    await b1.close();
    assert.equal((await live.hello(proxy.port)).backend, 'b2', 'retried on b2');
    const s = await backendStats(proxy.adminPort, 'b1');
    assert.deepEqual([s?.health, s?.checks?.failed, s?.checks?.lastError], ['down', 1, 'ECONNREFUSED']);
    await new Promise((r) => setTimeout(r, 5));
    // The cooldown is over, but the check verdict (fall 1) keeps it down until a check passes.
    assert.deepEqual(await spread(live, proxy.port, 3), ['b2', 'b2', 'b2']);
  });

  test('http checks GET the path and want 2xx/3xx; ws checks want a pong', async () => {
    const b1 = await live.backend('b1');
    const ok = await live.proxy([{ id: 'b1', port: b1.port }], { health: { ...fast, kind: 'http', path: STATS_PATH } });
    const bad = await live.proxy([{ id: 'b1', port: b1.port }], { health: { ...fast, kind: 'http', path: '/missing', fall: 2 } });
    const ws = await live.proxy([{ id: 'b1', port: b1.port }], { health: { ...fast, kind: 'ws' } });
    assert.ok(await eventually(async () => ((await backendStats(ok.adminPort, 'b1'))?.checks?.passed ?? 0) >= 2), 'http passes');
    assert.ok(await eventually(async () => (await backendStats(bad.adminPort, 'b1'))?.health === 'down'), 'http 404 fails');
    assert.equal((await backendStats(bad.adminPort, 'b1'))?.checks?.lastError, 'HTTP_404');
    assert.ok(await eventually(async () => ((await backendStats(ws.adminPort, 'b1'))?.checks?.passed ?? 0) >= 2), 'ws ping/pong passes');
    assert.equal((await backendStats(ws.adminPort, 'b1'))?.checks?.failed, 0);
  });
});
