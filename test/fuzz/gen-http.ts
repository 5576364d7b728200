/**
 * Malformed HTTP/1.1 requests, made by mutating a good one: the request line, the headers, the framing
 * (Content-Length / Transfer-Encoding disagreements that smuggling relies on, broken chunked bodies), pipelines
 * of good and bad requests, and WebSocket upgrade requests that are almost right. Paths, cookies and sids come
 * from the caller, so the same generator serves a backend, a proxy with sticky routing and an admin API.
 */
import type { Rng } from './prng.js';
import { deliver, pickLeave, type WireInput } from './wire.js';

export interface HttpShape {
  /** Paths worth hitting (engine.io's, the admin routes…); the generator adds junk ones. */
  paths: readonly string[];
  /** Extra header lines that make a request interesting to the listener (forged cookies, a token…). */
  headers?: (rng: Rng) => Array<[string, string]>;
  /** JSON-ish bodies for POST/PUT (orchestrator and admin APIs). */
  body?: (rng: Rng) => string;
}

interface Request {
  method: string;
  target: string;
  version: string;
  headers: Array<[string, string]>;
  body: Buffer;
  eol: string;
}

const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'HEAD', 'OPTIONS', 'PATCH', 'CONNECT', 'TRACE', 'PRI', 'get', 'G\0ET', 'FOO', '', 'GET GET', 'X'.repeat(100)];
const VERSIONS = ['HTTP/1.1', 'HTTP/1.0', 'HTTP/2.0', 'HTTP/0.9', 'HTTP/1.', 'http/1.1', 'HTTP/1.1x', 'HTTP/11', '', 'HTTP/1.1 extra', 'HTTP/9.9'];
const TE_VALUES = ['chunked', 'Chunked', ' chunked', 'chunked ', 'xchunked', 'chunked, identity', 'identity, chunked', 'gzip, chunked', 'chunked\t', 'chunk', ''];

export function goodRequest(rng: Rng, shape: HttpShape, method = 'GET'): Request {
  const headers: Array<[string, string]> = [['Host', '127.0.0.1'], ...(shape.headers?.(rng) ?? [])];
  const body = method === 'POST' || method === 'PUT' ? Buffer.from(shape.body?.(rng) ?? rng.text(rng.size(64))) : Buffer.alloc(0);
  if (body.length > 0) headers.push(['Content-Type', rng.pick(['application/json', 'text/plain;charset=UTF-8', 'application/octet-stream'])], ['Content-Length', String(body.length)]);
  return { method, target: rng.pick(shape.paths), version: 'HTTP/1.1', headers, body, eol: '\r\n' };
}

function serialize(r: Request): Buffer {
  const line = r.version === '' ? `${r.method} ${r.target}` : `${r.method} ${r.target} ${r.version}`;
  const head = [line, ...r.headers.map(([k, v]) => (k === '' && v.startsWith(' ') ? v : `${k}: ${v}`))].join(r.eol);
  return Buffer.concat([Buffer.from(`${head}${r.eol}${r.eol}`, 'latin1'), r.body]);
}

function chunked(rng: Rng, data: Buffer): Buffer {
  const parts: string[] = [];
  let rest = data.toString('latin1');
  while (rest.length > 0) {
    const n = rng.int(1, Math.max(1, rest.length));
    parts.push(`${n.toString(16)}\r\n${rest.slice(0, n)}\r\n`);
    rest = rest.slice(n);
  }
  const last = rng.pick(['0\r\n\r\n', '0\r\nX-Trailer: 1\r\n\r\n', '0\r\n', '', '0;ext=1\r\n\r\n', '00000\r\n\r\n']);
  let text = parts.join('') + last;
  // Break the framing the way smuggling probes do.
  const breakage = rng.int(0, 6);
  if (breakage === 1) text = `${rng.pick(['ffffffffffffffffff', '-1', 'zz', '0x10', ' 5', '5 ', '1;' + 'e'.repeat(300)])}\r\n${text}`;
  else if (breakage === 2) text = text.replace(/\r\n/, '\n');
  else if (breakage === 3) text = text.replace(/^[0-9a-f]+/, (m) => (parseInt(m, 16) + rng.int(1, 50)).toString(16));
  else if (breakage === 4) text += `GET / HTTP/1.1\r\nHost: smuggled\r\n\r\n`;
  return Buffer.from(text, 'latin1');
}

type Mutation = (rng: Rng, r: Request, shape: HttpShape) => string;

