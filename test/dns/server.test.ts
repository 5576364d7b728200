import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import dns from 'node:dns';
import net from 'node:net';
import http from 'node:http';
import { forkComponentEntry, nextReply } from '../helpers/fork-component.js';
import { once } from 'node:events';
import { startDnsServer, type DnsServer, type DnsServerOptions } from '../../src/dns/server.js';
import { DnsLookupError, queryA } from '../../src/dns/resolver.js';
import { RCODE, buildQuery, parseHeader, TYPE_A } from '../../src/dns/packet.js';

const servers: DnsServer[] = [];
after(async () => {
  for (const s of servers) await s.close();
});

async function server(opts: Partial<DnsServerOptions> = {}): Promise<DnsServer> {
  const s = await startDnsServer({ zone: [{ name: 'app.lab.test', addresses: ['127.0.0.2', '127.0.0.3', '127.0.0.4'] }], ...opts });
  servers.push(s);
  return s;
}

function ask(s: DnsServer, name: string, type?: 'A' | 'AAAA') {
  return queryA(name, { server: { host: s.host, port: s.port }, timeoutMs: 1000, retries: 0, ...(type ? { type } : {}) });
}

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof DnsLookupError, String(err));
    return err.code;
  }
  return 'resolved';
}

/**
 * Send raw bytes, return the reply or undefined when none comes within `waitMs`. The default is long because it
 * costs nothing when a reply comes (a slow machine may take a while); expecting silence, pass a short wait.
 */
async function raw(s: DnsServer, bytes: Buffer, waitMs = 3000): Promise<Buffer | undefined> {
  const sock = dgram.createSocket('udp4');
  try {
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
    const reply = new Promise<Buffer | undefined>((resolve) => {
      const t = setTimeout(() => resolve(undefined), waitMs);
      sock.once('message', (msg) => {
        clearTimeout(t);
        resolve(msg);
      });
    });
    sock.send(bytes, s.port, s.host);
    return await reply;
  } finally {
    sock.close();
  }
}

