/**
 * The orchestrated engine against a real orchestrator and real ws servers (and, for answers the real one never
 * gives, a small fake orchestrator): lookup, connect where told, fallbacks, and lookup failures by code.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { OrchestratedClient, parseEndpoint } from '../../src/load/orchestrated-client.js';
import type { LoadClient } from '../../src/load/client.js';
import type { ClientContext } from '../../src/load/ws-client.js';
import type { Behavior } from '../../src/scenario/types.js';
import { MemoryRegistry } from '../../src/orchestrator/registry.js';
import { startOrchestrator, type RunningOrchestrator } from '../../src/orchestrator/server.js';
import { freePort } from '../helpers/free-port.js';
import { Harness } from './helpers/harness.js';
import { startEchoServer, type EchoServer } from './helpers/echo-server.js';
import { until } from '../helpers/until.js';

const TOKEN = 't';
const cleanups: (() => Promise<unknown> | void)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

/** A harness whose onEnd also counts calls per client, to check "exactly once". */
function harness(behavior: Partial<Behavior> = {}): { h: Harness; ctx: ClientContext; ends: Map<LoadClient, number> } {
  const h = new Harness(behavior);
  cleanups.push(() => h.stop());
  const ends = new Map<LoadClient, number>();
  const ctx: ClientContext = {
    ...h.ctx,
    onEnd: (c) => {
      ends.set(c, (ends.get(c) ?? 0) + 1);
      h.ctx.onEnd(c);
    },
  };
  return { h, ctx, ends };
}


async function echo(id: string): Promise<EchoServer> {
  const s = await startEchoServer({ id });
  cleanups.push(() => s.close());
  return s;
}

async function orchestrator(strategy: 'least-loaded' | 'consistent-hash' = 'least-loaded'): Promise<RunningOrchestrator> {
  const o = await startOrchestrator({ token: TOKEN, strategy, registry: new MemoryRegistry() });
  cleanups.push(() => o.close());
  return o;
}

