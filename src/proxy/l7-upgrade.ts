/**
 * WebSocket upgrades in the L7 proxy: route the upgrade request like any other (so a cookie or an Engine.IO sid
 * sends it to the session's backend), replay its head to the backend, pass the backend's handshake answer on
 * (with the strategy's Set-Cookie added: HAProxy inserts its cookie in a 101 too), then splice bytes both ways.
 */
import type http from 'node:http';
import net from 'node:net';
import { bookConnectFailure, bump, endThenDestroy } from './accept.js';
import { startTunnel } from './tunnel.js';
import { addForwarded, endToEndHeaders, ownLimitAnswer, parseResponseHead, rejectSocket, serializeHead, type ParsedHead } from './http-util.js';
import { pickContext, route, type L7Context } from './l7-shared.js';
import type { BackendState } from './pool.js';
import { isSticky, type PickContext } from './strategies/types.js';
import { DEFAULT_SOURCE, isPortCollision, portAcquire, portRelease } from './upstream.js';

/** A WebSocket upgrade the backend can take: GET, Upgrade: websocket, a key and version 13 (RFC 6455 §4.1). */
function upgradeProblem(req: http.IncomingMessage): string | undefined {
  const upgrade = String(req.headers.upgrade ?? '').toLowerCase();
  if (upgrade !== 'websocket') return `unsupported upgrade "${upgrade}" (only websocket)`;
  if (req.method !== 'GET') return `a WebSocket upgrade must be a GET, not ${req.method ?? '?'}`;
  const key = req.headers['sec-websocket-key'];
  if (typeof key !== 'string' || Buffer.from(key, 'base64').length !== 16) return 'missing or malformed Sec-WebSocket-Key';
  if (req.headers['sec-websocket-version'] !== '13') return 'Sec-WebSocket-Version must be 13';
  return undefined;
}

