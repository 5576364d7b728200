/** GET a small JSON document from a lab component's stats endpoint (no keep-alive: nothing lingers). */
import http from 'node:http';
import { WsherdError } from '../errors.js';

export function getJson<T>(url: string, timeoutMs = 3000): Promise<T> {
  return getJsonWith<T>(url, {}, timeoutMs);
}

/** getJson with request headers (an admin API's bearer token). */
export function getJsonWith<T>(url: string, headers: Record<string, string>, timeoutMs = 3000): Promise<T> {
  return new Promise((resolve, reject) => {
    const fail = (why: string): void =>
      reject(new WsherdError('WSH_ERR_LAB_DIED', `Cannot read lab stats from ${url}: ${why}`, { hint: 'The component may have died; see the lab output.' }));
    const req = http.get(url, { agent: false, timeout: timeoutMs, headers, ...boundIfLoopback(url) }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('error', (err) => fail(err.message));
      res.on('end', () => {
        if (res.statusCode !== 200) return fail(`HTTP ${res.statusCode ?? '?'}`);
        try {
          resolve(JSON.parse(body) as T);
        } catch {
          fail('the answer is not JSON');
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (err: NodeJS.ErrnoException) => fail(err.code ?? err.message));
  });
}

/** POST (or another method) a JSON body to a lab component's admin endpoint; resolves with the parsed answer. */
export function sendJson<T>(method: string, url: string, body: unknown, headers: Record<string, string> = {}, timeoutMs = 3000): Promise<T> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? '' : JSON.stringify(body);
    const fail = (why: string): void => reject(new WsherdError('WSH_ERR_LAB_DIED', `${method} ${url} failed: ${why}`, { hint: 'The component may have died; see the lab output.' }));
    const req = http.request(url, {
      method,
      agent: false,
      timeout: timeoutMs,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data), ...headers },
      ...boundIfLoopback(url),
    }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('error', (err) => fail(err.message));
      res.on('end', () => {
        const status = res.statusCode ?? 0;
        if (status < 200 || status >= 300) return fail(`HTTP ${status}${text ? `: ${text.slice(0, 200)}` : ''}`);
        try {
          resolve((text === '' ? undefined : JSON.parse(text)) as T);
        } catch {
          fail('the answer is not JSON');
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (err: NodeJS.ErrnoException) => fail(err.code ?? err.message));
    req.end(data);
  });
}

/**
 * Requests to loopback URLs are bound to 127.0.0.1: a connect() the kernel must find a port for fails with
 * EADDRNOTAVAIL once a proxy's bind()-before-connect upstream sockets (lab.proxy.sources) hold every port of the
 * range, which is exactly when a port-depletion run needs the lab's counters; a bound socket only needs its own
 * 4-tuple free.
 */
function boundIfLoopback(url: string): { localAddress?: string } {
  return /^http:\/\/127\./.test(url) ? { localAddress: '127.0.0.1' } : {};
}
