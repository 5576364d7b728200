/**
 * Fuzz: the lab's DNS server (UDP) with malformed queries, and its records API (HTTP) with malformed bodies.
 * After each batch a real query for the zone's name must still resolve.
 */
import dgram from 'node:dgram';
import { after, before, describe, test } from 'node:test';
import { queryA } from '../../src/dns/resolver.js';
import type { Component } from './harness.js';
import { figuresLine, fuzz, sendWire, startComponent } from './harness.js';
import { genDns } from './gen-dns.js';
import { genHttp } from './gen-http.js';
import { genJson } from './gen-json.js';
import { alive, ENTRY, httpRequest } from './listeners.js';
import { fuzzCount, fuzzSeed } from './prng.js';
import type { WireInput } from './wire.js';

const COUNT = fuzzCount(300);
const NAME = 'app.lab.test';

describe('fuzz: DNS server', () => {
  let dns: Component;
  let sock: dgram.Socket;
  before(async () => {
    dns = await startComponent(ENTRY.dns, { id: 'dns1', host: '127.0.0.1', port: 0, zone: [{ name: NAME, addresses: ['127.0.0.2', '127.0.0.3'] }], ttlSeconds: 1 });
    sock = dgram.createSocket('udp4');
    sock.on('message', () => {});
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
  });
  after(async () => {
    sock?.close();
    await dns?.stop();
  });

  const good = async (): Promise<void> => {
    const r = await queryA(NAME, { server: { host: '127.0.0.1', port: dns.port }, timeoutMs: 2000, retries: 2 });
    if (r.addresses.length === 0) throw new Error(`no address for ${NAME}`);
  };

  test('UDP: malformed queries', async (t) => {
    const f = await fuzz(
      {
        name: 'dns udp',
        pid: () => dns.child.pid as number,
        alive: () => alive(dns),
        generate: (rng) => genDns(rng, NAME).bytes,
        // A datagram needs no connection: pace the sends a little so the socket buffer does not drop them.
        send: (input) => new Promise<void>((resolve) => sock.send(input as Buffer, dns.port, '127.0.0.1', () => setTimeout(resolve, 1))),
        good,
        concurrency: 4,
        batch: 1000,
      },
      COUNT,
      fuzzSeed(),
    );
    t.diagnostic(figuresLine(f));
  });

  test('records API: malformed requests and bodies', async (t) => {
    const paths = ['/', '/records', '/records?x', '/nope'];
    const f = await fuzz(
      {
        name: 'dns records api',
        pid: () => dns.child.pid as number,
        alive: () => alive(dns),
        generate: (rng) => genHttp(rng, { paths, body: (r) => genJson(r, ['name', 'remove', 'add', 'set']) }),
        send: (input) => sendWire(dns.adminPort, input as WireInput),
        good: async () => {
          await good();
          const r = await httpRequest(dns.adminPort, 'GET', '/');
          if (r.status !== 200) throw new Error(`GET /: ${r.status}`);
        },
      },
      COUNT,
      fuzzSeed(),
    );
    t.diagnostic(figuresLine(f));
  });
});