const MUTATIONS: Mutation[] = [
  (rng, r) => ((r.method = rng.pick(METHODS)), `method ${JSON.stringify(r.method.slice(0, 20))}`),
  (rng, r) => ((r.version = rng.pick(VERSIONS)), `version ${JSON.stringify(r.version)}`),
  (rng, r) => {
    r.target = rng.pick(['', '*', 'http://127.0.0.1/', '//x', '/%', '/%zz', '/a b', '/\0', '/\x7f', '/?' + 'a'.repeat(rng.size(20000)), '/' + rng.text(rng.size(300)), `${r.target}#frag`, `${r.target}&${r.target}`]);
    return 'target';
  },
  (rng, r) => ((r.eol = rng.pick(['\n', '\r', '\r\r\n', '\n\r'])), 'line endings'),
  (rng, r) => {
    const bad: Array<[string, string]> = [['Bad Name', 'x'], ['', ' folded continuation'], ['X-Nul', 'a\0b'], ['X-Ctl', 'a\x01\x7fb'], ['X-Sp ', 'x'], [':', 'x'], ['X-Long', 'v'.repeat(rng.pick([8000, 17000, 70000]))], ['Host', 'second.host'], ['X-High', '\xff\xfe']];
    r.headers.splice(rng.int(0, r.headers.length), 0, rng.pick(bad));
    return 'bad header';
  },
  (rng, r) => {
    const n = rng.pick([100, 2001, 5000]);
    for (let i = 0; i < n; i++) r.headers.push([`X-${i}`, 'y']);
    return `${n} headers`;
  },
  (rng, r) => {
    r.headers = r.headers.filter(([k]) => k.toLowerCase() !== 'host');
    return 'no Host';
  },
  (rng, r) => {
    // Content-Length and Transfer-Encoding disagreeing: the shapes CL.TE / TE.CL / TE.TE smuggling probes use.
    const te = rng.pick(TE_VALUES);
    r.headers = r.headers.filter(([k]) => k.toLowerCase() !== 'content-length');
    if (rng.chance(0.6)) r.headers.push(['Content-Length', rng.pick([String(r.body.length), '0', '5', '-1', '1e3', '18446744073709551616', ' 3', '3, 4'])]);
    r.headers.push([rng.pick(['Transfer-Encoding', 'transfer-encoding', 'Transfer-Encoding ', 'Transfer_Encoding']), te]);
    if (rng.chance(0.3)) r.headers.push(['Transfer-Encoding', rng.pick(TE_VALUES)]);
    if (r.method === 'GET' && rng.chance(0.5)) r.method = 'POST';
    r.body = chunked(rng, r.body.length > 0 ? r.body : Buffer.from(rng.text(rng.size(40)), 'latin1'));
    return `smuggling TE=${JSON.stringify(te)}`;
  },
  (rng, r) => {
    r.headers = r.headers.filter(([k]) => k.toLowerCase() !== 'content-length');
    r.headers.push(['Content-Length', rng.pick(['10', '100000', '1', '0'])], ['Content-Length', rng.pick(['11', '10', ''])]);
    r.method = rng.pick(['POST', 'PUT', 'GET']);
    return 'two Content-Lengths';
  },
  (rng, r) => {
    // Declares more body than it sends: the server waits for bytes that never come.
    r.method = rng.pick(['POST', 'PUT']);
    r.headers = r.headers.filter(([k]) => k.toLowerCase() !== 'content-length');
    r.headers.push(['Content-Length', String(r.body.length + rng.int(1, 100000))]);
    return 'short body';
  },
  (rng, r) => ((r.headers.push(['Expect', rng.pick(['100-continue', '200-ok', ''])]), (r.method = 'POST')), 'Expect'),
  (rng, r) => {
    r.headers.push(['Connection', rng.pick(['Upgrade', 'keep-alive, Upgrade', 'close', 'Upgrade, Host', 'x-wsherd-backend'])], ['Upgrade', rng.pick(['websocket', 'WebSocket', 'h2c', 'foo', ''])]);
    if (rng.chance(0.5)) r.headers.push(['Sec-WebSocket-Key', rng.pick(['AAAAAAAAAAAAAAAAAAAAAA==', 'short', 'AAAAAAAAAAAAAAAAAAAAAA==!!', ''])]);
    if (rng.chance(0.5)) r.headers.push(['Sec-WebSocket-Version', rng.pick(['13', '8', '', '13, 8'])]);
    return 'near-upgrade';
  },
  (rng, r) => ((r.body = Buffer.concat([r.body, rng.bytes(rng.size(4096))])), 'trailing bytes'),
  (rng, r) => ((r.headers.push(['Cookie', rng.text(rng.size(600))]), 'junk cookie')),
];

/** One malformed request (or a pipeline with a malformed one in it), split and left in a random way. */
export function genHttp(rng: Rng, shape: HttpShape): WireInput {
  const r = goodRequest(rng, shape, rng.pick(['GET', 'GET', 'POST', 'PUT', 'DELETE']));
  const labels: string[] = [];
  const n = rng.int(1, 3);
  for (let i = 0; i < n; i++) labels.push(rng.pick(MUTATIONS)(rng, r, shape));
  let payload = serialize(r);
  if (rng.chance(0.15)) {
    // A pipeline: good requests around the bad one, on one connection.
    const before = serialize(goodRequest(rng, shape));
    const after = serialize(goodRequest(rng, shape));
    payload = Buffer.concat([before, payload, after]);
    labels.push('pipelined');
  }
  if (rng.chance(0.03)) {
    payload = rng.bytes(rng.size(2048));
    labels.splice(0, labels.length, 'random bytes');
  }
  return { label: `http: ${labels.join(', ')}`, chunks: deliver(rng, payload), leave: pickLeave(rng) };
}

/** A well-formed request head, for a generator that mutates only the part after it (WebSocket frames). */
export function upgradeHead(target: string, extra: Array<[string, string]> = []): Buffer {
  const lines = [`GET ${target} HTTP/1.1`, 'Host: 127.0.0.1', 'Connection: Upgrade', 'Upgrade: websocket', 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==', 'Sec-WebSocket-Version: 13', ...extra.map(([k, v]) => `${k}: ${v}`)];
  return Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');
}
