/**
 * A small HTTP backend that speaks the part of Engine.IO a balancer has to get right: a polling handshake issues
 * a sid (remembered by this backend only), and a request carrying a sid this backend never issued gets 400
 * "Session ID unknown", as the real engine.io server answers. Other requests get the backend's id as the body.
 */
import http from 'node:http';
import { once } from 'node:events';
import type net from 'node:net';
import { randomBytes } from 'node:crypto';

export interface EioBackend {
  id: string;
  port: number;
  /** Requests answered, and sids this backend refused. */
  served: number;
  unknownSid: number;
  /** TCP connections accepted (to see keep-alive reuse). */
  connections: number;
  close(): Promise<void>;
}

export async function startEioBackend(id: string): Promise<EioBackend> {
  const sids = new Set<string>();
  const sockets = new Set<net.Socket>();
  const state = { served: 0, unknownSid: 0, connections: 0 };
  const server = http.createServer((req, res) => {
    state.served++;
    const url = new URL(req.url ?? '/', 'http://x');
    const sid = url.searchParams.get('sid');
    if (url.searchParams.has('EIO') && sid === null) {
      const fresh = randomBytes(10).toString('base64url');
      sids.add(fresh);
      res.end(`0{"sid":"${fresh}","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}`);
    } else if (sid !== null && !sids.has(sid)) {
      state.unknownSid++;
      res.writeHead(400, { 'content-type': 'application/json' }).end('{"code":1,"message":"Session ID unknown"}');
    } else {
      req.resume();
      res.end(id);
    }
  });
  server.on('connection', (s: net.Socket) => {
    state.connections++;
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as net.AddressInfo).port;
  return {
    id,
    port,
    get served() {
      return state.served;
    },
    get unknownSid() {
      return state.unknownSid;
    },
    get connections() {
      return state.connections;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** GET (or POST with a body) through the proxy on `port`; resolves with status and body. */
export function request(port: number, path: string, opts: { method?: string; body?: string; localAddress?: string; headers?: Record<string, string> } = {}): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, path, method: opts.method ?? 'GET', agent: false, headers: { connection: 'close', ...opts.headers }, ...(opts.localAddress === undefined ? {} : { localAddress: opts.localAddress }) },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** The sid in an Engine.IO open packet. */
export function sidOf(body: string): string {
  const m = /"sid":"([^"]+)"/.exec(body);
  if (!m?.[1]) throw new Error(`no sid in ${body}`);
  return m[1];
}
