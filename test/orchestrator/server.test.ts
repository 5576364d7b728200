/**
 * The orchestrator's HTTP API over real loopback sockets: auth, the backend lifecycle, each strategy's choice,
 * heartbeat timeouts, drains, active checks and error answers.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { once } from 'node:events';
import { forkComponentEntry, nextReply } from '../helpers/fork-component.js';
import type { RunningOrchestrator } from '../../src/orchestrator/server.js';
import { startOrchestrator } from '../../src/orchestrator/server.js';
import { MemoryRegistry } from '../../src/orchestrator/registry.js';
import { Picker, type Candidate } from '../../src/orchestrator/pick.js';
import type { RegisteredBackend } from '../../src/orchestrator/registry.js';
import { api, memoryOrchestrator, until } from './helpers.js';

const running: RunningOrchestrator[] = [];
after(async () => {
  await Promise.all(running.map((o) => o.close()));
});

async function orch(opts: Parameters<typeof memoryOrchestrator>[0] = {}): Promise<RunningOrchestrator> {
  const o = await memoryOrchestrator(opts);
  running.push(o);
  return o;
}

async function register(o: RunningOrchestrator, id: string, port: number, weight?: number): Promise<void> {
  const r = await api(o.url, 'POST', '/v1/backends', { id, url: `ws://127.0.0.1:${port}/`, ...(weight === undefined ? {} : { weight }) });
  assert.equal(r.status, 201, JSON.stringify(r.body));
}

const heartbeat = (o: RunningOrchestrator, id: string, connections: number) => api(o.url, 'PUT', `/v1/backends/${id}/heartbeat`, { connections });
const endpoint = (o: RunningOrchestrator, client = 'c1') => api(o.url, 'GET', `/v1/endpoint?client=${client}`, undefined, null);

describe('orchestrator API', () => {
  test('the backend API needs the bearer token; the endpoint does not', async () => {
    const o = await orch();
    for (const token of [null, 'wrong', 'test-token-but-longer']) {
      const r = await api(o.url, 'POST', '/v1/backends', { id: 'b1', url: 'ws://127.0.0.1:9/' }, token);
      assert.equal(r.status, 401);
      assert.equal(r.body.error.code, 'unauthorized');
    }
    assert.equal((await api(o.url, 'GET', '/v1/backends', undefined, null)).status, 401);
    assert.equal((await api(o.url, 'PUT', '/v1/backends/b1/heartbeat', { connections: 1 }, null)).status, 401);
    assert.equal((await api(o.url, 'DELETE', '/v1/backends/b1', undefined, 'nope')).status, 401);
    // No backend yet: the endpoint answers (503), it does not ask for credentials.
    assert.equal((await endpoint(o)).status, 503);
  });

  test('register, heartbeat, endpoint, list, deregister', async () => {
    const o = await orch({ leaseMs: 5000 });
    await register(o, 'b1', 4001);
    const hb = await heartbeat(o, 'b1', 7);
    assert.equal(hb.status, 200);
    assert.equal((await heartbeat(o, 'nope', 1)).status, 404);
    const before = Date.now();
    const e = await endpoint(o);
    assert.equal(e.status, 200);
    assert.equal(e.body.url, 'ws://127.0.0.1:4001/');
    assert.equal(e.body.backendId, 'b1');
    assert.deepEqual(e.body.fallbacks, []);
    const expires = Date.parse(e.body.expiresAt);
    assert.ok(expires >= before + 5000 - 50 && expires <= Date.now() + 5000 + 50, e.body.expiresAt);
    const list = await api(o.url, 'GET', '/v1/backends');
    assert.equal(list.status, 200);
    assert.equal(list.body.backends.length, 1);
    assert.equal(list.body.backends[0].load, 7);
    assert.equal(list.body.backends[0].handedOut, 1);
    assert.equal(list.body.backends[0].state, 'up');
    assert.equal((await api(o.url, 'DELETE', '/v1/backends/b1')).status, 200);
    assert.equal((await api(o.url, 'DELETE', '/v1/backends/b1')).status, 404);
    const none = await endpoint(o);
    assert.equal(none.status, 503);
    assert.equal(none.body.error.code, 'no_backend');
  });

  test('bad input: 400 with a code; unknown routes 404; wrong methods 405', async () => {
    const o = await orch();
    const noClient = await api(o.url, 'GET', '/v1/endpoint', undefined, null);
    assert.equal(noClient.status, 400);
    assert.equal(noClient.body.error.code, 'missing_client');
    assert.equal((await api(o.url, 'GET', '/v1/endpoint?client=', undefined, null)).status, 400);
    for (const body of [{ id: 'b1', url: 'http://127.0.0.1:1/' }, { id: 'b 1', url: 'ws://127.0.0.1:1/' }, { id: 'b1', url: 'ws://127.0.0.1:1/', weight: 0 }, { url: 'ws://x/' }, []]) {
      const r = await api(o.url, 'POST', '/v1/backends', body);
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.equal(r.body.error.code, 'invalid_body');
    }
    const notJson = await api(o.url, 'POST', '/v1/backends', undefined, undefined, '{"id":');
    assert.equal(notJson.status, 400);
    assert.equal(notJson.body.error.code, 'invalid_json');
    await register(o, 'b1', 4001);
    for (const body of [{ connections: -1 }, { connections: 1.5 }, {}, { connections: '3' }]) {
      assert.equal((await api(o.url, 'PUT', '/v1/backends/b1/heartbeat', body)).status, 400);
    }
    assert.equal((await api(o.url, 'GET', '/v2/nothing')).status, 404);
    assert.equal((await api(o.url, 'DELETE', '/v1/backends/%E0%A4%A')).body.error.code, 'invalid_id');
    assert.equal((await api(o.url, 'POST', '/v1/endpoint?client=a', {}, null)).status, 405);
    assert.equal((await api(o.url, 'GET', '/v1/backends/b1/drain')).status, 405);
    const stats = await api(o.url, 'GET', '/v1/stats', undefined, null);
    assert.equal(stats.body.errors.invalid_body, 9);
    assert.equal(stats.body.errors.missing_client, 2);
  });

  test('least-loaded follows reported load (plus endpoints handed out since), per unit of weight', async () => {
    const o = await orch();
    await register(o, 'b1', 4001);
    await register(o, 'b2', 4002);
    await register(o, 'b3', 4003, 4);
    await heartbeat(o, 'b1', 10);
    await heartbeat(o, 'b2', 3);
    await heartbeat(o, 'b3', 20); // 20 / 4 = 5 per unit of weight
    const e = await endpoint(o);
    assert.equal(e.body.backendId, 'b2');
    assert.deepEqual(e.body.fallbacks, ['ws://127.0.0.1:4003/', 'ws://127.0.0.1:4001/']);
    // b2 has 3 + 1 handed out = 4 < 5; the next one makes it 5 = b3's 5: ties go by id, then b3 takes over.
    assert.equal((await endpoint(o, 'c2')).body.backendId, 'b2');
    assert.equal((await endpoint(o, 'c3')).body.backendId, 'b2');
    assert.equal((await endpoint(o, 'c4')).body.backendId, 'b3');
    // A heartbeat resets what was handed out: b2 reports 0 and is the least loaded again.
    await heartbeat(o, 'b2', 0);
    assert.equal((await endpoint(o, 'c5')).body.backendId, 'b2');
    const stats = await api(o.url, 'GET', '/v1/stats', undefined, null);
    assert.deepEqual(stats.body.handedOut, { b2: 4, b3: 1 });
    assert.equal(stats.body.endpoints, 5);
  });

  test('consistent-hash: the same client id gets the same backend; fallbacks are the next owners on the ring', async () => {
    const o = await orch({ strategy: 'consistent-hash' });
    for (let i = 1; i <= 4; i++) await register(o, `b${i}`, 4000 + i);
    const seen = new Map<string, Set<string>>();
    for (let round = 0; round < 3; round++) {
      for (let c = 0; c < 20; c++) {
        const e = await endpoint(o, `client-${c}`);
        assert.equal(e.status, 200);
        assert.equal(e.body.fallbacks.length, 2);
        assert.ok(!e.body.fallbacks.includes(e.body.url));
        let s = seen.get(`client-${c}`);
        if (s === undefined) seen.set(`client-${c}`, (s = new Set()));
        s.add(e.body.backendId as string);
      }
      // Load does not move anyone under consistent hashing.
      await heartbeat(o, 'b1', 100 * round);
    }
    for (const [c, s] of seen) assert.equal(s.size, 1, `${c} went to ${[...s].join(', ')}`);
    assert.ok(new Set([...seen.values()].map((s) => [...s][0])).size >= 3, 'ids spread over the backends');
    // A drained backend's clients go to their first fallback; nobody else moves.
    const first = await endpoint(o, 'client-0');
    await api(o.url, 'POST', `/v1/backends/${first.body.backendId as string}/drain`);
    const moved = await endpoint(o, 'client-0');
    assert.equal(moved.body.url, first.body.fallbacks[0]);
  });

  test('consistent-hash: adding a backend to N moves about 1/(N+1) of the client ids, all to the newcomer', () => {
    const picker = new Picker('consistent-hash');
    const backend = (id: string): RegisteredBackend => ({ id, url: `ws://${id}/`, weight: 1, load: 0, lastHeartbeat: 0, handedOut: 0, state: 'up' });
    const set = (n: number): Candidate[] => Array.from({ length: n }, (_, i) => ({ backend: backend(`b${i + 1}`), eligible: true }));
    const ids = Array.from({ length: 4000 }, (_, i) => `c${i}`);
    const before = ids.map((c) => picker.choose(set(4), c, 1)[0]?.id);
    const afterAdd = ids.map((c) => picker.choose(set(5), c, 1)[0]?.id);
    let moved = 0;
    afterAdd.forEach((id, i) => {
      if (id !== before[i]) {
        moved++;
        assert.equal(id, 'b5');
      }
    });
    const fraction = moved / ids.length;
    assert.ok(fraction > 0.12 && fraction < 0.28, `moved ${fraction}, expected about 0.2`);
  });

  test('power-of-two-choices never picks the busiest of three (it always loses its duel)', async () => {
    const o = await orch({ strategy: 'power-of-two-choices', seed: 42 });
    for (let i = 1; i <= 3; i++) await register(o, `b${i}`, 4000 + i);
    await heartbeat(o, 'b1', 1000);
    const counts: Record<string, number> = {};
    for (let i = 0; i < 30; i++) {
      const e = await endpoint(o, `c${i}`);
      counts[e.body.backendId as string] = (counts[e.body.backendId as string] ?? 0) + 1;
    }
    assert.equal(counts['b1'], undefined, JSON.stringify(counts));
    assert.ok((counts['b2'] ?? 0) > 0 && (counts['b3'] ?? 0) > 0, JSON.stringify(counts));
  });

  test('a backend whose heartbeats stop is taken out after heartbeatTimeoutMs', async () => {
    // The registry's clock, moved by hand: on real time the six requests after b2's last heartbeat had to finish
    // within the 150 ms, or b2 went down too (a slow machine's failure, not the orchestrator's).
    let now = 1_000_000;
    const o = await orch({ heartbeatTimeoutMs: 150, registry: new MemoryRegistry({ now: () => now }) });
    await register(o, 'b1', 4001);
    await register(o, 'b2', 4002);
    await heartbeat(o, 'b2', 50); // b1 (load 0) would win on load
    now += 250;
    await heartbeat(o, 'b2', 50);
    for (let i = 0; i < 5; i++) assert.equal((await endpoint(o, `c${i}`)).body.backendId, 'b2');
    const list = await api(o.url, 'GET', '/v1/backends');
    assert.deepEqual(
      list.body.backends.map((b: { id: string; state: string }) => [b.id, b.state]),
      [['b1', 'down'], ['b2', 'up']],
    );
    // A heartbeat brings it back.
    await heartbeat(o, 'b1', 0);
    assert.equal((await endpoint(o, 'cx')).body.backendId, 'b1');
  });

  test('drain takes a backend out of new endpoints; undrain brings it back', async () => {
    const o = await orch();
    await register(o, 'b1', 4001);
    await register(o, 'b2', 4002);
    await heartbeat(o, 'b2', 100);
    assert.equal((await api(o.url, 'POST', '/v1/backends/b1/drain')).status, 200);
    assert.equal((await api(o.url, 'POST', '/v1/backends/zz/drain')).status, 404);
    for (let i = 0; i < 3; i++) {
      const e = await endpoint(o, `c${i}`);
      assert.equal(e.body.backendId, 'b2');
      assert.deepEqual(e.body.fallbacks, [], 'a drained backend is no fallback either');
    }
    // Re-registration (an agent restart) keeps the admin's drain.
    await register(o, 'b1', 4001);
    const list = await api(o.url, 'GET', '/v1/backends');
    assert.equal(list.body.backends[0].state, 'drain');
    assert.equal((await api(o.url, 'POST', '/v1/backends/b1/undrain')).status, 200);
    assert.equal((await endpoint(o, 'c9')).body.backendId, 'b1');
  });

  test('active checks take out a backend whose port closed, and bring it back when it listens again', async () => {
    const servers = [net.createServer((s) => s.destroy()), net.createServer((s) => s.destroy())];
    for (const s of servers) s.listen(0, '127.0.0.1');
    await Promise.all(servers.map((s) => once(s, 'listening')));
    const ports = servers.map((s) => (s.address() as net.AddressInfo).port);
    const o = await orch({ health: { intervalMs: 20, timeoutMs: 500, rise: 1, fall: 2 } });
    try {
      await register(o, 'b1', ports[0]!);
      await register(o, 'b2', ports[1]!);
      await heartbeat(o, 'b2', 100); // b1 is the least loaded while it is reachable
      await until('b1 checked up', async () => (await api(o.url, 'GET', '/v1/backends')).body.backends[0].check === 'up');
      assert.equal((await endpoint(o)).body.backendId, 'b1');
      await new Promise<void>((r) => servers[0]!.close(() => r()));
      await until('b1 down', async () => (await endpoint(o)).body.backendId === 'b2');
      const b1 = (await api(o.url, 'GET', '/v1/backends')).body.backends[0];
      assert.equal(b1.state, 'down');
      assert.equal(b1.checkError, 'ECONNREFUSED');
      servers[0] = net.createServer((s) => s.destroy()).listen(ports[0], '127.0.0.1');
      await until('b1 back', async () => (await endpoint(o)).body.backendId === 'b1');
    } finally {
      for (const s of servers) s.close();
    }
  });

  test('invalid options are rejected before listening', async () => {
    await assert.rejects(startOrchestrator({ token: '', strategy: 'least-loaded', registry: new MemoryRegistry() }), { code: 'WSH_ERR_INVALID_INPUT' });
    await assert.rejects(startOrchestrator({ token: 't', strategy: 'round-robin' as never, registry: new MemoryRegistry() }), /strategy must be one of/);
  });
});

describe('orchestrator lab component (src/orchestrator/main.ts)', () => {
  test('reports ready with its port (= admin port), serves the API, exits on SIGTERM', async () => {
    const config = { id: 'orch1', host: '127.0.0.1', port: 0, token: 'test-token', strategy: 'consistent-hash', heartbeatTimeoutMs: 5000 };
    const child = forkComponentEntry(new URL('../../src/orchestrator/main.js', import.meta.url), config);
    const exited = once(child, 'exit');
    try {
      const [msg] = (await nextReply(child)) as [{ type: string; port: number; adminPort: number }];
      assert.equal(msg.type, 'ready');
      assert.equal(msg.adminPort, msg.port);
      const base = `http://127.0.0.1:${msg.port}`;
      assert.equal((await api(base, 'POST', '/v1/backends', { id: 'b1', url: 'ws://127.0.0.1:4001/' })).status, 201);
      assert.equal((await api(base, 'GET', '/v1/endpoint?client=c1', undefined, null)).body.backendId, 'b1');
      const stats = await api(base, 'GET', '/v1/stats', undefined, null);
      assert.equal(stats.body.strategy, 'consistent-hash');
      assert.equal(stats.body.registry, 'memory');
    } finally {
      child.kill('SIGTERM');
      const [code] = (await exited) as [number | null];
      assert.equal(code, 0);
    }
  });

  test('a bad config is reported over IPC as an error', async () => {
    const child = forkComponentEntry(new URL('../../src/orchestrator/main.js', import.meta.url), { id: 'o', token: 't', strategy: 'nope' });
    const exited = once(child, 'exit');
    const [msg] = (await nextReply(child)) as [{ type: string; code?: string }];
    assert.equal(msg.type, 'error');
    assert.equal(msg.code, 'WSH_ERR_INVALID_INPUT');
    await exited;
  });
});
