/**
 * Helpers for the L7 proxy tests: HTTP + WebSocket backends that say who they are (and can play an Engine.IO
 * server, cut a body or a tunnel), an L7 proxy, and clients (HTTP, WebSocket, raw bytes).
 */
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import WebSocket, { WebSocketServer } from 'ws';
import { startProxy, type ProxyOptions, type RunningProxy } from '../../src/proxy/server.js';

/** What one test started; closeAll() from afterEach. */
export class Scope {
  private readonly cleanups: Array<() => Promise<void> | void> = [];

  add(c: () => Promise<void> | void): void {
    this.cleanups.push(c);
  }

  async closeAll(): Promise<void> {
    await Promise.all(this.cleanups.splice(0).map((c) => c()));
  }
}

export interface TestBackend {
  id: string;
  port: number;
  /** TCP connections accepted (HTTP and WebSocket). */
  connections: number;
  /** HTTP requests answered (upgrades not included). */
  requests: number;
  /** Engine.IO session ids this backend issued. */
  sids: Set<string>;
  /** Stops listening and cuts every connection: the backend is down (connects are refused). */
  close(): Promise<void>;
}

const ENGINE_PATH = '/socket.io/';
const UNKNOWN_SID = JSON.stringify({ code: 1, message: 'Session ID unknown' });

/**
 * A backend answering its id in the body (and `x-backend`), echoing X-Forwarded-Proto as `x-seen-proto`;
 * `/half` sends half of a 100-byte body and dies, `/drop` closes without answering; `/socket.io/` acts as an Engine.IO v4 server (handshake issues
 * a sid; an unknown sid gets 400 like engine.io). WebSockets get `hello <id>`, then echo; the message `die`
 * ends the TCP connection without a close frame, `reset` resets it. Upgrades to `/hangup` are closed (FIN) and
 * to `/rst` reset without an answer.
 */
export async function testBackend(scope: Scope, id: string): Promise<TestBackend> {
  const sockets = new Set<net.Socket>();
  const sids = new Set<string>();
  const server = http.createServer((req, res) => {
    b.requests++;
    res.setHeader('x-backend', id);
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/drop') {
      res.socket?.destroy();
      return;
    }
    if (url.pathname === '/half') {
      res.writeHead(200, { 'content-length': '100' });
      res.write('x'.repeat(50), () => res.socket?.destroy());
      return;
    }
    if (url.pathname === ENGINE_PATH) {
      engine(url, req, res);
      return;
    }
    req.resume();
    res.setHeader('x-seen-proto', String(req.headers['x-forwarded-proto']));
    res.end(id);
  });
  const engine = (url: URL, req: http.IncomingMessage, res: http.ServerResponse): void => {
    req.resume();
    const sid = url.searchParams.get('sid');
    if (sid === null) {
      const fresh = randomBytes(15).toString('base64url');
      sids.add(fresh);
      res.end(`0${JSON.stringify({ sid: fresh, upgrades: ['websocket'], pingInterval: 25000, pingTimeout: 20000 })}`);
    } else if (!sids.has(sid)) {
      res.writeHead(400, { 'content-type': 'application/json' }).end(UNKNOWN_SID);
    } else {
      res.end(req.method === 'POST' ? 'ok' : '6');
    }
  };
  const wss = new WebSocketServer({ noServer: true });
  server.on('connection', (s: net.Socket) => {
    b.connections++;
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  server.on('upgrade', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const sid = url.searchParams.get('sid');
    if (url.pathname === '/hangup') return void socket.destroy();
    if (url.pathname === '/rst') return void socket.resetAndDestroy();
    if (url.pathname === ENGINE_PATH && sid !== null && !sids.has(sid)) {
      socket.end(`HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: ${UNKNOWN_SID.length}\r\n\r\n${UNKNOWN_SID}`);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      ws.send(`hello ${id}`);
      ws.on('message', (m: Buffer) => {
        const text = m.toString();
        if (text === 'die') socket.destroy();
        else if (text === 'reset') socket.resetAndDestroy();
        else ws.send(text);
      });
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  let closed: Promise<void> | undefined;
  const b: TestBackend = {
    id,
    port: (server.address() as net.AddressInfo).port,
    connections: 0,
    requests: 0,
    sids,
    close: () => {
      closed ??= new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      });
      return closed;
    },
  };
  scope.add(() => b.close());
  return b;
}

export async function testBackends(scope: Scope, ...ids: string[]): Promise<TestBackend[]> {
  return Promise.all(ids.map((id) => testBackend(scope, id)));
}

/** An L7 proxy (round-robin unless told) over `backends` on 127.0.0.1. */
export async function l7Proxy(scope: Scope, backends: Array<{ id: string; port: number }>, extra: Partial<ProxyOptions> = {}): Promise<RunningProxy> {
  const proxy = await startProxy({
    mode: 'l7',
    strategy: 'round-robin',
    backends: backends.map((t) => ({ id: t.id, host: '127.0.0.1', port: t.port })),
    ...extra,
  });
  scope.add(() => proxy.close());
  return proxy;
}

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface GetOptions {
  method?: string;
  /** Default false: a new connection per request. */
  agent?: http.Agent | false;
  headers?: http.OutgoingHttpHeaders;
  localAddress?: string;
  body?: string;
  /** https with this CA. */
  ca?: string;
}

/** One request; rejects on a transport error (including a body cut short). */
export function get(port: number, path = '/', o: GetOptions = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const opts: https.RequestOptions = {
      host: '127.0.0.1',
      port,
      path,
      method: o.method ?? 'GET',
      agent: o.agent ?? false,
      headers: o.headers ?? {},
      ...(o.localAddress === undefined ? {} : { localAddress: o.localAddress }),
      ...(o.ca === undefined ? {} : { ca: o.ca }),
    };
    const req = (o.ca === undefined ? http : https).request(opts, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('error', reject);
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(o.body);
  });
}

