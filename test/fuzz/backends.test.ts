/**
 * Fuzz: the reference backends (ws and socket.io), each its own process, fed malformed HTTP, malformed WebSocket
 * frames after a good upgrade and forged Engine.IO sids. `npm test` sends a few hundred inputs per listener;
 * `npm run fuzz` (WSHERD_FUZZ_COUNT=10000) the full run. WSHERD_FUZZ_SEED=<seed> replays a failure.
 */
import { after, before, describe, test } from 'node:test';
import type { Component } from './harness.js';
import { figuresLine, fuzz, sendWire } from './harness.js';
import { genHttp } from './gen-http.js';
import { engineTarget } from './gen-sticky.js';
import { genWs } from './gen-ws.js';
import { alive, socketIoBackend, socketIoHello, withRealSid, wsBackend, wsHello } from './listeners.js';
import { fuzzCount, fuzzSeed } from './prng.js';
import type { WireInput } from './wire.js';

const COUNT = fuzzCount(250);

describe('fuzz: reference backends', () => {
  let ws: Component;
  let sio: Component;
  before(async () => {
    [ws, sio] = await Promise.all([wsBackend('b1'), socketIoBackend('s1')]);
  });
  after(async () => {
    await Promise.all([ws?.stop(), sio?.stop()]);
  });

  test('ws backend: malformed HTTP and WebSocket frames', async (t) => {
    const f = await fuzz(
      {
        name: 'ws backend',
        pid: () => ws.child.pid as number,
        alive: () => alive(ws),
        generate: (rng) => (rng.chance(0.5) ? genWs(rng, rng.pick(['/', '/x', '/?a=1'])) : genHttp(rng, { paths: ['/', '/wsherd/stats', '/x?y'] })),
        send: (input) => sendWire(ws.port, input as WireInput),
        good: () => wsHello(ws.port),
      },
      COUNT,
      fuzzSeed(),
    );
    t.diagnostic(figuresLine(f));
  });

  test('socket.io backend: malformed HTTP, frames, forged sids', async (t) => {
    const f = await fuzz(
      {
        name: 'socket.io backend',
        pid: () => sio.child.pid as number,
        alive: () => alive(sio),
        generate: (rng) => (rng.chance(0.5) ? genWs(rng, engineTarget(rng), { engine: true }) : genHttp(rng, { paths: [engineTarget(rng), engineTarget(rng), '/', '/wsherd/stats'] })),
        send: async (input) => sendWire(sio.port, await withRealSid(sio.port, input as WireInput)),
        good: () => socketIoHello(sio.port),
        // engine.io keeps a session whose client vanished for pingInterval + pingTimeout (45 s); none holds an fd.
        settleMs: 60_000,
      },
      COUNT,
      fuzzSeed(),
    );
    t.diagnostic(figuresLine(f));
  });
});
