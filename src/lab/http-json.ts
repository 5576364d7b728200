/** GET a small JSON document from a lab component's stats endpoint (no keep-alive: nothing lingers). */
import http from 'node:http';
import { WsherdError } from '../errors.js';

export function getJson<T>(url: string, timeoutMs = 3000): Promise<T> {
  return new Promise((resolve, reject) => {
    const fail = (why: string): void =>
      reject(new WsherdError('WSH_ERR_LAB_DIED', `Cannot read lab stats from ${url}: ${why}`, { hint: 'The component may have died; see the lab output.' }));
    // Bound to 127.0.0.1 on loopback URLs: a connect() the kernel must find a port for fails with EADDRNOTAVAIL once
    // a proxy's bind()-before-connect upstream sockets (lab.proxy.sources) hold every port of the range, which is
    // exactly when a port-depletion run needs the lab's counters; a bound socket only needs its own 4-tuple free.
    const loopback = /^http:\/\/127\./.test(url);
    const req = http.get(url, { agent: false, timeout: timeoutMs, ...(loopback ? { localAddress: '127.0.0.1' } : {}) }, (res) => {
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
