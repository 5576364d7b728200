import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { Harness } from './helpers/harness.js';
import { startHtmlServer, startSioBackend, type SioBackend } from './helpers/sio-backend.js';
import { EngineIoClient } from '../../src/load/engineio-client.js';
import { startProxy, type RunningProxy } from '../../src/proxy/server.js';
import { DEFAULT_SESSION, type Behavior, type SessionOptions } from '../../src/scenario/types.js';
import type { SecondBucket } from '../../src/metrics/types.js';
import { until } from '../helpers/until.js';

const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

async function backend(id: string, transports?: ('polling' | 'websocket')[]): Promise<SioBackend> {
  const b = await startSioBackend({ id, ...(transports ? { transports } : {}) });
  cleanups.push(() => b.close());
  return b;
}

async function proxy(strategy: string, backends: SioBackend[]): Promise<string> {
  const p: RunningProxy = await startProxy({
    mode: 'l7',
    strategy,
    backends: backends.map((b) => ({ id: b.id, host: '127.0.0.1', port: b.port })),
  });
  cleanups.push(() => p.close());
  return `ws://127.0.0.1:${p.port}/`;
}

function harness(session: Partial<SessionOptions> = {}, behavior: Partial<Behavior> = {}): Harness {
  const h = new Harness({ engine: 'engineio', session: { ...DEFAULT_SESSION, ...session }, ...behavior });
  cleanups.push(async () => h.stop());
  return h;
}

function start(h: Harness, url: string): EngineIoClient {
  const c = new EngineIoClient(h.ctx, 0);
  c.start(url);
  return c;
}


const ended = (h: Harness, c: EngineIoClient): Promise<void> => until(`end (state ${c.state})`, () => h.ended.has(c));
const flush = (h: Harness): SecondBucket => h.recorder.flush(0, { open: 0, backendsOpen: {}, lagMaxMs: 0, fds: 0 });
const misroutes = (b: SecondBucket): number =>
  (['misroute_handshake', 'misroute_poll', 'misroute_post', 'misroute_upgrade'] as const).reduce((n, k) => n + (b.sessions?.[k] ?? 0), 0);

