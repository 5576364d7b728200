/**
 * Fuzz: the orchestrator's HTTP API with malformed requests, forged and missing bearer tokens and malformed
 * bodies on every route. After each batch a client must still get an endpoint.
 */
import { after, before, describe, test } from 'node:test';
import type { Component } from './harness.js';
import { figuresLine, fuzz, sendWire, startComponent } from './harness.js';
import { genHttp } from './gen-http.js';
import { genJson } from './gen-json.js';
import { alive, ENTRY, httpRequest } from './listeners.js';
import { fuzzCount, fuzzSeed } from './prng.js';
import type { WireInput } from './wire.js';

const COUNT = fuzzCount(250);
const TOKEN = 'fuzz-token-0123456789';

describe('fuzz: orchestrator API', () => {
  let orch: Component;
  before(async () => {
    orch = await startComponent(ENTRY.orchestrator, { id: 'orch1', host: '127.0.0.1', port: 0, token: TOKEN, strategy: 'least-loaded', heartbeatTimeoutMs: 3_600_000 });
    const r = await httpRequest(orch.port, 'POST', '/v1/backends', JSON.stringify({ id: 'b1', url: 'ws://127.0.0.1:9/' }), { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' });
    if (r.status !== 201 && r.status !== 200) throw new Error(`registering b1: ${r.status} ${r.body}`);
  });
  after(() => orch?.stop());

  test('malformed requests, tokens and bodies', async (t) => {
    // Never b1's own routes: deleting it would be the API working, not a fuzz finding.
    const paths = ['/v1/endpoint', '/v1/endpoint?client=x', '/v1/stats', '/v1/backends', '/v1/backends/nope', '/v1/backends/nope/heartbeat', '/v1/backends/%zz', '/v1/backends/x/drain', '/', '/v1'];
    const f = await fuzz(
      {
        name: 'orchestrator api',
        pid: () => orch.child.pid as number,
        alive: () => alive(orch),
        generate: (rng) =>
          genHttp(rng, {
            paths,
            headers: (r) => [['Authorization', r.pick([`Bearer ${TOKEN}`, `Bearer ${TOKEN}`, 'Bearer wrong', 'Bearer', `bearer ${TOKEN}`, `Basic ${TOKEN}`, `Bearer ${TOKEN}x`, r.text(30)])], ['Content-Type', 'application/json']],
            body: (r) => genJson(r, ['id', 'url', 'weight', 'sessions', 'load']),
          }),
        send: (input) => sendWire(orch.port, input as WireInput),
        good: async () => {
          const r = await httpRequest(orch.port, 'GET', '/v1/endpoint?client=good');
          if (r.status !== 200) throw new Error(`GET /v1/endpoint?client=good: ${r.status} ${r.body}`);
        },
      },
      COUNT,
      fuzzSeed(),
    );
    t.diagnostic(figuresLine(f));
  });
});