async function until(cond: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('dns server', () => {
  test('answers every address, rotated by one per query (cyclic), with the TTL', async () => {
    const s = await server({ ttlSeconds: 17 });
    const firsts: string[] = [];
    for (let i = 0; i < 4; i++) {
      const a = await ask(s, 'APP.lab.test');
      assert.equal(a.ttlSeconds, 17);
      assert.deepEqual([...a.addresses].sort(), ['127.0.0.2', '127.0.0.3', '127.0.0.4']);
      firsts.push(a.addresses[0] as string);
    }
    assert.deepEqual(firsts, ['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.2']);
    const st = s.stats();
    assert.equal(st.queries, 4);
    assert.equal(st.answered, 4);
    assert.equal(st.names['app.lab.test']?.queries, 4);
    assert.equal(st.names['app.lab.test']?.addresses['127.0.0.2']?.first, 2);
    assert.equal(st.names['app.lab.test']?.addresses['127.0.0.3']?.health, 'unchecked');
  });

  test("interop: Node's c-ares resolver reads the answers, TTL, NXDOMAIN and REFUSED", async () => {
    const s = await server({ ttlSeconds: 30 });
    const r = new dns.promises.Resolver({ timeout: 1000, tries: 1 });
    r.setServers([`127.0.0.1:${s.port}`]);
    const recs = await r.resolve4('app.lab.test', { ttl: true });
    assert.deepEqual(recs.map((x) => x.address).sort(), ['127.0.0.2', '127.0.0.3', '127.0.0.4']);
    assert.ok(recs.every((x) => x.ttl === 30));
    await assert.rejects(r.resolve4('nope.lab.test'), { code: 'ENOTFOUND' });
    await assert.rejects(r.resolve4('example.com'), { code: 'EREFUSED' });
    await assert.rejects(r.resolve6('app.lab.test'), { code: 'ENODATA' });
  });

  test('NXDOMAIN inside the zone, REFUSED outside, NOERROR without data for other types and the apex', async () => {
    const s = await server();
    assert.equal(await code(ask(s, 'nope.lab.test')), 'dns_nxdomain');
    assert.equal(await code(ask(s, 'app.example.com')), 'dns_refused');
    assert.equal(await code(ask(s, 'app.lab.test', 'AAAA')), 'dns_no_answer');
    assert.equal(await code(ask(s, 'lab.test')), 'dns_no_answer');
    const st = s.stats();
    assert.deepEqual([st.nxdomain, st.refused, st.answered], [1, 1, 2]);
  });

  test('AAAA for IPv6 addresses, A for IPv4 ones, in one name', async () => {
    const s = await server({ zone: [{ name: 'dual.lab.test', addresses: ['127.0.0.2', '::1'] }] });
    assert.deepEqual((await ask(s, 'dual.lab.test', 'AAAA')).addresses, ['::1']);
    assert.deepEqual((await ask(s, 'dual.lab.test')).addresses, ['127.0.0.2']);
  });

  test('faults: remove, add and set addresses at runtime', async () => {
    const s = await server();
    assert.deepEqual(s.removeAddress('app.lab.test', '127.0.0.3'), ['127.0.0.2', '127.0.0.4']);
    assert.deepEqual([...(await ask(s, 'app.lab.test')).addresses].sort(), ['127.0.0.2', '127.0.0.4']);
    assert.equal(s.stats().names['app.lab.test']?.addresses['127.0.0.3']?.inZone, false);
    assert.deepEqual(s.addAddress('app.lab.test', '127.0.0.5'), ['127.0.0.2', '127.0.0.4', '127.0.0.5']);
    assert.deepEqual(s.setAddresses('App.Lab.Test.', ['127.0.0.9']), ['127.0.0.9']);
    assert.deepEqual((await ask(s, 'app.lab.test')).addresses, ['127.0.0.9']);
    assert.throws(() => s.addAddress('other.lab.test', '127.0.0.2'), { code: 'WSH_ERR_INVALID_INPUT' });
    assert.throws(() => s.addAddress('app.lab.test', 'not-an-ip'), { code: 'WSH_ERR_INVALID_INPUT' });
  });

  test('malformed input: short packets dropped, bad questions get FORMERR, the server keeps answering', async () => {
    const s = await server();
    assert.equal(await raw(s, Buffer.from([1, 2, 3, 4, 5]), 300), undefined);
    const header = (qd: number, rest: number[]): Buffer => {
      const h = Buffer.alloc(12);
      h.writeUInt16BE(0xbeef, 0);
      h.writeUInt16BE(qd, 4);
      return Buffer.concat([h, Buffer.from(rest)]);
    };
    for (const bytes of [header(1, []), header(1, [0xc0, 12, 0, 1, 0, 1]), header(1, [1, 97, 0xc0, 12, 0, 1, 0, 1]), header(1, [3, 97])]) {
      const reply = await raw(s, bytes);
      assert.ok(reply, 'a FORMERR reply');
      const h = parseHeader(reply);
      assert.deepEqual([h?.id, h?.qr, h?.rcode], [0xbeef, true, RCODE.FORMERR]);
    }
    // Two questions: FORMERR with the questions echoed (RFC 9619).
    const two = buildQuery(5, 'app.lab.test', TYPE_A);
    two.writeUInt16BE(2, 4);
    const twoReply = await raw(s, Buffer.concat([two, two.subarray(12)]));
    assert.equal(parseHeader(twoReply as Buffer)?.rcode, RCODE.FORMERR);
    // A non-zero opcode (here 2, STATUS): NOTIMP.
    const status = buildQuery(6, 'app.lab.test', TYPE_A);
    status.writeUInt16BE(status.readUInt16BE(2) | (2 << 11), 2);
    assert.equal(parseHeader((await raw(s, status)) as Buffer)?.rcode, RCODE.NOTIMP);
    // A response sent to the server is not answered.
    const resp = buildQuery(7, 'app.lab.test', TYPE_A);
    resp.writeUInt16BE(0x8000, 2);
    assert.equal(await raw(s, resp, 300), undefined);
    assert.equal((await ask(s, 'app.lab.test')).addresses.length, 3);
    assert.equal(s.stats().formerr, 5);
  });

  test('ignores answers that do not match the query id (the resolver times out instead)', async () => {
    const liar = dgram.createSocket('udp4');
    await new Promise<void>((r) => liar.bind(0, '127.0.0.1', r));
    liar.on('message', (msg, rinfo) => {
      const res = Buffer.from(msg);
      res.writeUInt16BE((msg.readUInt16BE(0) + 1) & 0xffff, 0);
      res.writeUInt16BE(0x8180, 2);
      liar.send(res, rinfo.port, rinfo.address);
    });
    try {
      const p = queryA('app.lab.test', { server: { host: '127.0.0.1', port: liar.address().port }, timeoutMs: 150, retries: 1 });
      assert.equal(await code(p), 'dns_timeout');
    } finally {
      liar.close();
    }
  });

  test('health: a closed port leaves the answer after `fall` checks, returns after `rise`; all down answers all', async () => {
    const listeners = new Map<string, net.Server>();
    const listen = async (host: string, port: number): Promise<number> => {
      const srv = net.createServer((sock) => sock.destroy());
      srv.listen(port, host);
      await once(srv, 'listening');
      listeners.set(host, srv);
      return (srv.address() as net.AddressInfo).port;
    };
    const stop = async (host: string): Promise<void> => {
      const srv = listeners.get(host);
      listeners.delete(host);
      await new Promise<void>((r) => srv?.close(() => r()));
    };
    const port = await listen('127.0.0.2', 0);
    await listen('127.0.0.3', port);
    try {
      const s = await server({
        zone: [{ name: 'app.lab.test', addresses: ['127.0.0.2', '127.0.0.3'], port }],
        health: { intervalMs: 40, timeoutMs: 200, rise: 2, fall: 2 },
      });
      const health = (a: string) => s.stats().names['app.lab.test']?.addresses[a]?.health;
      await until(() => health('127.0.0.2') === 'up' && health('127.0.0.3') === 'up', 'both up');
      await stop('127.0.0.3');
      await until(() => health('127.0.0.3') === 'down', '.3 down');
      assert.deepEqual(s.inRotation('app.lab.test'), ['127.0.0.2']);
      for (let i = 0; i < 3; i++) assert.deepEqual((await ask(s, 'app.lab.test')).addresses, ['127.0.0.2']);
      await stop('127.0.0.2');
      await until(() => health('127.0.0.2') === 'down', '.2 down');
      // Fail open, as Route53 does: every address when none is healthy.
      assert.deepEqual([...(await ask(s, 'app.lab.test')).addresses].sort(), ['127.0.0.2', '127.0.0.3']);
      await listen('127.0.0.3', port);
      await until(() => health('127.0.0.3') === 'up', '.3 back up');
      assert.deepEqual((await ask(s, 'app.lab.test')).addresses, ['127.0.0.3']);
    } finally {
      for (const host of [...listeners.keys()]) await stop(host);
    }
  });

  test('rejects a bad zone before listening', async () => {
    await assert.rejects(startDnsServer({ zone: [{ name: 'a.test', addresses: ['x'] }] }), { code: 'WSH_ERR_INVALID_INPUT' });
    await assert.rejects(startDnsServer({ zone: [{ name: 'a.test', addresses: [] }], health: { intervalMs: 1, timeoutMs: 1, rise: 1, fall: 1 } }), /no port/);
    await assert.rejects(startDnsServer({ zone: [{ name: `${'a'.repeat(70)}.test`, addresses: [] }] }), { code: 'WSH_ERR_INVALID_INPUT' });
  });
});

describe('dns lab component (src/dns/main.ts)', () => {
  test('reports ready with its ports, serves stats and record changes over HTTP', async () => {
    const config = { id: 'dns1', host: '127.0.0.1', port: 0, zone: [{ name: 'app.lab.test', addresses: ['127.0.0.2', '127.0.0.3'] }], ttlSeconds: 5 };
    const child = forkComponentEntry(new URL('../../src/dns/main.js', import.meta.url), config);
    try {
      const [msg] = (await nextReply(child)) as [{ type: string; port: number; adminPort: number }];
      assert.equal(msg.type, 'ready');
      const a = await queryA('app.lab.test', { server: { host: '127.0.0.1', port: msg.port }, timeoutMs: 1000, retries: 1 });
      assert.equal(a.ttlSeconds, 5);
      const post = (body: string) => request(msg.adminPort, 'POST', '/records', body);
      assert.deepEqual(await post(JSON.stringify({ name: 'app.lab.test', remove: ['127.0.0.2'], add: ['127.0.0.9'] })), {
        status: 200,
        body: { name: 'app.lab.test', addresses: ['127.0.0.3', '127.0.0.9'] },
      });
      assert.equal((await post('{')).status, 400);
      assert.equal((await post(JSON.stringify({ name: 'app.lab.test', add: [1] }))).status, 400);
      const unknown = await post(JSON.stringify({ name: 'zzz.lab.test', add: ['127.0.0.2'] }));
      assert.equal(unknown.status, 400);
      assert.match((unknown.body as { error: string }).error, /not in the zone/);
      const stats = (await request(msg.adminPort, 'GET', '/')).body as { id: string; queries: number; names: Record<string, unknown> };
      assert.equal(stats.id, 'dns1');
      assert.equal(stats.queries, 1);
      assert.ok(stats.names['app.lab.test']);
    } finally {
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    }
  });
});

function request(port: number, method: string, path: string, body?: string): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as unknown }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