describe('EngineIoClient', () => {
  test('one backend: establishes, polls, upgrades, measures acks, closes clean', async () => {
    const b1 = await backend('b1');
    const h = harness({ pollsBeforeUpgrade: 3 }, { messagesPerSecond: 20 });
    const c = start(h, b1.url);
    await until('upgrade', () => c.transport === 'websocket');
    assert.equal(c.state, 'open');
    assert.equal(c.backend, 'b1');
    // Wait for the acks rather than a fixed 300 ms at 20/s: a slow machine may not have got that far.
    await h.until('5 acks', () => (h.totals.counters.messagesReceived ?? 0) >= 5);
    c.close();
    await ended(h, c);
    const b = flush(h);
    const s = b.sessions ?? {};
    assert.equal(b.counters.attempted, 1);
    assert.equal(b.counters.established, 1);
    assert.equal(b.counters.closedClean, 1);
    assert.equal(b.counters.failed + b.counters.dropped, 0);
    assert.deepEqual(b.errors, {});
    assert.deepEqual(b.backendsOpened, { b1: 1 });
    assert.equal(s.req_handshake, 1);
    assert.ok((s.req_poll ?? 0) >= 3, `polls ${s.req_poll}`);
    assert.ok((s.req_post ?? 0) >= 4, `posts ${s.req_post}`); // 40 and three echo rounds
    assert.equal(s.upgrade_attempted, 1);
    assert.equal(s.upgraded, 1);
    assert.equal(s.ended_websocket, 1);
    assert.equal(s.established, 1);
    assert.equal(misroutes(b), 0);
    assert.ok(b.counters.messagesReceived >= 5, `acks ${b.counters.messagesReceived}`);
    assert.equal(b.counters.messagesReceived + b.counters.messagesLost, b.counters.messagesSent);
    assert.ok(b.hist.ack && b.hist.upgrade && b.hist.connect && b.hist.handshake);
  });

  test('upgrade off: the session lives and ends on polling', async () => {
    const b1 = await backend('b-poll');
    const h = harness({ upgrade: false, pollsBeforeUpgrade: 1 }, { messagesPerSecond: 20 });
    const c = start(h, b1.url);
    await until('open', () => c.state === 'open');
    await h.until('3 acks', () => (h.totals.counters.messagesReceived ?? 0) >= 3);
    c.close();
    await ended(h, c);
    const b = flush(h);
    assert.equal(b.counters.closedClean, 1);
    assert.equal(b.sessions?.ended_polling, 1);
    assert.equal(b.sessions?.upgrade_attempted, undefined);
    assert.ok(b.counters.messagesReceived >= 3);
    assert.deepEqual(b.errors, {});
  });

  test('answers server pings on polling: a session outlives pingInterval + pingTimeout', async () => {
    const b1 = await startSioBackend({ id: 'b-ping', pingInterval: 100, pingTimeout: 100 });
    cleanups.push(() => b1.close());
    const h = harness({ upgrade: false, pollsBeforeUpgrade: 1 });
    const c = start(h, b1.url);
    await until('open', () => c.state === 'open');
    // At least 700 ms (several ping rounds) and 4 polls, however long a slow machine takes for the polls; a
    // session that missed its pongs is closed by then and stops the wait early.
    const opened = Date.now();
    await h.until('4 polls and 700 ms', () => c.state !== 'open' || (Date.now() - opened >= 700 && (h.totals.sessions.req_poll ?? 0) >= 4));
    assert.equal(c.state, 'open');
    c.close();
    await ended(h, c);
    const b = flush(h);
    assert.equal(b.counters.closedClean, 1);
    assert.equal(b.counters.dropped, 0);
    assert.ok((b.sessions?.req_poll ?? 0) >= 4, `polls ${b.sessions?.req_poll}`);
    assert.deepEqual(b.errors, {});
  });

  test('l7 round-robin over two backends: misroutes detected and classified', async () => {
    const url = await proxy('round-robin', [await backend('rr1'), await backend('rr2')]);
    const h = harness();
    const c = start(h, url);
    await ended(h, c);
    const b = flush(h);
    assert.ok(misroutes(b) > 0, JSON.stringify(b.sessions));
    assert.equal(b.counters.failed + b.counters.dropped, 1);
    assert.ok(Object.keys(b.errors).some((e) => e.startsWith('unknown_sid_')), JSON.stringify(b.errors));
  });

  for (const strategy of ['engineio-sid', 'cookie']) {
    test(`l7 ${strategy}: no misroutes, every session upgraded`, async () => {
      const url = await proxy(strategy, [await backend(`${strategy}-1`), await backend(`${strategy}-2`)]);
      const h = harness({ pollsBeforeUpgrade: 2 }, { messagesPerSecond: 10 });
      const clients = [start(h, url), start(h, url), start(h, url)];
      await until('upgrades', () => clients.every((c) => c.transport === 'websocket'));
      for (const c of clients) c.close();
      for (const c of clients) await ended(h, c);
      const b = flush(h);
      assert.equal(misroutes(b), 0, JSON.stringify(b.sessions));
      assert.equal(b.sessions?.upgraded, 3);
      assert.equal(b.counters.closedClean, 3);
      assert.deepEqual(b.errors, {});
      assert.equal(Object.keys(b.backendsOpened).length, 2, 'the fallback spread sessions over both backends');
    });
  }

  test('a plain web server is not_socketio', async () => {
    const s = await startHtmlServer();
    cleanups.push(() => s.close());
    const h = harness();
    const c = start(h, s.url);
    await ended(h, c);
    const b = flush(h);
    assert.equal(b.counters.failed, 1);
    assert.deepEqual(b.errors, { not_socketio: 1 });
    assert.match(c.detail ?? '', /^404 text\/html: <!DOCTYPE/);
  });

  test('a websocket-only backend refuses polling', async () => {
    const b1 = await backend('ws-only', ['websocket']);
    const h = harness();
    const c = start(h, b1.url);
    await ended(h, c);
    const b = flush(h);
    assert.equal(b.counters.failed, 1);
    assert.deepEqual(b.errors, { polling_refused: 1 });
  });

  test('reconnectCheck through a cookie balancer returns to the same backend', async () => {
    const url = await proxy('cookie', [await backend('ck1'), await backend('ck2')]);
    const h = harness({ reconnectCheck: true, pollsBeforeUpgrade: 1 });
    const clients = [start(h, url), start(h, url)];
    await until('upgrades', () => clients.every((c) => c.transport === 'websocket'));
    for (const c of clients) c.close();
    for (const c of clients) await ended(h, c);
    const b = flush(h);
    assert.equal(b.sessions?.reconnect, 2);
    assert.equal(b.sessions?.reconnect_same_backend, 2);
    assert.equal(b.counters.closedClean, 2);
    assert.deepEqual(b.errors, {});
  });

  test('terminate before the session opens counts a cancelled attempt and ends once', async () => {
    const b1 = await backend('b-term');
    const h = harness();
    const c = start(h, b1.url);
    c.terminate();
    c.terminate();
    await ended(h, c);
    const b = flush(h);
    assert.equal(b.counters.failed, 1);
    assert.deepEqual(b.errors, { cancelled: 1 });
  });
});

describe('EngineIoClient over TLS', () => {
  test('a self-signed certificate is refused (tls_self_signed) unless trusted (ca) or --insecure', async () => {
    const b1 = await backend('b1');
    const p = await startProxy({ mode: 'l7', strategy: 'round-robin', tls: { selfSigned: true }, backends: [{ id: 'b1', host: '127.0.0.1', port: b1.port }] });
    cleanups.push(() => p.close());
    const url = `https://127.0.0.1:${p.port}/`;
    const refused = harness();
    const c1 = start(refused, url);
    await ended(refused, c1);
    assert.equal(flush(refused).errors['tls_self_signed'], 1);

    const insecure = new Harness({ engine: 'engineio', session: { ...DEFAULT_SESSION, pollsBeforeUpgrade: 1 } }, true);
    cleanups.push(async () => insecure.stop());
    const c2 = new EngineIoClient(insecure.ctx, 0);
    c2.start(url);
    await until('open over TLS', () => c2.state === 'open');
    assert.equal(c2.backend, 'b1');
    c2.close();
    await ended(insecure, c2);
    assert.equal(flush(insecure).counters.closedClean, 1);
  });
});
