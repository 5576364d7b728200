import { afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { ProxyStats } from '../../src/results/lab-types.js';
import { Live, admin, backendStats, eventually, spread, stats } from './live.js';

const live = new Live();
afterEach(() => live.closeAll());

type BackendJson = ProxyStats['backends'][number];

async function echo(ws: import('ws').WebSocket, text: string): Promise<string> {
  const reply = once(ws, 'message');
  ws.send(text);
  const [data] = (await reply) as [Buffer];
  return data.toString();
}

describe('admin API: backends at run time', () => {
  test('drain: no new connections to the backend, open ones stay; undrain brings it back', async () => {
    const [b1, b2] = [await live.backend('b1'), await live.backend('b2')];
    const proxy = await live.proxy([{ id: 'b1', port: b1.port }, { id: 'b2', port: b2.port }]);
    const onB1 = await live.hello(proxy.port);
    assert.equal(onB1.backend, 'b1');

    const drained = await admin(proxy.adminPort, 'POST', '/backends/b1/drain');
    assert.equal(drained.status, 200);
    assert.deepEqual([(drained.body as BackendJson).health, (drained.body as BackendJson).weight], ['drain', 0]);
    assert.deepEqual(await spread(live, proxy.port, 4), ['b2', 'b2', 'b2', 'b2']);
    assert.equal(await echo(onB1.ws, 'still on b1'), 'still on b1');
    assert.equal((await backendStats(proxy.adminPort, 'b1'))?.active, 1);

    const back = await admin(proxy.adminPort, 'POST', '/backends/b1/undrain');
    assert.deepEqual([(back.body as BackendJson).health, (back.body as BackendJson).weight], ['up', 1]);
    assert.ok((await spread(live, proxy.port, 2)).includes('b1'));
  });

  test('remove: no new connections, open ones stay until they end; the stats no longer list it', async () => {
    const [b1, b2] = [await live.backend('b1'), await live.backend('b2')];
    const proxy = await live.proxy([{ id: 'b1', port: b1.port }, { id: 'b2', port: b2.port }]);
    const onB1 = await live.hello(proxy.port);
    const removed = await admin(proxy.adminPort, 'DELETE', '/backends/b1');
    assert.equal(removed.status, 200);
    assert.equal((removed.body as { removed: BackendJson }).removed.id, 'b1');
    assert.deepEqual(await spread(live, proxy.port, 3), ['b2', 'b2', 'b2']);
    assert.equal(await echo(onB1.ws, 'kept'), 'kept');
    assert.deepEqual((await stats(proxy.adminPort)).backends.map((b) => b.id), ['b2']);
    assert.equal((await admin(proxy.adminPort, 'DELETE', '/backends/b1')).status, 404);
  });

  test('add at run time: the new backend receives connections (url or host+port)', async () => {
    const [b1, b2, b3] = [await live.backend('b1'), await live.backend('b2'), await live.backend('b3')];
    const proxy = await live.proxy([{ id: 'b1', port: b1.port }], { health: { kind: 'tcp', intervalMs: 50 } });
    const added = await admin(proxy.adminPort, 'POST', '/backends', { id: 'b2', url: `ws://127.0.0.1:${b2.port}` });
    assert.equal(added.status, 201);
    assert.deepEqual([(added.body as BackendJson).id, (added.body as BackendJson).port, (added.body as BackendJson).health], ['b2', b2.port, 'up']);
    assert.equal((await admin(proxy.adminPort, 'POST', '/backends', { id: 'b3', host: '127.0.0.1', port: b3.port, weight: 2 })).status, 201);
    assert.deepEqual((await spread(live, proxy.port, 6)).sort(), ['b1', 'b1', 'b2', 'b2', 'b3', 'b3']);
    // The added backends are health-checked too.
    assert.ok(await eventually(async () => ((await backendStats(proxy.adminPort, 'b3'))?.checks?.passed ?? 0) >= 1));
  });

  test('weight changes are respected by weighted-round-robin', async () => {
    const [b1, b2] = [await live.backend('b1'), await live.backend('b2')];
    const proxy = await live.proxy([{ id: 'b1', port: b1.port }, { id: 'b2', port: b2.port }], { strategy: 'weighted-round-robin' });
    const count = (ids: string[], id: string): number => ids.filter((x) => x === id).length;
    const even = await spread(live, proxy.port, 4);
    assert.deepEqual([count(even, 'b1'), count(even, 'b2')], [2, 2]);

    const set = await admin(proxy.adminPort, 'PUT', '/backends/b2', { weight: 3 });
    assert.equal(set.status, 200);
    assert.equal((set.body as BackendJson).weight, 3);
    // One full cycle of sum(weights) = 4 picks, twice: smooth WRR gives each backend exactly its weight per cycle.
    const skewed = await spread(live, proxy.port, 8);
    assert.deepEqual([count(skewed, 'b1'), count(skewed, 'b2')], [2, 6]);

    // A weight set while drained is kept for undrain.
    await admin(proxy.adminPort, 'POST', '/backends/b1/drain');
    assert.equal(((await admin(proxy.adminPort, 'PUT', '/backends/b1', { weight: 2 })).body as BackendJson).weight, 0);
    assert.equal(((await admin(proxy.adminPort, 'POST', '/backends/b1/undrain')).body as BackendJson).weight, 2);
  });

  test('bad requests: 400/404/405/409 with a JSON error, and the proxy keeps running', async () => {
    const [b1] = [await live.backend('b1')];
    const proxy = await live.proxy([{ id: 'b1', port: b1.port }]);
    const cases: Array<[string, string, unknown, number, RegExp]> = [
      ['POST', '/backends', '{not json', 400, /not valid JSON/],
      ['POST', '/backends', [1, 2], 400, /JSON object/],
      ['POST', '/backends', { url: 'ws://127.0.0.1:9' }, 400, /"id"/],
      ['POST', '/backends', { id: 'x', url: 'http://127.0.0.1:9' }, 400, /scheme must be ws/],
      ['POST', '/backends', { id: 'x', host: '127.0.0.1', port: 0 }, 400, /"port"/],
      ['POST', '/backends', { id: 'x', host: '127.0.0.1', port: 9, url: 'ws://a:1' }, 400, /either "url"/],
      ['POST', '/backends', { id: 'x', host: '127.0.0.1', port: 9, weight: -1 }, 400, /"weight"/],
      ['POST', '/backends', { id: 'b1', host: '127.0.0.1', port: 9 }, 409, /already exists/],
      ['PUT', '/backends/b1', { weight: 'x' }, 400, /"weight"/],
      ['PUT', '/backends/b1', undefined, 400, /"weight"/],
      ['PUT', '/backends/nope', { weight: 1 }, 404, /No backend "nope"/],
      ['POST', '/backends/nope/drain', undefined, 404, /No backend/],
      ['GET', '/backends/b1/drain', undefined, 405, /POST/],
      ['DELETE', '/backends', undefined, 405, /GET or POST/],
      ['POST', '/backends', JSON.stringify({ id: 'big', pad: 'x'.repeat(70_000) }), 413, /larger than/],
    ];
    for (const [method, path, body, status, message] of cases) {
      const res = await admin(proxy.adminPort, method, path, body);
      assert.equal(res.status, status, `${method} ${path} ${JSON.stringify(body)}`);
      assert.match((res.body as { error: string }).error, message);
    }
    const list = await admin(proxy.adminPort, 'GET', '/backends');
    assert.deepEqual([list.status, (list.body as BackendJson[]).map((b) => [b.id, b.weight, b.health])], [200, [['b1', 1, 'up']]]);
    assert.equal((await live.hello(proxy.port)).backend, 'b1');
    assert.equal((await admin(proxy.adminPort, 'GET', '/')).status, 200);
  });
});
