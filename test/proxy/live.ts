/** Helpers for proxy tests over real sockets: backends, a proxy, clients, and admin requests. */
import http from 'node:http';
import { once } from 'node:events';
import WebSocket from 'ws';
import { startBackend, type RunningBackend } from '../../src/backend/server.js';
import { startProxy, type ProxyOptions, type RunningProxy } from '../../src/proxy/server.js';
import type { ProxyStats } from '../../src/results/lab-types.js';

export type Cleanup = () => Promise<void>;

export class Live {
  private readonly cleanups: Cleanup[] = [];

  async closeAll(): Promise<void> {
    await Promise.all(this.cleanups.splice(0).map((c) => c()));
  }

  async backend(id: string, port = 0): Promise<RunningBackend> {
    const b = await startBackend({ id, port });
    this.cleanups.push(() => b.close());
    return b;
  }

  async proxy(backends: Array<{ id: string; port: number; weight?: number }>, extra: Partial<ProxyOptions> = {}): Promise<RunningProxy> {
    const proxy = await startProxy({
      strategy: 'round-robin',
      backends: backends.map((t) => ({ id: t.id, host: '127.0.0.1', port: t.port, ...(t.weight === undefined ? {} : { weight: t.weight }) })),
      ...extra,
    });
    this.cleanups.push(() => proxy.close());
    return proxy;
  }

  /** Opens a WebSocket through `port` and resolves with it and the backend id of its hello frame. */
  async hello(port: number): Promise<{ ws: WebSocket; backend: string }> {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/`);
    ws.on('error', () => {});
    this.cleanups.push(async () => {
      ws.terminate();
    });
    const [data] = (await once(ws, 'message')) as [Buffer];
    return { ws, backend: (JSON.parse(data.toString()) as { backend: string }).backend };
  }
}

export interface AdminReply {
  status: number;
  body: unknown;
}

/** One admin request; `body` is sent as is when a string (to test malformed JSON), else as JSON. */
export function admin(port: number, method: string, path: string, body?: unknown): Promise<AdminReply> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    const req = http.request({ host: '127.0.0.1', port, method, path, agent: false, headers: { 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => {
        let parsed: unknown = text;
        try {
          parsed = JSON.parse(text);
        } catch {
          // Non-JSON replies (e.g. /metrics) stay text.
        }
        resolve({ status: res.statusCode ?? 0, body: parsed });
      });
    });
    req.on('error', reject);
    req.end(payload);
  });
}

export async function stats(port: number): Promise<ProxyStats> {
  return (await admin(port, 'GET', '/stats')).body as ProxyStats;
}

export async function backendStats(port: number, id: string): Promise<ProxyStats['backends'][number] | undefined> {
  return (await stats(port)).backends.find((b) => b.id === id);
}

/** Polls `check` until it returns true or `ms` pass; returns the last result. */
export async function eventually(check: () => boolean | Promise<boolean>, ms = 5000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return check();
}

/** Opens `n` connections one after another and returns the backend ids they reached. */
export async function spread(live: Live, port: number, n: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push((await live.hello(port)).backend);
  return out;
}