export interface WsHello {
  ws: WebSocket;
  /** The id in the backend's `hello <id>`. */
  backend: string;
  /** Set-Cookie of the 101. */
  setCookie: string[] | undefined;
}

/** Opens a WebSocket and resolves once the backend said hello; rejects when the handshake fails. */
export function wsHello(scope: Scope, url: string, o: { headers?: Record<string, string>; localAddress?: string; ca?: string } = {}): Promise<WsHello> {
  const ws = new WebSocket(url, { headers: o.headers ?? {}, ...(o.localAddress === undefined ? {} : { localAddress: o.localAddress }), ...(o.ca === undefined ? {} : { ca: o.ca }) });
  scope.add(() => ws.terminate());
  let setCookie: string[] | undefined;
  ws.on('upgrade', (res: http.IncomingMessage) => (setCookie = res.headers['set-cookie']));
  return new Promise((resolve, reject) => {
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res: http.IncomingMessage) => reject(new Error(`handshake answered ${res.statusCode}: ${String(res.headers['x-wsherd-reason'])}`)));
    ws.once('message', (data: Buffer) => {
      const text = data.toString();
      resolve({ ws, backend: text.replace(/^hello /, ''), setCookie });
    });
  });
}

/** Writes raw bytes and resolves with everything received until the proxy closes the connection. */
export function rawExchange(port: number, data: string | Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`connection still open after 5 s; got: ${Buffer.concat(chunks).toString('latin1').slice(0, 200)}`));
    }, 5000);
    s.on('data', (c: Buffer) => chunks.push(c));
    // A reset after the answer (the proxy closing while we still send) is fine: what came before counts.
    s.on('error', () => {});
    s.once('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString('latin1'));
    });
    s.write(data);
  });
}

/** The value of the `WSHERDID` cookie in Set-Cookie headers. */
export function cookieValue(setCookie: string[] | string | undefined, name = 'WSHERDID'): string | undefined {
  const list = setCookie === undefined ? [] : Array.isArray(setCookie) ? setCookie : [setCookie];
  for (const c of list) {
    const m = new RegExp(`^${name}=([^;]*)`).exec(c);
    if (m) return m[1];
  }
  return undefined;
}

/** Polls `check` until true or `ms` pass. */
export { eventually as until } from './live.js';
