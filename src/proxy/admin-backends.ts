/**
 * Run-time backend changes through the admin endpoint (scenarios kill, drain and add backends mid-run):
 *   GET    /backends              → the backends as in the stats JSON
 *   POST   /backends              {id, url | host+port, weight?} → 201 (409 duplicate id)
 *   PUT    /backends/:id          {weight} → 200
 *   POST   /backends/:id/drain    → 200 (weight 0: no new connections; open ones stay)
 *   POST   /backends/:id/undrain  → 200 (the weight it had)
 *   DELETE /backends/:id          → 200 (no new connections; open ones stay until they end, as in HAProxy)
 * Errors answer `{"error": "..."}`: 400 bad body, 404 unknown backend, 405 wrong method, 409 duplicate id.
 */
import type http from 'node:http';
import net from 'node:net';
import { WsherdError } from '../errors.js';
import { parseBackendArg } from './address.js';
import { describe, type BackendPool, type BackendTarget } from './pool.js';

const MAX_BODY = 64 * 1024;
const MAX_WEIGHT = 1_000_000;

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** A /backends request, parsed: what a proxy worker executes (the cluster primary forwards it to each). */
export interface BackendsCommand {
  method: string;
  id: string | undefined;
  action: string | undefined;
  body: unknown;
}

/** The command for a path under /backends, or undefined when the path is not one. Reads the body. */
export async function readBackendsCommand(req: http.IncomingMessage, path: string): Promise<BackendsCommand | undefined> {
  const m = /^\/backends(?:\/([^/]+)(?:\/(drain|undrain))?)?\/?$/.exec(path);
  if (!m) return undefined;
  const method = req.method ?? 'GET';
  const needsBody = method === 'POST' || method === 'PUT' || method === 'PATCH';
  return { method, id: m[1] === undefined ? undefined : safeDecode(m[1]), action: m[2], body: needsBody ? await readJson(req) : undefined };
}

/** True when the path is under /backends. */
export function isBackendsPath(path: string): boolean {
  return /^\/backends(?:\/|$)/.test(path);
}

/** Serves `req` when its path is under /backends; false otherwise (the caller answers). */
export function handleBackends(pool: BackendPool, req: http.IncomingMessage, res: http.ServerResponse, path: string): boolean {
  if (!isBackendsPath(path)) return false;
  void readBackendsCommand(req, path)
    .then((cmd) => (cmd === undefined ? ([404, { error: `No route ${path}.` }] as [number, unknown]) : executeBackends(pool, cmd)))
    .then(
      ([status, body]) => send(res, status, body),
      (err: unknown) => send(res, err instanceof HttpError ? err.status : 500, { error: err instanceof Error ? err.message : String(err) }),
    );
  return true;
}

/** Applies a command to the pool: [status, JSON body]. Errors become their status, never a throw. */
export function executeBackends(pool: BackendPool, cmd: BackendsCommand): [number, unknown] {
  try {
    return run(pool, cmd);
  } catch (err) {
    if (err instanceof HttpError) return [err.status, { error: err.message }];
    return [500, { error: err instanceof Error ? err.message : String(err) }];
  }
}

function run(pool: BackendPool, { method, id, action, body }: BackendsCommand): [number, unknown] {
  if (id === undefined) {
    if (method === 'GET') return [200, pool.snapshot()];
    if (method !== 'POST') throw new HttpError(405, `${method} /backends is not supported; use GET or POST.`);
    const target = parseTarget(body);
    const added = pool.add(target);
    if (!added) throw new HttpError(409, `A backend with id "${target.id}" already exists; remove it first or pick another id.`);
    return [201, describe(added)];
  }
  const b = pool.get(id);
  if (!b) throw new HttpError(404, `No backend "${id}". Known: ${pool.backends.map((x) => x.id).join(', ') || '(none)'}.`);
  if (action !== undefined) {
    if (method !== 'POST') throw new HttpError(405, `Use POST /backends/${id}/${action}.`);
    if (action === 'drain') pool.drain(b);
    else pool.undrain(b);
    return [200, describe(b)];
  }
  if (method === 'GET') return [200, describe(b)];
  if (method === 'DELETE') {
    pool.remove(id);
    return [200, { removed: describe(b) }];
  }
  if (method === 'PUT' || method === 'PATCH') {
    if (!isObject(body) || !('weight' in body)) throw new HttpError(400, 'Body must be a JSON object with "weight", e.g. {"weight": 3}.');
    pool.setWeight(b, checkWeight(body['weight']));
    return [200, describe(b)];
  }
  throw new HttpError(405, `${method} /backends/${id} is not supported; use GET, PUT, DELETE, or POST …/drain|undrain.`);
}

function parseTarget(body: unknown): BackendTarget {
  if (!isObject(body)) throw new HttpError(400, 'Body must be a JSON object: {"id": "b4", "url": "ws://127.0.0.1:9004"} or {"id", "host", "port"}.');
  const { id, url, host, port, weight } = body;
  if (typeof id !== 'string' || !/^[A-Za-z0-9_.:-]{1,64}$/.test(id)) {
    throw new HttpError(400, '"id" must be a string of 1-64 letters, digits, _ . : or -.');
  }
  let target: BackendTarget;
  if (url !== undefined) {
    if (host !== undefined || port !== undefined) throw new HttpError(400, 'Give either "url" or "host" and "port", not both.');
    if (typeof url !== 'string') throw new HttpError(400, '"url" must be a string like ws://127.0.0.1:9004.');
    try {
      target = parseBackendArg(`${id}=${url}`, 0);
    } catch (err) {
      throw new HttpError(400, err instanceof WsherdError ? err.message.replace('--backend', '"url"') : String(err));
    }
  } else {
    if (typeof host !== 'string' || host === '' || (host.includes(':') && !net.isIPv6(host))) throw new HttpError(400, '"host" must be a host name or IP address (or give "url").');
    if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) throw new HttpError(400, '"port" must be an integer from 1 to 65535.');
    target = { id, host, port };
  }
  return weight === undefined ? target : { ...target, weight: checkWeight(weight) };
}

function checkWeight(w: unknown): number {
  if (typeof w !== 'number' || !Number.isFinite(w) || w < 0 || w > MAX_WEIGHT) {
    throw new HttpError(400, `"weight" must be a number from 0 to ${MAX_WEIGHT} (0 drains the backend), got ${JSON.stringify(w) ?? String(w)}.`);
  }
  return w;
}

function readJson(req: http.IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    let text = '';
    let size = 0;
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      size += Buffer.byteLength(chunk);
      if (size > MAX_BODY) {
        // Drain the rest unread rather than destroy the socket, so the 413 can still be sent.
        req.removeAllListeners('data');
        req.resume();
        reject(new HttpError(413, `Body larger than ${MAX_BODY} bytes.`));
        return;
      }
      text += chunk;
    });
    req.on('error', reject);
    req.on('end', () => {
      try {
        resolve(text.trim() === '' ? undefined : JSON.parse(text));
      } catch (err) {
        reject(new HttpError(400, `Body is not valid JSON: ${(err as Error).message}`));
      }
    });
  });
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

export function send(res: http.ServerResponse, status: number, body: unknown): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}
