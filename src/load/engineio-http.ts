/**
 * The engineio probe's HTTP requests: one short request/response with the body read in full, a timeout on every
 * request, and one callback (never a promise: a session makes thousands and the callback is cheaper).
 *
 * keepAlive is off on purpose. A browser behind a load balancer often opens a new connection per request, and
 * with keep-alive an L4 balancer would see one TCP connection for the whole session and route every request
 * with it, hiding exactly the misroutes the probe is for. With a fresh connection per request each poll, post and
 * handshake is placed independently, as an L4 (or per-request L7) balancer places them in production.
 */
import http from 'node:http';
import https from 'node:https';
import type { OutgoingHttpHeaders } from 'node:http';
import { classifyError } from './classify.js';

const httpAgent = new http.Agent({ keepAlive: false });
const httpsAgent = new https.Agent({ keepAlive: false });
/** An Engine.IO payload is at most maxPayload (1 MB by default); anything longer is not a poll answer. */
const MAX_BODY = 1_100_000;

export interface EioResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface EioRequestOptions {
  url: URL;
  method: 'GET' | 'POST';
  body?: string;
  cookie?: string;
  /** The scenario's headers (behavior.headers without Cookie, which comes merged in `cookie`). */
  headers?: Readonly<Record<string, string>>;
  localAddress?: string;
  /** Socket idle timeout, ms: no byte for this long ends the request with the error `timeout`. */
  timeoutMs: number;
  insecure: boolean;
  ca?: string;
}

export type EioCallback = (err: unknown, res: EioResponse | undefined) => void;

/** A request error when the timeout fired (classified as `timeout`). */
export const TIMEOUT_ERROR = Object.assign(new Error('request timed out'), { code: 'ETIMEDOUT_REQUEST' });

/** Start one request; `cb` is called exactly once (unless the returned request is destroyed by the caller first). */
export function eioRequest(o: EioRequestOptions, cb: EioCallback): http.ClientRequest {
  const secure = o.url.protocol === 'https:';
  const headers: OutgoingHttpHeaders = { ...o.headers };
  if (o.cookie !== undefined) headers.cookie = o.cookie;
  if (o.body !== undefined) {
    headers['content-type'] = 'text/plain;charset=UTF-8';
    headers['content-length'] = Buffer.byteLength(o.body);
  }
  const options: https.RequestOptions = {
    method: o.method,
    headers,
    agent: secure ? httpsAgent : httpAgent,
    timeout: o.timeoutMs,
    ...(o.localAddress ? { localAddress: o.localAddress } : {}),
    ...(secure ? { rejectUnauthorized: !o.insecure, ...(o.ca === undefined ? {} : { ca: o.ca }) } : {}),
  };
  let done = false;
  const finish = (err: unknown, res: EioResponse | undefined): void => {
    if (done) return;
    done = true;
    cb(err, res);
  };
  const req = (secure ? https : http).request(o.url, options, (res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    res.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        req.destroy();
        finish(Object.assign(new Error('answer too long'), { code: 'EIO_BODY_TOO_LONG' }), undefined);
        return;
      }
      chunks.push(c);
    });
    res.on('end', () => finish(undefined, { status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    res.on('error', (err) => finish(err, undefined));
    res.on('aborted', () => finish(Object.assign(new Error('aborted'), { code: 'ECONNRESET' }), undefined));
  });
  req.on('timeout', () => {
    finish(TIMEOUT_ERROR, undefined);
    req.destroy();
  });
  req.on('error', (err) => finish(err, undefined));
  req.end(o.body);
  return req;
}

/** A request failure as an error code: `timeout`, `tls_self_signed` (certificate refused), or classify.ts codes. */
export function requestErrorCode(err: unknown): string {
  if (err === TIMEOUT_ERROR) return 'timeout';
  const code = classifyError(err);
  return code === 'tls_DEPTH_ZERO_SELF_SIGNED_CERT' || code === 'tls_SELF_SIGNED_CERT_IN_CHAIN' ? 'tls_self_signed' : code;
}
