import { test, describe, after, before } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { once } from 'node:events';
import WebSocket from 'ws';
import { io, type Socket as ClientSocket } from 'socket.io-client';
import { startSocketIoBackend, type RunningSocketIoBackend, type SocketIoBackendStats } from '../../src/backend/socketio-server.js';
import { BACKEND_HEADER, STATS_PATH } from '../../src/backend/identity.js';

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

function request(port: number, path: string, method = 'GET', body?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** socket.io-client's emitters are not node EventEmitters, so events.once() does not type-check against them. */
function next<T>(emitter: { once(event: string, fn: (arg: T) => void): unknown }, event: string): Promise<T> {
  return new Promise((resolve) => emitter.once(event, resolve));
}

interface Hello {
  wsherd: string;
  backend: string;
  pid: number;
  sid: string;
  transport: string;
}

/** A socket.io client that has received its hello and, when `upgrade`, finished moving to websocket. */
async function connectClient(port: number, upgrade = true): Promise<{ socket: ClientSocket; hello: Hello }> {
  const socket = io(`http://127.0.0.1:${port}`, { transports: ['polling', 'websocket'], forceNew: true, reconnection: false });
  const upgraded = upgrade ? next(socket.io.engine, 'upgrade') : Promise.resolve();
  const hello = await next<Hello>(socket, 'hello');
  await upgraded;
  return { socket, hello };
}

async function stats(port: number): Promise<SocketIoBackendStats> {
  const r = await request(port, STATS_PATH);
  return JSON.parse(r.body) as SocketIoBackendStats;
}

describe('reference socket.io backend', () => {
  let backend: RunningSocketIoBackend;
  before(async () => {
    backend = await startSocketIoBackend({ id: 's1' });
  });
  after(() => backend.close());

  test('a socket.io client connects, upgrades, gets its hello and an echo ack', async () => {
    const { socket, hello } = await connectClient(backend.port);
    try {
      assert.equal(hello.backend, 's1');
      assert.equal(hello.wsherd, 'hello');
      assert.equal(hello.transport, 'polling');
      assert.equal(hello.sid, socket.io.engine.id);
      assert.equal(socket.io.engine.transport.name, 'websocket');
      const echoed = (await socket.timeout(5000).emitWithAck('echo', { n: 1, s: 'x' })) as unknown;
      assert.deepEqual(echoed, { n: 1, s: 'x' });
      socket.send('plain');
      const msg = await next<string>(socket, 'message');
      assert.equal(msg, 'plain');
    } finally {
      socket.disconnect();
    }
  });

  test('the polling handshake names the backend and opens a session', async () => {
    const r = await request(backend.port, '/socket.io/?EIO=4&transport=polling');
    assert.equal(r.status, 200);
    assert.equal(r.headers[BACKEND_HEADER], 's1');
    assert.match(r.body, /^0\{"sid"/);
    assert.equal(r.headers['set-cookie'], undefined);
  });

  test('a poll with an unknown sid is a 400 with code 1, and still names the backend', async () => {
    const r = await request(backend.port, '/socket.io/?EIO=4&transport=polling&sid=madeUpSid000000000000');
    assert.equal(r.status, 400);
    assert.match(r.body, /"code":1/);
    assert.equal(r.headers[BACKEND_HEADER], 's1');
    const post = await request(backend.port, '/socket.io/?EIO=4&transport=polling&sid=madeUpSid000000000001', 'POST', '4hi');
    assert.equal(post.status, 400);
    assert.equal(post.headers[BACKEND_HEADER], 's1');
  });

  test('a raw WebSocket upgrade gets the header on the 101', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${backend.port}/socket.io/?EIO=4&transport=websocket`);
    const first = once(ws, 'message');
    const [res] = (await once(ws, 'upgrade')) as [http.IncomingMessage];
    assert.equal(res.headers[BACKEND_HEADER], 's1');
    const [open] = (await first) as [Buffer];
    assert.match(open.toString(), /^0\{"sid"/);
    ws.close();
    await once(ws, 'close');
  });

  test('a websocket upgrade with an unknown sid is refused with the header', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${backend.port}/socket.io/?EIO=4&transport=websocket&sid=madeUpSid000000000002`);
    ws.on('error', () => {});
    const [, res] = (await once(ws, 'unexpected-response')) as [unknown, http.IncomingMessage];
    assert.equal(res.statusCode, 400);
    assert.equal(res.headers[BACKEND_HEADER], 's1');
    res.resume();
    ws.terminate();
  });

  test('stats count sessions, upgrades, handshakes, polls and unknown sids; other paths are 404', async () => {
    const before = await stats(backend.port);
    const { socket } = await connectClient(backend.port);
    const during = await stats(backend.port);
    socket.disconnect();
    await request(backend.port, '/socket.io/?EIO=4&transport=polling&sid=madeUpSid000000000003');
    const s = await stats(backend.port);
    assert.equal(s.kind, 'socketio');
    assert.equal(s.id, 's1');
    assert.equal(during.sessionsOpen, before.sessionsOpen + 1);
    assert.equal(s.sessionsTotal, before.sessionsTotal + 1);
    assert.equal(s.upgrades, before.upgrades + 1);
    assert.equal(s.handshakes, before.handshakes + 1);
    assert.equal(s.unknownSid, before.unknownSid + 1);
    assert.equal(s.connectionErrors['unknown_sid'], s.unknownSid);
    assert.ok(s.pollingRequests >= before.pollingRequests + 2, `${before.pollingRequests} -> ${s.pollingRequests}`);
    const other = await request(backend.port, '/elsewhere');
    assert.equal(other.status, 404);
    assert.equal(other.headers[BACKEND_HEADER], 's1');
  });
});

