/**
 * The listeners under fuzz, started as the lab starts them (compiled component entries, each its own process),
 * and the good clients that must still get through after every batch.
 */
import http from 'node:http';
import WebSocket from 'ws';
import { io } from 'socket.io-client';
import { startComponent, type Component } from './harness.js';
import { SID_SLOT } from './gen-sticky.js';
import type { WireInput } from './wire.js';

const SRC = new URL('../../src/', import.meta.url);
export const ENTRY = {
  wsBackend: new URL('backend/main.js', SRC),
  socketIoBackend: new URL('backend/socketio-main.js', SRC),
  proxy: new URL('proxy/main.js', SRC),
  dns: new URL('dns/main.js', SRC),
  orchestrator: new URL('orchestrator/main.js', SRC),
};

export function wsBackend(id: string): Promise<Component> {
  return startComponent(ENTRY.wsBackend, { id, host: '127.0.0.1', port: 0 });
}

export function socketIoBackend(id: string): Promise<Component> {
  return startComponent(ENTRY.socketIoBackend, { id, host: '127.0.0.1', port: 0 });
}

export function proxy(backends: Component[], mode: 'l4' | 'l7', strategy: string): Promise<Component> {
  return startComponent(ENTRY.proxy, {
    mode,
    strategy,
    backends: backends.map((b, i) => ({ id: `b${i + 1}`, host: '127.0.0.1', port: b.port })),
    ...(strategy === 'cookie' ? { strategyOptions: { cookieSecret: 'fuzz-secret-0123456789abcdef' } } : {}),
  });
}

function bounded<T>(what: string, p: Promise<T>, ms = 10_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took over ${ms} ms`)), ms);
  });
  return Promise.race([p, limit]).finally(() => clearTimeout(timer));
}

/** A WebSocket client that gets the backend's hello frame. */
export function wsHello(port: number, headers: Record<string, string> = {}): Promise<void> {
  return bounded('ws hello', new Promise<void>((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/`, { headers });
    ws.once('message', () => {
      ws.close();
      resolve();
    });
    // A refusal names its status and the proxy's reason header, so a failing run says why at once.
    ws.once('unexpected-response', (req, res) => {
      req.destroy();
      res.resume();
      reject(new Error(`upgrade answered ${res.statusCode ?? 0} (x-wsherd-reason: ${String(res.headers['x-wsherd-reason'])})`));
    });
    ws.once('error', reject);
    ws.once('close', (code) => reject(new Error(`closed with ${code} before the hello`)));
  }));
}

/** A socket.io client that gets the hello over polling, moves to websocket and gets an echo acknowledged. */
export function socketIoHello(port: number): Promise<void> {
  const socket = io(`http://127.0.0.1:${port}`, { transports: ['polling', 'websocket'], forceNew: true, reconnection: false });
  return bounded('socket.io hello', new Promise<void>((resolve, reject) => {
    socket.once('connect_error', reject);
    socket.once('hello', () => {
      const echo = (): void => {
        socket.emit('echo', 'ok', () => resolve());
      };
      if (socket.io.engine.transport.name === 'websocket') echo();
      else socket.io.engine.once('upgrade', echo);
    });
  })).finally(() => socket.close());
}

/** One HTTP request without keep-alive; resolves with the status and body. */
export function httpRequest(port: number, method: string, path: string, body?: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return bounded('http request', new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path, headers, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  }));
}

/** A genuine Engine.IO sid, from a polling handshake through `port`. */
export async function handshakeSid(port: number): Promise<string> {
  const r = await httpRequest(port, 'GET', '/socket.io/?EIO=4&transport=polling');
  return /"sid":"([^"]+)"/.exec(r.body)?.[1] ?? 'no-sid';
}

/** Fills SID_SLOT with a sid the backend really issued, so the input reaches a live session. */
export async function withRealSid(port: number, input: WireInput): Promise<WireInput> {
  if (!input.chunks.some((c) => c.includes(SID_SLOT))) return input;
  const sid = await handshakeSid(port).catch(() => 'no-sid');
  return { ...input, chunks: input.chunks.map((c) => Buffer.from(c.toString('latin1').split(SID_SLOT).join(sid), 'latin1')) };
}

export function alive(...components: Component[]): boolean {
  return components.every((c) => c.child.exitCode === null && c.child.signalCode === null);
}
