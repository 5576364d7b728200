/**
 * Child-process entry of the lab's DNS server, forked by the lab manager with its config
 * `{id, host, port, zone, ttlSeconds, health?}` as one JSON argument. Besides the UDP server it runs a small
 * HTTP admin endpoint on host:0: `GET /` returns the stats (per-address "first in answer" counts are how a
 * report shows DNS skew), `POST /records` changes a name's addresses at runtime (fault injection: a backend
 * taken out of DNS while clients still hold cached answers).
 */
import http from 'node:http';
import { runChild } from '../lab/child-runtime.js';
import { listenOn } from '../lab/listen.js';
import { startDnsServer, type DnsHealthOptions, type DnsServer, type ZoneEntry } from './server.js';

export interface DnsComponentConfig {
  id: string;
  host: string;
  /** UDP port (0 = any). */
  port: number;
  zone: ZoneEntry[];
  ttlSeconds: number;
  health?: DnsHealthOptions;
}

/** Largest accepted POST body; a record change is a few hundred bytes. */
const MAX_BODY_BYTES = 64 * 1024;

interface RecordsChange {
  name: string;
  remove?: string[];
  add?: string[];
  set?: string[];
}

function isStringArray(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((x) => typeof x === 'string');
}

function parseChange(body: string): RecordsChange {
  let v: unknown;
  try {
    v = JSON.parse(body);
  } catch {
    throw new Error('the body is not JSON');
  }
  if (typeof v !== 'object' || v === null) throw new Error('expected an object {name, remove?, add?, set?}');
  const o = v as Record<string, unknown>;
  if (typeof o['name'] !== 'string') throw new Error('"name" must be a string');
  for (const k of ['remove', 'add', 'set']) {
    if (o[k] !== undefined && !isStringArray(o[k])) throw new Error(`"${k}" must be an array of addresses`);
  }
  if (o['remove'] === undefined && o['add'] === undefined && o['set'] === undefined) throw new Error('give at least one of "remove", "add", "set"');
  return o as unknown as RecordsChange;
}

/** Apply a change: `set` first (replace), then `remove`, then `add`. Returns the name's addresses. */
function applyChange(server: DnsServer, change: RecordsChange): string[] {
  let addresses: string[] | undefined;
  if (change.set) addresses = server.setAddresses(change.name, change.set);
  for (const a of change.remove ?? []) addresses = server.removeAddress(change.name, a);
  for (const a of change.add ?? []) addresses = server.addAddress(change.name, a);
  return addresses ?? [];
}

function reply(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), connection: 'close' });
  res.end(text);
}

function handle(server: DnsServer, id: string, req: http.IncomingMessage, res: http.ServerResponse): void {
  const path = (req.url ?? '/').split('?')[0];
  if (req.method === 'GET' && path === '/') return reply(res, 200, { id, ...server.stats() });
  if (req.method !== 'POST' || path !== '/records') return reply(res, 404, { error: `no ${req.method ?? '?'} ${path}; try GET / or POST /records` });
  let body = '';
  let tooBig = false;
  req.setEncoding('utf8');
  req.on('data', (chunk: string) => {
    body += chunk;
    if (body.length > MAX_BODY_BYTES) tooBig = true;
  });
  req.on('end', () => {
    if (tooBig) return reply(res, 413, { error: `body over ${MAX_BODY_BYTES} bytes` });
    try {
      const change = parseChange(body);
      reply(res, 200, { name: change.name, addresses: applyChange(server, change) });
    } catch (err) {
      reply(res, 400, { error: (err as Error).message });
    }
  });
}

runChild<DnsComponentConfig>('dns', async (config) => {
  const server = await startDnsServer({
    host: config.host,
    port: config.port,
    zone: config.zone,
    ttlSeconds: config.ttlSeconds,
    ...(config.health === undefined ? {} : { health: config.health }),
  });
  const admin = http.createServer((req, res) => handle(server, config.id, req, res));
  let adminPort: number;
  try {
    adminPort = await listenOn(admin, config.host, 0, `dns ${config.id} admin`);
  } catch (err) {
    await server.close();
    throw err;
  }
  return {
    port: server.port,
    adminPort,
    close: async () => {
      admin.closeAllConnections();
      await Promise.all([server.close(), new Promise<void>((r) => admin.close(() => r()))]);
    },
  };
});
