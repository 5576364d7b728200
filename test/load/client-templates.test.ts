/**
 * behavior.query and per-client templates on the wire: real servers on 127.0.0.1 record each handshake's URL and
 * headers — distinct `{{ client }}` values per client, `{{ client % 3 }}` giving 3, a slot keeping its values across
 * reconnects (a whole run with behavior.lifetime), and every poll and the upgrade of an engine.io session carrying
 * the query (socket.io-client and wsherd's probe).
 */
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Harness } from './helpers/harness.js';
import { sioServer, wsServer, type Cleanup } from './helpers/recording-servers.js';
import { createClient } from '../../src/load/client.js';
import { EngineIoClient } from '../../src/load/engineio-client.js';
import { SocketIoClient } from '../../src/load/socketio-engine.js';
import { appendQuery, clientHeaders, queryOption } from '../../src/load/client-templates.js';
import { DEFAULT_SESSION, type Behavior } from '../../src/scenario/types.js';
import { parseScenario } from '../../src/scenario/load.js';
import { runScenario } from '../../src/run/run.js';
import { RunEvents } from '../../src/run-events.js';
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

const params = (url: string): URLSearchParams => new URL(url, 'http://x').searchParams;

describe('per-client query and headers', () => {
  test('appendQuery keeps the URL\'s parameters and fragment; queryOption moves them into the option', () => {
    assert.equal(appendQuery('ws://h/p', 'a=1'), 'ws://h/p?a=1');
    assert.equal(appendQuery('ws://h/p?x=1', 'a=1'), 'ws://h/p?x=1&a=1');
    assert.equal(appendQuery('ws://h/p?', 'a=1'), 'ws://h/p?a=1');
    assert.equal(appendQuery('ws://h/p#f', 'a=1'), 'ws://h/p?a=1#f');
    assert.equal(appendQuery('ws://h/p', ''), 'ws://h/p');
    assert.deepEqual(queryOption('http://h/?x=a%20b', { a: '1' }), { url: 'http://h/', query: { x: 'a b', a: '1' } });
  });

  test('without templates every client shares one prepared-headers object', () => {
    const behavior = { ...harness({}).ctx.behavior, headers: { Origin: 'o' }, query: { v: '2' } };
    assert.equal(clientHeaders({ behavior }, 0), clientHeaders({ behavior }, 7));
    const templated = { ...behavior, headers: { 'X-User': 'u{{client}}' } };
    assert.notEqual(clientHeaders({ behavior: templated }, 0), clientHeaders({ behavior: templated }, 1));
    assert.deepEqual(clientHeaders({ behavior: templated }, 3).plain, { 'X-User': 'u3' });
  });

  test('ws engine: N clients send distinct {{client}} values, {{client % 3}} gives 3 values, URL parameters kept, encoded', async () => {
    const s = await wsServer(cleanups, '/chat?token=abc');
    const h = harness({ query: { room: '{{ client % 3 }}', user: 'u{{client}}', tag: 'a b&c' }, headers: { 'X-User-Id': 'u{{ client }}', Origin: 'https://app.example' } });
    const clients = Array.from({ length: 6 }, (_, slot) => createClient(h.ctx, slot));
    for (const c of clients) c.start(s.url);
    for (const c of clients) await h.untilState(c, 'open');
    for (const c of clients) c.close();
    for (const c of clients) await h.ended_(c);
    assert.equal(s.seen.length, 6);
    for (const seen of s.seen) {
      assert.match(seen.url, /^\/chat\?token=abc&room=\d&user=u\d&tag=a%20b%26c$/);
      const q = params(seen.url);
      const user = q.get('user') ?? '';
      assert.equal(seen.headers['x-user-id'], user, 'the header and the query name the same client');
      assert.equal(q.get('room'), String(Number(user.slice(1)) % 3));
      assert.equal(seen.headers.origin, 'https://app.example');
    }
    assert.deepEqual(new Set(s.seen.map((x) => params(x.url).get('user'))), new Set(['u0', 'u1', 'u2', 'u3', 'u4', 'u5']));
    assert.deepEqual(new Set(s.seen.map((x) => params(x.url).get('room'))), new Set(['0', '1', '2']));
  });

  test('socketio engine: the handshake, every poll and the upgrade carry the target\'s parameter and the client\'s', async () => {
    const s = await sioServer(cleanups, { pathAndQuery: '/?token=a%20b' });
    const h = harness({ engine: 'socketio', messagesPerSecond: 10, session: { ...DEFAULT_SESSION }, query: { room: '{{client % 50}}' }, headers: { 'X-User-Id': 'u{{client}}' } });
    const c = new SocketIoClient(h.ctx, 57);
    c.start(s.url);
    await until('upgrade', () => c.transport === 'websocket');
    await h.until('2 acks', () => (h.totals.counters.messagesReceived ?? 0) >= 2);
    c.close();
    await until('end', () => h.ended.has(c));
    assert.ok(s.seen.filter((x) => x.kind === 'request').length >= 2);
    assert.equal(s.seen.filter((x) => x.kind === 'upgrade').length, 1);
    for (const seen of s.seen) {
      const q = params(seen.url);
      assert.equal(q.get('room'), '7', `${seen.kind} ${seen.url}`);
      assert.equal(q.get('token'), 'a b', `${seen.kind} ${seen.url}`);
      assert.equal(seen.headers['x-user-id'], 'u57', `${seen.kind} ${seen.url}`);
    }
  });

  test('engineio probe: every poll, post and the upgrade carry the target\'s parameter and the client\'s', async () => {
    const s = await sioServer(cleanups, { pathAndQuery: '/?token=a%20b' });
    const h = harness({ engine: 'engineio', messagesPerSecond: 10, session: { ...DEFAULT_SESSION, pollsBeforeUpgrade: 2 }, query: { room: 'r{{client % 50}}' } });
    const c = new EngineIoClient(h.ctx, 101);
    c.start(s.url);
    await until('upgrade', () => c.transport === 'websocket');
    c.close();
    await until('end', () => h.ended.has(c));
    assert.ok(s.seen.filter((x) => x.kind === 'request').length >= 4);
    assert.equal(s.seen.filter((x) => x.kind === 'upgrade').length, 1);
    for (const seen of s.seen) {
      const q = params(seen.url);
      assert.equal(q.get('room'), 'r1', `${seen.kind} ${seen.url}`);
      assert.equal(q.get('token'), 'a b', `${seen.kind} ${seen.url}`);
      assert.equal(q.get('EIO'), '4', `${seen.kind} ${seen.url}`);
    }
  });

  test('a run with behavior.lifetime: each slot reconnects with the same values; results.json keeps the templates', { timeout: 30_000 }, async () => {
    const s = await wsServer(cleanups);
    const dir = await mkdtemp(path.join(os.tmpdir(), 'wsherd-templates-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const scenario = parseScenario(`name: templates
target: ${s.url}
clients: 3
workers: 1
phases: [{ramp_up: 100ms}, {hold: 1200ms}]
population:
  - {name: office, share: 0.5, cidr: 127.0.0.1/32}
  - {name: home, share: 0.5, cidr: 127.0.0.1/32}
behavior:
  lifetime: 300ms
  query: {room: "{{ client % 2 }}", id: "{{client}}", g: "{{ group }}"}
  headers: {X-User-Id: "u{{client}}", Authorization: "Bearer {{client}}"}
`, 'templates.yaml');
    const out = await runScenario({ scenario, outDir: dir, events: new RunEvents() });
    assert.ok(s.seen.length > 3, `handshakes ${s.seen.length}: every slot reconnected`);
    const groupOf = new Map<string, string>();
    for (const seen of s.seen) {
      const q = params(seen.url);
      const id = q.get('id') ?? '';
      assert.match(id, /^[012]$/);
      assert.equal(q.get('room'), String(Number(id) % 2));
      assert.equal(seen.headers['x-user-id'], `u${id}`);
      assert.equal(seen.headers.authorization, `Bearer ${id}`);
      const g = q.get('g') ?? '';
      assert.ok(g === 'office' || g === 'home', g);
      assert.equal(groupOf.get(id) ?? g, g, 'a slot keeps its group');
      groupOf.set(id, g);
    }
    for (const id of ['0', '1', '2']) assert.ok(s.seen.filter((x) => params(x.url).get('id') === id).length >= 2, `slot ${id} reconnected`);
    assert.deepEqual(new Set(groupOf.values()), new Set(['office', 'home']));
    const written = JSON.parse(await readFile(out.files.results, 'utf8')) as { scenario: { behavior: Behavior } };
    assert.deepEqual(written.scenario.behavior.query, { room: '{{ client % 2 }}', id: '{{client}}', g: '{{ group }}' });
    assert.deepEqual(written.scenario.behavior.headers, { 'X-User-Id': 'u{{client}}', Authorization: '<redacted>' });
  });
});
