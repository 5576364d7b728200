/**
 * Two orchestrator instances sharing a real redis-server agree on registration, drain and load: what is told to
 * one is acted on by the other (within the 250 ms list cache).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { RedisRegistry } from '../../src/orchestrator/registry-redis.js';
import { startOrchestrator, type RunningOrchestrator } from '../../src/orchestrator/server.js';
import { freePort, REDIS_SKIP, RedisChild } from '../proxy/store/redis-server.js';
import { TOKEN, api, until } from './helpers.js';


describe('orchestrators sharing a Redis registry', { skip: REDIS_SKIP }, () => {
  let redis: RedisChild;
  const running: RunningOrchestrator[] = [];
  let cluster = 0;

  before(async () => {
    redis = new RedisChild(await freePort());
    await redis.start();
  });
  after(async () => {
    await Promise.all(running.map((o) => o.close()));
    await redis.kill();
  });

  /** Two instances on a fresh cluster prefix, so tests do not see each other's backends. */
  const pair = async (): Promise<[RunningOrchestrator, RunningOrchestrator]> => {
    const name = `t${++cluster}`;
    const make = async (): Promise<RunningOrchestrator> => {
      const o = await startOrchestrator({ token: TOKEN, strategy: 'least-loaded', registry: await RedisRegistry.open(redis.url, { cluster: name }) });
      running.push(o);
      return o;
    };
    return [await make(), await make()];
  };
  const endpoint = (o: RunningOrchestrator, client = 'c1') => api(o.url, 'GET', `/v1/endpoint?client=${client}`, undefined, null);

  test('a backend registered through A is handed out by B; deregistered through B, A stops handing it out', async () => {
    const [a, b] = await pair();
    assert.equal((await endpoint(b)).status, 503);
    assert.equal((await api(a.url, 'POST', '/v1/backends', { id: 'b1', url: 'ws://127.0.0.1:4001/', weight: 2 })).status, 201);
    await until('B sees b1', async () => (await endpoint(b)).body.backendId === 'b1');
    const list = await api(b.url, 'GET', '/v1/backends');
    assert.equal(list.body.backends[0].weight, 2);
    assert.equal(list.body.backends[0].url, 'ws://127.0.0.1:4001/');
    assert.equal((await api(b.url, 'DELETE', '/v1/backends/b1')).status, 200);
    await until('A forgets b1', async () => (await endpoint(a)).status === 503);
    assert.equal((await api(a.url, 'PUT', '/v1/backends/b1/heartbeat', { connections: 1 })).status, 404);
    assert.equal((await api(a.url, 'GET', '/v1/stats', undefined, null)).body.registry, 'redis');
  });

  test('a drain through A takes the backend out at B; undrain through B brings it back at A', async () => {
    const [a, b] = await pair();
    await api(a.url, 'POST', '/v1/backends', { id: 'b1', url: 'ws://127.0.0.1:4001/' });
    await api(a.url, 'POST', '/v1/backends', { id: 'b2', url: 'ws://127.0.0.1:4002/' });
    await api(a.url, 'PUT', '/v1/backends/b2/heartbeat', { connections: 100 });
    await until('B picks b1', async () => (await endpoint(b)).body.backendId === 'b1');
    assert.equal((await api(a.url, 'POST', '/v1/backends/b1/drain')).status, 200);
    await until('B avoids b1', async () => (await endpoint(b)).body.backendId === 'b2');
    assert.equal((await api(b.url, 'GET', '/v1/backends')).body.backends[0].state, 'drain');
    assert.equal((await api(b.url, 'POST', '/v1/backends/b1/undrain')).status, 200);
    await until('A picks b1 again', async () => (await endpoint(a)).body.backendId === 'b1');
  });

  test('load reported to A steers B; endpoints handed out by A count at B until the next heartbeat', async () => {
    const [a, b] = await pair();
    for (const id of ['b1', 'b2']) await api(a.url, 'POST', '/v1/backends', { id, url: `ws://127.0.0.1:400${id.slice(1)}/` });
    await api(a.url, 'PUT', '/v1/backends/b1/heartbeat', { connections: 50 });
    await api(a.url, 'PUT', '/v1/backends/b2/heartbeat', { connections: 0 });
    await until('B picks b2', async () => (await endpoint(b)).body.backendId === 'b2');
    await api(a.url, 'PUT', '/v1/backends/b1/heartbeat', { connections: 0 });
    await api(a.url, 'PUT', '/v1/backends/b2/heartbeat', { connections: 50 });
    await until('B picks b1', async () => (await endpoint(b)).body.backendId === 'b1');
    // Hand-outs by A land in Redis: B's list shows them.
    await api(a.url, 'PUT', '/v1/backends/b1/heartbeat', { connections: 0 });
    for (let i = 0; i < 5; i++) assert.equal((await endpoint(a, `x${i}`)).body.backendId, 'b1');
    await until('B sees 5 handed out', async () => {
      const b1 = (await api(b.url, 'GET', '/v1/backends')).body.backends.find((x: { id: string }) => x.id === 'b1');
      return b1.handedOut === 5 && b1.load === 0;
    });
  });

  test('open fails with WSH_ERR_INVALID_INPUT when nothing listens', async () => {
    const port = await freePort();
    await assert.rejects(RedisRegistry.open(`redis://127.0.0.1:${port}`, { connectTimeoutMs: 500 }), { code: 'WSH_ERR_INVALID_INPUT' });
  });
});
