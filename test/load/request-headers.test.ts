/**
 * behavior.headers on the wire: real servers on 127.0.0.1 record what each request and upgrade carried — the ws
 * engine's handshake, and every long-polling request and the upgrade of an engine.io session (wsherd's probe and
 * socket.io-client), where a scenario's Cookie must travel together with the cookie the server set.
 */
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { Harness } from './helpers/harness.js';
import { sioServer, wsServer, type Cleanup, type Seen } from './helpers/recording-servers.js';
import { EngineIoClient } from '../../src/load/engineio-client.js';
import { SocketIoClient } from '../../src/load/socketio-engine.js';
import { mergeCookies, prepareHeaders } from '../../src/load/request-headers.js';
import { DEFAULT_SESSION, type Behavior } from '../../src/scenario/types.js';
import { until } from '../helpers/until.js';

const cleanups: Cleanup[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

function harness(behavior: Partial<Behavior>): Harness {
  const h = new Harness(behavior);
  cleanups.push(() => h.stop());
  return h;
}

const HEADERS = { Authorization: 'Bearer t0k3n', Origin: 'https://app.example', Host: 'app.example', 'X-Tenant': '42' };

/** Every recorded request carried the scenario's headers (Host as given, not the URL's 127.0.0.1:port). */
function assertCarried(seen: Seen[]): void {
  for (const s of seen) {
    const where = `${s.kind} ${s.url}`;
    assert.equal(s.headers.authorization, 'Bearer t0k3n', where);
    assert.equal(s.headers.origin, 'https://app.example', where);
    assert.equal(s.headers.host, 'app.example', where);
    assert.equal(s.headers['x-tenant'], '42', where);
  }
}

describe('request headers', () => {
  test('mergeCookies: the scenario\'s cookies first, then the jar\'s; a name the jar holds takes the jar\'s value', () => {
    assert.equal(mergeCookies(undefined, undefined), undefined);
    assert.equal(mergeCookies('a=1', undefined), 'a=1');
    assert.equal(mergeCookies(undefined, 'io=x'), 'io=x');
    assert.equal(mergeCookies('a=1; b=2', 'io=x'), 'a=1; b=2; io=x');
    assert.equal(mergeCookies('a=1; SERVERID=old', ['SERVERID=b2', 'io=x']), 'a=1; SERVERID=b2; io=x');
  });

  test('prepareHeaders: the subprotocols apart, the Cookie apart, SNI from a Host name (not from an IP)', () => {
    const p = prepareHeaders({ 'Sec-WebSocket-Protocol': 'chat, v2', Cookie: 'a=1', Host: 'app.example:8443', Origin: 'o' });
    assert.deepEqual(p.protocols, ['chat', 'v2']);
    assert.deepEqual(p.plain, { Host: 'app.example:8443', Origin: 'o' });
    assert.equal(p.cookie, 'a=1');
    assert.equal(p.servername, 'app.example');
    assert.equal(prepareHeaders({ Host: '10.0.0.1:80' }).servername, undefined);
    assert.equal(prepareHeaders(undefined).none, true);
  });

  test('ws engine: the handshake carries Authorization, Origin, Host, Cookie and offers the subprotocols', async () => {
    const s = await wsServer(cleanups);
    const h = harness({ headers: { ...HEADERS, Cookie: 'session=abc', 'Sec-WebSocket-Protocol': 'chat, v2' } });
    const c = h.client(s.url);
    await h.untilState(c, 'open');
    c.close();
    await h.ended_(c);
    assert.equal(s.seen.length, 1);
    assertCarried(s.seen);
    assert.equal(s.seen[0]?.headers.cookie, 'session=abc');
    assert.equal(s.seen[0]?.headers['sec-websocket-protocol'], 'chat,v2');
    // The server answered "chat": accepted because it was offered as a subprotocol, not merely sent as a header.
    assert.equal(h.recorder.flush(0, { open: 0, backendsOpen: {}, lagMaxMs: 0, fds: 0 }).counters.closedClean, 1);
  });

  test('engineio probe: every poll, post and the upgrade carry the headers; the Cookie joins the session cookie', async () => {
    const s = await sioServer(cleanups, { engine: { cookie: { name: 'io', path: '/', httpOnly: true } } });
    const h = harness({ engine: 'engineio', messagesPerSecond: 10, session: { ...DEFAULT_SESSION, pollsBeforeUpgrade: 2 }, headers: { ...HEADERS, Cookie: 'user=u1' } });
    const c = new EngineIoClient(h.ctx, 0);
    c.start(s.url);
    await until('upgrade', () => c.transport === 'websocket');
    c.close();
    await until('end', () => h.ended.has(c));
    const requests = s.seen.filter((x) => x.kind === 'request');
    const upgrades = s.seen.filter((x) => x.kind === 'upgrade');
    assert.ok(requests.length >= 4, `requests ${requests.length}`);
    assert.equal(upgrades.length, 1);
    assert.ok(requests.some((r) => r.headers['content-length'] !== undefined), 'a post was made');
    assertCarried(s.seen);
    // The handshake has only the scenario's cookie; after it, the server's `io` cookie travels with it.
    assert.equal(requests[0]?.headers.cookie, 'user=u1');
    for (const r of [...requests.slice(1), ...upgrades]) assert.match(r.headers.cookie ?? '', /^user=u1; io=[\w-]+$/, `${r.kind} ${r.url}`);
  });

  test('socketio engine: every poll and the upgrade carry the headers; the Cookie joins the session cookie', async () => {
    const s = await sioServer(cleanups, { engine: { cookie: { name: 'io', path: '/', httpOnly: true } } });
    const h = harness({ engine: 'socketio', messagesPerSecond: 10, session: { ...DEFAULT_SESSION }, headers: { ...HEADERS, Cookie: 'user=u1' } });
    const c = new SocketIoClient(h.ctx, 0);
    c.start(s.url);
    await until('upgrade', () => c.transport === 'websocket');
    await h.until('2 acks', () => (h.totals.counters.messagesReceived ?? 0) >= 2);
    c.close();
    await until('end', () => h.ended.has(c));
    const requests = s.seen.filter((x) => x.kind === 'request');
    const upgrades = s.seen.filter((x) => x.kind === 'upgrade');
    assert.ok(requests.length >= 2, `requests ${requests.length}`);
    assert.equal(upgrades.length, 1);
    assertCarried(s.seen);
    assert.equal(requests[0]?.headers.cookie, 'user=u1');
    for (const r of [...requests.slice(1), ...upgrades]) assert.match(r.headers.cookie ?? '', /^user=u1; io=[\w-]+$/, `${r.kind} ${r.url}`);
  });
});