describe('reference socket.io backend options', () => {
  const running: RunningSocketIoBackend[] = [];
  after(() => Promise.all(running.map((b) => b.close())));
  const start = async (o: Parameters<typeof startSocketIoBackend>[0]): Promise<RunningSocketIoBackend> => {
    const b = await startSocketIoBackend(o);
    running.push(b);
    return b;
  };

  test('cookie: true sets io=<sid> on the handshake; a string names the cookie', async () => {
    const b = await start({ id: 'c1', cookie: true });
    const r = await request(b.port, '/socket.io/?EIO=4&transport=polling');
    const sid = (JSON.parse(r.body.slice(1)) as { sid: string }).sid;
    assert.match(String(r.headers['set-cookie']), new RegExp(`^io=${sid};`));
    const named = await start({ id: 'c2', cookie: 'SRV' });
    const r2 = await request(named.port, '/socket.io/?EIO=4&transport=polling');
    assert.match(String(r2.headers['set-cookie']), /^SRV=/);
  });

  test('transports: [websocket] refuses a polling handshake with 400 code 0 and still accepts websocket', async () => {
    const b = await start({ id: 'w1', transports: ['websocket'] });
    const r = await request(b.port, '/socket.io/?EIO=4&transport=polling');
    assert.equal(r.status, 400);
    assert.equal(r.headers[BACKEND_HEADER], 'w1');
    assert.deepEqual(JSON.parse(r.body), { code: 0, message: 'Transport unknown' });
    const socket = io(`http://127.0.0.1:${b.port}`, { transports: ['websocket'], forceNew: true, reconnection: false });
    try {
      const hello = await next<Hello>(socket, 'hello');
      assert.equal(hello.backend, 'w1');
      assert.equal(hello.transport, 'websocket');
    } finally {
      socket.disconnect();
    }
    assert.equal((await stats(b.port)).connectionErrors['unknown_transport'], 1);
  });

  test('transports: [polling] refuses WebSocket upgrades with a 400 naming the backend', async () => {
    const b = await start({ id: 'p1', transports: ['polling'], path: '/rt' });
    const ok = await request(b.port, '/rt/?EIO=4&transport=polling');
    assert.equal(ok.status, 200);
    const ws = new WebSocket(`ws://127.0.0.1:${b.port}/rt/?EIO=4&transport=websocket`);
    ws.on('error', () => {});
    const [, res] = (await once(ws, 'unexpected-response')) as [unknown, http.IncomingMessage];
    assert.equal(res.statusCode, 400);
    assert.equal(res.headers[BACKEND_HEADER], 'p1');
    res.resume();
    ws.terminate();
  });

  test('close() drops open sessions and frees the port', async () => {
    const b = await startSocketIoBackend({ id: 'x1' });
    const { socket } = await connectClient(b.port, false);
    const gone = next(socket, 'disconnect');
    await b.close();
    await gone;
    const probe = net.connect(b.port, '127.0.0.1');
    const [err] = (await once(probe, 'error')) as [NodeJS.ErrnoException];
    assert.equal(err.code, 'ECONNREFUSED');
  });
});
