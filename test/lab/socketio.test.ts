import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { io, type Socket } from 'socket.io-client';
import { startLab } from '../../src/lab/start.js';
import type { SocketIoBackendStats } from '../../src/backend/socketio-server.js';
import type { LabSpec } from '../../src/scenario/types.js';

const spec = (strategy: string, mode: 'l4' | 'l7'): LabSpec => ({
  backends: { count: 2, kind: 'socketio', host: '127.0.0.1' },
  proxy: { strategy, mode, host: '127.0.0.1' },
});

interface Hello {
  backend: string;
  sid: string;
}

function next<T>(emitter: { once(event: string, fn: (arg: T) => void): unknown }, event: string): Promise<T> {
  return new Promise((resolve) => emitter.once(event, resolve));
}

const httpOf = (entryUrl: string): string => entryUrl.replace(/^ws:/, 'http:');

describe('lab with socket.io backends', () => {
  test('l7 engineio-sid keeps polling and the upgrade on the backend that made the session', async () => {
    const lab = await startLab(spec('engineio-sid', 'l7'));
    const sockets: Socket[] = [];
    try {
      const hellos = await Promise.all(Array.from({ length: 4 }, async () => {
        const socket = io(httpOf(lab.entryUrl), { transports: ['polling', 'websocket'], forceNew: true, reconnection: false });
        sockets.push(socket);
        const upgraded = next(socket.io.engine, 'upgrade');
        const hello = await next<Hello>(socket, 'hello');
        await upgraded;
        assert.equal(socket.io.engine.transport.name, 'websocket');
        assert.equal(hello.sid, socket.io.engine.id);
        assert.deepEqual(await socket.timeout(5000).emitWithAck('echo', hello.backend), hello.backend);
        return hello;
      }));
      const stats = (await lab.stats()).backends as SocketIoBackendStats[];
      for (const s of stats) {
        assert.equal(s.kind, 'socketio');
        assert.equal(s.unknownSid, 0, `${s.id} refused a sid: the proxy sent a request to the wrong backend`);
        assert.equal(s.upgrades, hellos.filter((h) => h.backend === s.id).length);
      }
      assert.equal(stats.reduce((n, s) => n + s.sessionsOpen, 0), 4);
    } finally {
      for (const s of sockets) s.disconnect();
      await lab.stop();
    }
  });

  test('l4 round-robin: 20 websocket-only clients connect, spread over both backends', async () => {
    const lab = await startLab(spec('round-robin', 'l4'));
    const sockets: Socket[] = [];
    try {
      const backends = await Promise.all(Array.from({ length: 20 }, async () => {
        const socket = io(httpOf(lab.entryUrl), { transports: ['websocket'], forceNew: true, reconnection: false });
        sockets.push(socket);
        return (await next<Hello>(socket, 'hello')).backend;
      }));
      assert.equal(backends.length, 20);
      assert.deepEqual([...new Set(backends)].sort(), ['b1', 'b2']);
      const stats = (await lab.stats()).backends;
      assert.equal(stats.reduce((n, s) => n + s.sessionsOpen, 0), 20);
    } finally {
      for (const s of sockets) s.disconnect();
      await lab.stop();
    }
  });
});
