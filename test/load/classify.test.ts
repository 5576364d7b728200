import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import http from 'node:http';
import https from 'node:https';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { classifyClose, classifyError, classifyHttpStatus } from '../../src/load/classify.js';
import { Harness } from './helpers/harness.js';
import type { AnyWsClient } from './helpers/harness.js';
import { needBinary } from '../helpers/system.js';

const cleanups: (() => Promise<void> | void)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

async function listen(server: net.Server | http.Server): Promise<number> {
  // Sockets are tracked and destroyed at the end: close() alone waits for every connection, and some tests
  // deliberately leave one hanging.
  const sockets = new Set<net.Socket>();
  server.on('connection', (s: net.Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.on('secureConnection', (s: net.Socket) => sockets.add(s));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(() => new Promise<void>((r) => {
    for (const s of sockets) s.destroy();
    server.close(() => r());
  }));
  return (server.address() as AddressInfo).port;
}

/** Run one client against `url` and return its single error code (and whether it failed or dropped). */
async function outcome(url: string, opts: { handshakeTimeoutMs?: number; localAddress?: string; insecure?: boolean } = {}) {
  const h = new Harness({ handshakeTimeoutMs: opts.handshakeTimeoutMs ?? 2000 }, opts.insecure ?? false);
  try {
    const c: AnyWsClient = h.client(url, opts.localAddress);
    await h.ended_(c);
    const b = h.recorder.flush(0, { open: 0, backendsOpen: {}, lagMaxMs: 0, fds: 0 });
    return { errors: b.errors, counters: b.counters };
  } finally {
    h.stop();
  }
}

describe('classify (pure)', () => {
  test('maps codes and messages to stable codes', () => {
    const e = (code: string, message = 'x') => Object.assign(new Error(message), { code });
    assert.equal(classifyError(e('ECONNRESET')), 'ECONNRESET');
    assert.equal(classifyError(e('EMFILE')), 'EMFILE');
    assert.equal(classifyError(e('DEPTH_ZERO_SELF_SIGNED_CERT')), 'tls_DEPTH_ZERO_SELF_SIGNED_CERT');
    assert.equal(classifyError(e('ERR_SSL_WRONG_VERSION_NUMBER')), 'tls_ERR_SSL_WRONG_VERSION_NUMBER');
    assert.equal(classifyError(e('ERR_TLS_CERT_ALTNAME_INVALID')), 'tls_ERR_TLS_CERT_ALTNAME_INVALID');
    assert.equal(classifyError(e('ERR_SOCKET_CONNECTION_TIMEOUT')), 'connect_timeout');
    assert.equal(classifyError(e('WS_ERR_INVALID_CLOSE_CODE')), 'WS_ERR_INVALID_CLOSE_CODE');
    assert.equal(classifyError(e('HPE_INVALID_CONSTANT')), 'http_parse_error');
    assert.equal(classifyError(new Error('Unexpected server response: 502')), 'http_502');
    assert.equal(classifyError(new Error('Opening handshake has timed out')), 'handshake_timeout');
    assert.equal(classifyError(new Error('something else')), 'other');
    assert.equal(classifyError(undefined), 'other');
    assert.equal(classifyHttpStatus(503), 'http_503');
    assert.equal(classifyClose(1006), 'close_1006');
  });
});

describe('classify (real failures on loopback)', () => {
  test('a closed port → ECONNREFUSED', async () => {
    const s = net.createServer();
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    const port = (s.address() as AddressInfo).port;
    await new Promise<void>((r) => s.close(() => r()));
    const o = await outcome(`ws://127.0.0.1:${port}/`);
    assert.deepEqual(o.errors, { ECONNREFUSED: 1 });
    assert.equal(o.counters.failed, 1);
    assert.equal(o.counters.established, 0);
  });

  test('an upgrade answered with 503 → http_503', async () => {
    const s = http.createServer();
    s.on('upgrade', (_req, socket) => {
      socket.end('HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
    });
    const port = await listen(s);
    const o = await outcome(`ws://127.0.0.1:${port}/`);
    assert.deepEqual(o.errors, { http_503: 1 });
    assert.equal(o.counters.failed, 1);
  });

  test('TCP accepted but never answered → handshake_timeout', async () => {
    const held: net.Socket[] = [];
    const s = net.createServer((sock) => held.push(sock));
    cleanups.push(() => held.forEach((x) => x.destroy()));
    const port = await listen(s);
    const started = Date.now();
    const o = await outcome(`ws://127.0.0.1:${port}/`, { handshakeTimeoutMs: 300 });
    assert.deepEqual(o.errors, { handshake_timeout: 1 });
    assert.ok(Date.now() - started < 1500, 'the timeout fired on time');
  });

  test('socket destroyed after open → dropped as close_1006 or ECONNRESET', async () => {
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await new Promise((r) => wss.once('listening', r));
    cleanups.push(() => new Promise<void>((r) => wss.close(() => r())));
    wss.on('connection', (ws) => setTimeout(() => ws.terminate(), 50));
    const port = (wss.address() as AddressInfo).port;
    const o = await outcome(`ws://127.0.0.1:${port}/`);
    assert.equal(o.counters.established, 1);
    assert.equal(o.counters.dropped, 1);
    const codes = Object.keys(o.errors);
    assert.equal(codes.length, 1);
    assert.ok(['close_1006', 'ECONNRESET'].includes(codes[0] as string), `got ${codes[0]}`);
  });

  test('binding a non-local source address → EADDRNOTAVAIL (bind only: nothing leaves the machine)', async () => {
    const s = net.createServer();
    const port = await listen(s);
    const o = await outcome(`ws://127.0.0.1:${port}/`, { localAddress: '192.0.2.1' });
    assert.deepEqual(o.errors, { EADDRNOTAVAIL: 1 });
  });

  test('a self-signed wss:// target → tls_<code>; accepted with insecure', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'wsherd-tls-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const missing = needBinary('/usr/bin/openssl', 'openssl');
    if (missing !== false) return t.skip(missing);
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost',
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
    const s = https.createServer({ key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) });
    const wss = new WebSocketServer({ server: s });
    wss.on('connection', (ws) => ws.send('hi'));
    const port = await listen(s);
    cleanups.push(() => wss.clients.forEach((c) => c.terminate()));
    const bad = await outcome(`wss://127.0.0.1:${port}/`);
    assert.deepEqual(bad.errors, { tls_DEPTH_ZERO_SELF_SIGNED_CERT: 1 });
    const ok = await new Promise<Awaited<ReturnType<typeof outcome>>>((resolve, reject) => {
      const h = new Harness({}, true);
      const c = h.client(`wss://127.0.0.1:${port}/`);
      h.untilState(c, 'open').then(() => {
        c.close();
        return h.ended_(c);
      }).then(() => {
        h.stop();
        const b = h.recorder.flush(0, { open: 0, backendsOpen: {}, lagMaxMs: 0, fds: 0 });
        resolve({ errors: b.errors, counters: b.counters });
      }, (err) => { h.stop(); reject(err); });
    });
    assert.equal(ok.counters.established, 1);
    assert.equal(ok.counters.closedClean, 1);
    assert.deepEqual(ok.errors, {});
  });
});
