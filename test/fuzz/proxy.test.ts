/**
 * Fuzz: the reference proxy in l4 and in l7 with the sticky strategies (cookie, engineio-sid), and its admin
 * endpoint. The proxy's backends are watched too: an input that leaks an fd at either end fails the batch.
 */
import { after, before, describe, test } from 'node:test';
import { STATS_PATH } from '../../src/backend/identity.js';
import type { Component, FuzzTarget } from './harness.js';
import { figuresLine, fuzz, sendWire } from './harness.js';
import { genHttp, goodRequest } from './gen-http.js';
import { genJson } from './gen-json.js';
import { engineTarget, forgedCookie } from './gen-sticky.js';
import { genWs } from './gen-ws.js';
import { alive, httpRequest, proxy, socketIoBackend, socketIoHello, withRealSid, wsBackend, wsHello } from './listeners.js';
import { fuzzCount, fuzzSeed } from './prng.js';
import { deliver, pickLeave, type WireInput } from './wire.js';

const COUNT = fuzzCount(200);

function target(px: Component, backends: Component[], name: string, rest: Pick<FuzzTarget, 'generate' | 'send' | 'good'> & Partial<FuzzTarget>): FuzzTarget {
  return {
    name,
    pid: () => px.child.pid as number,
    alsoPids: () => backends.map((b) => b.child.pid as number),
    alive: () => alive(px, ...backends),
    settleMs: 60_000,
    explain: async () => (await httpRequest(px.adminPort, 'GET', '/stats')).body,
    ...rest,
    good: async () => {
      await rest.good();
      await backendsUntouched(px);
    },
  };
}

/**
 * The backends are live processes on loopback the fuzz inputs never reach as a connect failure: any failure the
 * proxy booked against one was caused by a client, and a client must never be able to take a backend down.
 */
async function backendsUntouched(px: Component): Promise<void> {
  const r = await httpRequest(px.adminPort, 'GET', '/stats');
  const stats = JSON.parse(r.body) as { backends: Array<{ id: string; failures: number; health: string }> };
  const hit = stats.backends.filter((b) => b.failures > 0);
  if (hit.length > 0) throw new Error(`client traffic booked connect failures against live backends: ${hit.map((b) => `${b.id} ${b.failures} (${b.health})`).join(', ')}`);
}

describe('fuzz: reference proxy', () => {
  let ws: Component[] = [];
  let sio: Component[] = [];
  before(async () => {
    ws = await Promise.all([wsBackend('b1'), wsBackend('b2')]);
    sio = await Promise.all([socketIoBackend('b1'), socketIoBackend('b2')]);
  });
  after(async () => {
    await Promise.all([...ws, ...sio].map((c) => c.stop()));
  });

  test('l4 round-robin', async (t) => {
    const px = await proxy(ws, 'l4', 'round-robin');
    t.after(() => px.stop());
    const f = await fuzz(
      target(px, ws, 'proxy l4', {
        generate: (rng) => (rng.chance(0.5) ? genWs(rng, '/') : genHttp(rng, { paths: ['/', '/wsherd/stats'] })),
        send: (input) => sendWire(px.port, input as WireInput),
        good: () => wsHello(px.port),
      }),
      COUNT,
      fuzzSeed(),
    );
    t.diagnostic(figuresLine(f));
  });

  test('l7 cookie: forged cookies, malformed HTTP and frames', async (t) => {
    const px = await proxy(ws, 'l7', 'cookie');
    t.after(() => px.stop());
    const cookie = (rng: Parameters<typeof forgedCookie>[0]): Array<[string, string]> => (rng.chance(0.7) ? [['Cookie', forgedCookie(rng, ['b1', 'b2'])]] : []);
    const f = await fuzz(
      target(px, ws, 'proxy l7 cookie', {
        generate: (rng) => (rng.chance(0.5) ? genWs(rng, '/', { headers: cookie(rng) }) : genHttp(rng, { paths: ['/', '/wsherd/stats', '/x'], headers: cookie })),
        send: (input) => sendWire(px.port, input as WireInput),
        good: async () => {
          await wsHello(px.port);
          const r = await httpRequest(px.port, 'GET', STATS_PATH);
          if (r.status !== 200) throw new Error(`GET ${STATS_PATH} through the proxy: ${r.status}`);
        },
      }),
      COUNT,
      fuzzSeed(),
    );
    t.diagnostic(figuresLine(f));
  });

  test('l7 engineio-sid in front of socket.io backends: forged sids, malformed HTTP and frames', async (t) => {
    const px = await proxy(sio, 'l7', 'engineio-sid');
    t.after(() => px.stop());
    const f = await fuzz(
      target(px, sio, 'proxy l7 engineio-sid', {
        generate: (rng) => (rng.chance(0.5) ? genWs(rng, engineTarget(rng), { engine: true }) : genHttp(rng, { paths: [engineTarget(rng), engineTarget(rng), '/'] })),
        send: async (input) => sendWire(px.port, await withRealSid(px.port, input as WireInput)),
        good: () => socketIoHello(px.port),
      }),
      COUNT,
      fuzzSeed(),
    );
    t.diagnostic(figuresLine(f));
  });

  test('admin endpoint: malformed requests and bodies', async (t) => {
    const px = await proxy(ws, 'l7', 'round-robin');
    t.after(() => px.stop());
    // Never a real backend id: a valid DELETE /backends/b1 would be the API working, not a fuzz finding.
    const paths = ['/', '/stats', '/metrics', '/wsherd/stats', '/backends', '/backends/nope', '/backends/nope/drain', '/backends/%zz', '/backends//undrain'];
    const f = await fuzz(
      target(px, ws, 'proxy admin', {
        pid: () => px.child.pid as number,
        generate: (rng) => {
          if (rng.chance(0.5)) return genHttp(rng, { paths, body: (r) => genJson(r, ['id', 'host', 'port', 'weight']) });
          const req = goodRequest(rng, { paths, body: (r) => genJson(r, ['id', 'host', 'port', 'weight']) }, rng.pick(['POST', 'PUT', 'PATCH']));
          const head = `${req.method} ${req.target} HTTP/1.1\r\n${req.headers.map(([k, v]) => `${k}: ${v}`).join('\r\n')}\r\n\r\n`;
          return { label: `admin ${req.method} ${req.target}`, chunks: deliver(rng, Buffer.concat([Buffer.from(head, 'latin1'), req.body])), leave: pickLeave(rng) };
        },
        send: (input) => sendWire(px.adminPort, input as WireInput),
        good: async () => {
          const r = await httpRequest(px.adminPort, 'GET', '/stats');
          if (r.status !== 200) throw new Error(`GET /stats: ${r.status}`);
          await wsHello(px.port);
        },
      }),
      COUNT,
      fuzzSeed(),
    );
    t.diagnostic(figuresLine(f));
  });
});
