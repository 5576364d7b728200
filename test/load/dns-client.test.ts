import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { Harness } from './helpers/harness.js';
import { BACKEND_HEADER } from '../../src/backend/identity.js';
import { startDnsServer, type DnsServer } from '../../src/dns/server.js';
import { queryA } from '../../src/dns/resolver.js';
import { DnsCache, type DnsCacheMode } from '../../src/dns/cache.js';
import { DnsClient, type DnsEngineOptions } from '../../src/load/dns-client.js';
import type { LoadClient } from '../../src/load/client.js';

const GAUGES = { open: 0, backendsOpen: {}, lagMaxMs: 0, fds: 0 };

interface Backend {
  close(): Promise<void>;
}

/** A ws server that names itself in the 101, on host:port. */
async function backend(id: string, host: string, port: number): Promise<{ port: number; b: Backend }> {
  const server = http.createServer((_req, res) => res.writeHead(426).end());
  const wss = new WebSocketServer({ noServer: true });
  wss.on('headers', (headers) => headers.push(`${BACKEND_HEADER}: ${id}`));
  server.on('upgrade', (req, socket, head) => wss.handleUpgrade(req, socket, head, (ws) => ws.on('error', () => undefined)));
  await new Promise<void>((r) => server.listen(port, host, r));
  return {
    port: (server.address() as AddressInfo).port,
    b: {
      close: async () => {
        for (const ws of wss.clients) ws.terminate();
        server.closeAllConnections();
        await new Promise<void>((r) => server.close(() => r()));
      },
    },
  };
}

let port = 0;
const backends: Backend[] = [];
let dnsServer: DnsServer;

before(async () => {
  const first = await backend('b2', '127.0.0.2', 0);
  port = first.port;
  backends.push(first.b, (await backend('b3', '127.0.0.3', port)).b);
  dnsServer = await startDnsServer({
    zone: [
      { name: 'app.lab.test', addresses: ['127.0.0.2', '127.0.0.3'], port },
      // Nothing listens on 127.0.0.4: a dead backend still in DNS.
      { name: 'dead.lab.test', addresses: ['127.0.0.4', '127.0.0.2'], port },
    ],
    ttlSeconds: 60,
  });
});
after(async () => {
  await dnsServer.close();
  for (const b of backends) await b.close();
});

function dnsCache(mode: DnsCacheMode, server = { host: dnsServer.host, port: dnsServer.port }, timeoutMs = 1000): DnsCache {
  return new DnsCache({ mode, query: (name) => queryA(name, { server, timeoutMs, retries: 1 }) });
}

async function run(h: Harness, cache: DnsCache, url: string, opts: Partial<DnsEngineOptions> = {}): Promise<DnsClient> {
  const c = new DnsClient(h.ctx, 0, cache, { pick: 'first', failover: false, ...opts });
  c.start(url);
  await untilState(c, 'open').catch(() => undefined);
  return c;
}