function call(o: RunningOrchestrator, method: string, path: string, body: unknown): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${o.url}${path}`, { method, agent: false, headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

/** A fake orchestrator answering every request with `status` and `body` (or never, with body null). */
async function fake(status: number, body: string | null): Promise<string> {
  const server = http.createServer((_req, res) => {
    if (body === null) return; // never answers
    res.writeHead(status, { 'content-type': 'application/json' }).end(body);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  cleanups.push(() => {
    server.closeAllConnections();
    server.close();
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const flush = (h: Harness) => h.recorder.flush(0, { open: 0, backendsOpen: {}, lagMaxMs: 0, fds: 0 });

describe('OrchestratedClient', () => {
  test('asks the orchestrator, connects where told, records the lookup, ends once', async () => {
    const [b1, b2] = [await echo('b1'), await echo('b2')];
    const o = await orchestrator();
    assert.equal(await call(o, 'POST', '/v1/backends', { id: 'b1', url: b1.url }), 201);
    assert.equal(await call(o, 'POST', '/v1/backends', { id: 'b2', url: b2.url }), 201);
    assert.equal(await call(o, 'PUT', '/v1/backends/b1/heartbeat', { connections: 10 }), 200);
    const { h, ctx, ends } = harness({ messagesPerSecond: 20 });
    const c = new OrchestratedClient(ctx, 3);
    assert.equal(c.state, 'idle');
    c.start(o.url);
    assert.equal(c.state, 'connecting');
    await until('open', () => c.state === 'open');
    assert.equal(c.backend, 'b2');
    assert.equal(c.endpoint?.backendId, 'b2');
    assert.deepEqual(c.endpoint?.fallbacks, [b1.url]);
    await until('an echo', () => (h.totals.counters.messagesReceived ?? 0) > 0);
    c.close();
    await until('ended', () => ends.has(c));
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(ends.get(c), 1);
    assert.equal(c.state, 'closed');
    const b = flush(h);
    assert.equal(b.counters.attempted, 1);
    assert.equal(b.counters.established, 1);
    assert.equal(b.counters.closedClean, 1);
    assert.equal(b.counters.failed, 0);
    assert.ok(b.counters.messagesReceived > 0);
    assert.ok(b.hist.lookup !== undefined, 'lookup recorded');
    assert.deepEqual(b.backendsOpened, { b2: 1 });
    assert.deepEqual(o.stats().handedOut, { b2: 1 });
  });

  test('the client id is c<slot>: consistent hashing keeps a slot on its backend across reconnects', async () => {
    const servers = [await echo('h1'), await echo('h2'), await echo('h3')];
    const o = await orchestrator('consistent-hash');
    for (const [i, s] of servers.entries()) await call(o, 'POST', '/v1/backends', { id: `h${i + 1}`, url: s.url });
    const { ctx, ends } = harness();
    for (const slot of [0, 1, 2, 5, 11]) {
      const seen = new Set<string>();
      for (let i = 0; i < 3; i++) {
        const c = new OrchestratedClient(ctx, slot);
        c.start(o.url);
        await until('open', () => c.state === 'open');
        seen.add(c.backend ?? '?');
        c.terminate();
        await until('ended', () => ends.has(c));
      }
      assert.equal(seen.size, 1, `slot ${slot}: ${[...seen].join(', ')}`);
    }
  });

  test('a dead URL falls back to the next; the client does not fail', async () => {
    const live = await echo('live');
    const dead = [`ws://127.0.0.1:${await freePort()}/`, `ws://127.0.0.1:${await freePort()}/`];
    const base = await fake(200, JSON.stringify({ url: dead[0], backendId: 'd1', expiresAt: new Date().toISOString(), fallbacks: [dead[1], live.url] }));
    const { h, ctx, ends } = harness();
    const c = new OrchestratedClient(ctx, 0);
    c.start(base);
    await until('open', () => c.state === 'open');
    assert.equal(c.backend, 'live');
    assert.equal(c.fallbacksUsed, 2);
    c.close();
    await until('ended', () => ends.has(c));
    const b = flush(h);
    assert.equal(b.counters.attempted, 1);
    assert.equal(b.counters.established, 1);
    assert.equal(b.counters.failed, 0);
    assert.deepEqual(b.errors, {});
    assert.equal(ends.get(c), 1);
  });

  test('when every URL is dead the client fails once, with the last error', async () => {
    const dead = [`ws://127.0.0.1:${await freePort()}/`, `ws://127.0.0.1:${await freePort()}/`];
    const base = await fake(200, JSON.stringify({ url: dead[0], backendId: 'd1', fallbacks: [dead[1]] }));
    const { h, ctx, ends } = harness();
    const c = new OrchestratedClient(ctx, 0);
    c.start(base);
    await until('ended', () => ends.has(c));
    assert.equal(c.fallbacksUsed, 1);
    const b = flush(h);
    assert.equal(b.counters.attempted, 1);
    assert.equal(b.counters.failed, 1);
    assert.deepEqual(b.errors, { ECONNREFUSED: 1 });
  });

  test('lookup failures are counted by code: malformed, http status, refused, timeout', async () => {
    const cases: [string, string][] = [
      [await fake(200, JSON.stringify({ url: 'http://127.0.0.1:1/', fallbacks: [] })), 'orchestrator_malformed'],
      [await fake(200, JSON.stringify({ url: 'ws://127.0.0.1:1/', fallbacks: 'nope' })), 'orchestrator_malformed'],
      [await fake(200, 'not json'), 'orchestrator_malformed'],
      [await fake(503, JSON.stringify({ error: { code: 'no_backend' } })), 'orchestrator_http_503'],
      [`http://127.0.0.1:${await freePort()}`, 'orchestrator_refused'],
      [await fake(200, null), 'orchestrator_timeout'],
    ];
    const { h, ctx, ends } = harness({ connectTimeoutMs: 300 });
    for (const [base, code] of cases) {
      const c = new OrchestratedClient(ctx, 0);
      c.start(base);
      await until(`ended (${code})`, () => ends.has(c));
      assert.equal(c.state, 'closed');
      const b = flush(h);
      assert.equal(b.counters.attempted, 1, code);
      assert.equal(b.counters.failed, 1, code);
      assert.deepEqual(b.errors, { [code]: 1 });
      assert.equal(b.hist.lookup !== undefined, !['orchestrator_refused', 'orchestrator_timeout'].includes(code), `lookup histogram for ${code}`);
    }
  });

  test('close() or terminate() during the lookup ends the client once, as cancelled', async () => {
    const base = await fake(200, null);
    const { h, ctx, ends } = harness();
    for (const how of ['close', 'terminate'] as const) {
      const c = new OrchestratedClient(ctx, 0);
      c.start(base);
      c[how]();
      assert.equal(ends.get(c), 1);
      c[how]();
      await new Promise((r) => setTimeout(r, 20));
      assert.equal(ends.get(c), 1);
    }
    const b = flush(h);
    assert.equal(b.counters.failed, 2);
    assert.deepEqual(b.errors, { cancelled: 2 });
  });

  test('the lookup carries behavior.headers (templates filled in) except Host, which names the app', async () => {
    const b1 = await echo('b-hdr');
    const seen: http.IncomingHttpHeaders[] = [];
    const server = http.createServer((req, res) => {
      seen.push(req.headers);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ url: b1.url, fallbacks: [] }));
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    cleanups.push(() => {
      server.closeAllConnections();
      server.close();
    });
    const port = (server.address() as AddressInfo).port;
    const { ctx, ends } = harness({ headers: { Authorization: 'Bearer x', Host: 'app.example', 'X-User': 'u{{ client }}' } });
    const c = new OrchestratedClient(ctx, 3);
    c.start(`http://127.0.0.1:${port}`);
    await until('open', () => c.state === 'open');
    c.close();
    await until('ended', () => ends.has(c));
    assert.equal(seen.length, 1);
    assert.equal(seen[0]?.authorization, 'Bearer x');
    assert.equal(seen[0]?.['x-user'], 'u3');
    assert.equal(seen[0]?.host, `127.0.0.1:${port}`);
  });

  test('parseEndpoint accepts the documented answer only', () => {
    assert.deepEqual(parseEndpoint('{"url":"wss://a.example/x","backendId":"b","expiresAt":"2030-01-01T00:00:00.000Z","fallbacks":["ws://b/"]}'), {
      url: 'wss://a.example/x',
      backendId: 'b',
      expiresAt: '2030-01-01T00:00:00.000Z',
      fallbacks: ['ws://b/'],
    });
    assert.equal(parseEndpoint('{"url":"ws://a/","fallbacks":["http://b/"]}'), undefined);
    assert.equal(parseEndpoint('[1]'), undefined);
    assert.equal(parseEndpoint('{"url":5}'), undefined);
  });
});