export function handleUpgrade(c: L7Context, req: http.IncomingMessage, client: net.Socket, head: Buffer): void {
  c.counters.upgradesTotal++;
  // Named, so the handover to the tunnel can remove them: a listener left behind would keep this whole handshake
  // (request, headers, buffers) alive for the life of the connection.
  const onClientError = (err: NodeJS.ErrnoException): void => bump(c.counters.errors, `client_${err.code ?? 'error'}`);
  let onClientClose: (() => void) | undefined;
  client.on('error', onClientError);
  const problem = upgradeProblem(req);
  if (problem !== undefined) {
    bump(c.counters.errors, 'bad_upgrade');
    rejectSocket(client, 400, 'bad-upgrade', `Bad WebSocket upgrade: ${problem}.`);
    return;
  }
  const tried = new Set<string>();
  const headers = addForwarded(endToEndHeaders(req.rawHeaders, true), req, c.encrypted);
  const requestHead = serializeHead(`GET ${req.url ?? '/'} HTTP/1.1`, headers);

  const attempt = async (): Promise<void> => {
    const ctx = pickContext(req, c.pool, tried);
    const backend = await route(c, ctx);
    if (client.destroyed) return;
    if (backend === undefined) {
      bump(c.counters.errors, tried.size === 0 ? 'no_backend' : 'no_backend_after_retry');
      rejectSocket(client, 503, 'no-backend', 'No backend is available.');
      return;
    }
    tried.add(backend.id);
    connectUpstream(backend, ctx);
  };

  // kernelPort: bind the source address with port 0, after the port the pool named collided.
  const connectUpstream = (backend: BackendState, ctx: PickContext, kernelPort = false): void => {
    const localAddress = c.sources.pick(backend);
    const source = localAddress ?? DEFAULT_SOURCE;
    backend.active++;
    portAcquire(backend, source);
    const lease = kernelPort ? 0 : c.sources.lease(localAddress);
    const up = net.connect({ host: backend.host, port: backend.port, noDelay: true, ...c.sources.bind(localAddress, lease) });
    c.track(up);
    let connected = false;
    let answered = false;
    up.setTimeout(c.connectTimeoutMs ?? 5000);
    up.once('timeout', () => {
      if (!connected) up.destroy(Object.assign(new Error('connect timed out'), { code: 'ETIMEDOUT' }));
    });
    // A backend that hangs up before answering gets nothing more from us: without this, bytes still queued for it
    // (the client's first frames) keep `up` waiting for a flush that never comes, and its fd outlives the connection.
    up.once('end', () => {
      if (!answered) up.destroy();
    });
    up.once('close', () => {
      backend.active--;
      portRelease(backend, source);
      c.sources.release(lease);
      if (answered) endThenDestroy(client);
      else if (connected && client.writable && !client.writableEnded) {
        // The backend hung up before answering the handshake (no error, just a FIN): without an answer here
        // the client would wait forever on a half-dead connection.
        bump(c.counters.errors, 'upstream_bad_handshake');
        rejectSocket(client, 502, 'upstream-bad-handshake', `Backend ${backend.id} closed the connection before answering the upgrade.`);
      }
    });
    up.on('error', (err: NodeJS.ErrnoException) => {
      const code = err.code ?? 'error';
      if (!connected && isPortCollision(lease, code)) {
        // The named source port is held towards this backend by another socket: not a limit, not the backend.
        bump(c.counters.errors, 'upstream_port_redial');
        connectUpstream(backend, ctx, true);
        return;
      }
      if (connected) {
        bump(c.counters.errors, `upstream_${code}`);
        // Before the answer the client can still be told why (as the request path answers 502); after it, only a cut.
        if (answered) client.destroy();
        else rejectSocket(client, 502, 'upstream-bad-handshake', `Backend ${backend.id} failed before answering the upgrade (${code}).`);
        return;
      }
      if (bookConnectFailure(c, backend, source, code) === 'own') {
        const a = ownLimitAnswer(code) ?? { status: 503, reason: 'proxy-limit', text: code };
        rejectSocket(client, a.status, a.reason, a.text);
      } else if (tried.size < 2) {
        void attempt();
      } else {
        rejectSocket(client, 502, 'upstream-connect-failed', `Backends ${[...tried].join(', ')} refused the connection (${code}).`);
      }
    });
    up.once('connect', () => {
      connected = true;
      up.setTimeout(0);
      up.write(requestHead);
      if (head.length > 0) up.write(head);
      readHead(up, (parsed) => {
        answered = true;
        backend.total++;
        client.write(answerHead(c, ctx, backend, parsed));
        if (parsed.rest.length > 0) client.write(parsed.rest);
        // Hand over: only the tunnel's listeners (and the listener's own bookkeeping) stay on the sockets.
        client.off('error', onClientError);
        if (onClientClose !== undefined) client.off('close', onClientClose);
        up.removeAllListeners();
        c.track(up);
        startTunnel(client, up, c.tunnels, backend, source);
      }, (why) => {
        bump(c.counters.errors, 'upstream_bad_handshake');
        up.destroy();
        rejectSocket(client, 502, 'upstream-bad-handshake', `Backend ${backend.id} sent ${why}.`);
      });
    });
    if (onClientClose !== undefined) client.off('close', onClientClose);
    onClientClose = (): void => {
      if (!answered) up.destroy();
    };
    client.once('close', onClientClose);
  };

  attempt().catch(() => client.destroy());
}

/** The backend's handshake answer with the strategy's headers (a cookie) added. */
function answerHead(c: L7Context, ctx: PickContext, backend: BackendState, parsed: ParsedHead): Buffer {
  if (!isSticky(c.strategy) || c.strategy.onResponse === undefined) return serializeHead(parsed.statusLine, parsed.raw);
  const extra = c.strategy.onResponse(ctx, backend, { statusCode: parsed.statusCode, headers: parsed.headers });
  const raw = [...parsed.raw];
  for (const [k, v] of Object.entries(extra ?? {})) raw.push(k, v);
  return serializeHead(parsed.statusLine, raw);
}

/** Accumulates the backend's response head; calls `done` with it, or `fail` when it is not HTTP. */
function readHead(up: net.Socket, done: (head: ParsedHead) => void, fail: (why: string) => void): void {
  let buf: Buffer = Buffer.alloc(0);
  const onData = (chunk: Buffer): void => {
    buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
    let parsed: ParsedHead | undefined;
    try {
      parsed = parseResponseHead(buf);
    } catch (err) {
      up.off('data', onData);
      fail(err instanceof Error ? err.message : String(err));
      return;
    }
    if (parsed === undefined) return;
    up.off('data', onData);
    up.pause();
    done(parsed);
  };
  up.on('data', onData);
}