async function untilState(c: LoadClient, state: LoadClient['state'], timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (c.state !== state) {
    if (Date.now() > until) throw new Error(`client stuck in ${c.state}, wanted ${state}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function ended(h: Harness, c: LoadClient, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!h.ended.has(c)) {
    if (Date.now() > until) throw new Error(`client did not end (state ${c.state})`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Count how many times the harness's onEnd saw `c`. */
function countEnds(h: Harness): Map<LoadClient, number> {
  const counts = new Map<LoadClient, number>();
  const inner = h.ctx.onEnd;
  (h.ctx as { onEnd: (c: LoadClient) => void }).onEnd = (c) => {
    counts.set(c, (counts.get(c) ?? 0) + 1);
    inner(c);
  };
  return counts;
}

describe('DnsClient', () => {
  test('resolves the name, connects to the first address; without a cache each client follows the rotation', async () => {
    const h = new Harness();
    const ends = countEnds(h);
    try {
      const cache = dnsCache('none');
      const a = await run(h, cache, `ws://app.lab.test:${port}/`);
      const b = await run(h, cache, `ws://app.lab.test:${port}/`);
      assert.equal(a.state, 'open');
      assert.equal(b.state, 'open');
      assert.deepEqual([a.backend, b.backend].sort(), ['b2', 'b3']);
      assert.equal(a.address === '127.0.0.2' ? a.backend : b.backend, 'b2');
      a.close();
      b.close();
      await ended(h, a);
      await ended(h, b);
      assert.equal(ends.get(a), 1);
      assert.equal(ends.get(b), 1);
      const bucket = h.recorder.flush(0, GAUGES);
      assert.equal(bucket.counters.attempted, 2);
      assert.equal(bucket.counters.established, 2);
      assert.equal(bucket.counters.closedClean, 2);
      assert.ok(bucket.hist.lookup, 'lookup time recorded');
      assert.deepEqual(bucket.errors, {});
    } finally {
      h.stop();
    }
  });

  test('a shared cache pins a group to one backend, and records lookup time only for real queries', async () => {
    const h = new Harness();
    try {
      const cache = dnsCache('ttl');
      const clients = [];
      for (let i = 0; i < 3; i++) clients.push(await run(h, cache, `ws://app.lab.test:${port}/`));
      assert.equal(new Set(clients.map((c) => c.backend)).size, 1);
      assert.deepEqual(cache.counts(), { hits: 2, misses: 1, queries: 1, failures: 0 });
      for (const c of clients) c.close();
      for (const c of clients) await ended(h, c);
    } finally {
      h.stop();
    }
  });

  test('an IP in the URL skips the lookup', async () => {
    const h = new Harness();
    try {
      const cache = dnsCache('none');
      const c = await run(h, cache, `ws://127.0.0.3:${port}/`);
      assert.equal(c.backend, 'b3');
      assert.equal(cache.queries, 0);
      c.terminate();
      await ended(h, c);
      assert.equal(h.recorder.flush(0, GAUGES).hist.lookup, undefined);
    } finally {
      h.stop();
    }
  });

  test('NXDOMAIN: one attempted, one failed client under dns_nxdomain, ended once', async () => {
    const h = new Harness();
    const ends = countEnds(h);
    try {
      const c = new DnsClient(h.ctx, 0, dnsCache('ttl'), { pick: 'first', failover: false });
      c.start(`ws://nope.lab.test:${port}/`);
      await ended(h, c);
      assert.equal(c.state, 'closed');
      assert.equal(ends.get(c), 1);
      const bucket = h.recorder.flush(0, GAUGES);
      assert.deepEqual([bucket.counters.attempted, bucket.counters.failed, bucket.counters.established], [1, 1, 0]);
      assert.deepEqual(bucket.errors, { dns_nxdomain: 1 });
    } finally {
      h.stop();
    }
  });

  test('a server that never answers: dns_timeout', async () => {
    const silent = dgram.createSocket('udp4');
    await new Promise<void>((r) => silent.bind(0, '127.0.0.1', r));
    const h = new Harness();
    try {
      const cache = dnsCache('ttl', { host: '127.0.0.1', port: silent.address().port }, 100);
      const c = new DnsClient(h.ctx, 0, cache, { pick: 'first', failover: false });
      c.start(`ws://app.lab.test:${port}/`);
      assert.equal(c.state, 'connecting');
      await ended(h, c);
      const bucket = h.recorder.flush(0, GAUGES);
      assert.deepEqual(bucket.errors, { dns_timeout: 1 });
      assert.equal(bucket.counters.failed, 1);
    } finally {
      h.stop();
      silent.close();
    }
  });

  test('close during the lookup ends the client once, counting no failure', async () => {
    const h = new Harness();
    const ends = countEnds(h);
    try {
      const never = new DnsCache({ mode: 'ttl', query: () => new Promise(() => undefined) });
      const c = new DnsClient(h.ctx, 0, never, { pick: 'first', failover: false });
      c.start(`ws://app.lab.test:${port}/`);
      c.close();
      c.terminate();
      assert.equal(c.state, 'closed');
      assert.equal(ends.get(c), 1);
      const bucket = h.recorder.flush(0, GAUGES);
      assert.equal(bucket.counters.failed, 0);
      assert.deepEqual(bucket.errors, {});
    } finally {
      h.stop();
    }
  });

  test('a dead first address fails the client without failover', async () => {
    const h = new Harness();
    try {
      // The shared server's first answer for dead.lab.test (no test before asks for it) starts with 127.0.0.4.
      const c = new DnsClient(h.ctx, 0, dnsCache('none'), { pick: 'first', failover: false });
      c.start(`ws://dead.lab.test:${port}/`);
      await ended(h, c);
      const bucket = h.recorder.flush(0, GAUGES);
      assert.deepEqual([bucket.counters.attempted, bucket.counters.failed], [1, 1]);
      assert.deepEqual(bucket.errors, { ECONNREFUSED: 1 });
    } finally {
      h.stop();
    }
  });

  test('failover: the next address is tried, and the failed try is not an error', async () => {
    const h = new Harness();
    const ends = countEnds(h);
    try {
      // A fresh server whose rotation starts at the dead address.
      const s = await startDnsServer({ zone: [{ name: 'dead.lab.test', addresses: ['127.0.0.4', '127.0.0.2'] }] });
      try {
        const c = new DnsClient(h.ctx, 0, dnsCache('none', { host: s.host, port: s.port }), { pick: 'first', failover: true });
        c.start(`ws://dead.lab.test:${port}/`);
        await untilState(c, 'open');
        assert.equal(c.backend, 'b2');
        assert.equal(c.failovers, 1);
        assert.equal(c.address, '127.0.0.2');
        c.close();
        await ended(h, c);
        assert.equal(ends.get(c), 1);
        const bucket = h.recorder.flush(0, GAUGES);
        assert.deepEqual([bucket.counters.attempted, bucket.counters.failed, bucket.counters.established, bucket.counters.closedClean], [1, 0, 1, 1]);
        assert.deepEqual(bucket.errors, {});
      } finally {
        await s.close();
      }
    } finally {
      h.stop();
    }
  });

  test('failover with every address dead: one failure, the last error', async () => {
    const h = new Harness();
    try {
      const s = await startDnsServer({ zone: [{ name: 'dead.lab.test', addresses: ['127.0.0.4', '127.0.0.5'] }] });
      try {
        const c = new DnsClient(h.ctx, 0, dnsCache('none', { host: s.host, port: s.port }), { pick: 'random', failover: true });
        c.start(`ws://dead.lab.test:${port}/`);
        await ended(h, c);
        assert.equal(c.failovers, 1);
        const bucket = h.recorder.flush(0, GAUGES);
        assert.deepEqual([bucket.counters.attempted, bucket.counters.failed], [1, 1]);
        assert.deepEqual(bucket.errors, { ECONNREFUSED: 1 });
      } finally {
        await s.close();
      }
    } finally {
      h.stop();
    }
  });
});
