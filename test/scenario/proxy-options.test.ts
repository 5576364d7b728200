import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseScenario } from '../../src/scenario/load.js';
import { loadScenario } from '../../src/scenario/index.js';
import { STRATEGY_OPTION_KEYS, snakeCase } from '../../src/scenario/proxy-options.js';
import { STRATEGIES } from '../../src/proxy/strategies/metadata.js';
import { rejectText } from './helpers.js';

const lines = (text: string) => rejectText(text, 'p.yaml').problems.map((p) => `${p.line}:${p.col} ${p.message}${p.hint ? ` (${p.hint})` : ''}`);
/** A lab scenario whose `lab.proxy` body (indented 4) starts on line 6. */
const proxy = (body: string) => `name: lab\nclients: 10\nlab:\n  backends: {count: 2}\n  proxy:\n${body}`;
const resolved = (body: string, file = 'p.yaml') => parseScenario(proxy(body), file).lab?.proxy;

describe('lab.proxy.options', () => {
  test('every StrategyOptions key has a snake_case spelling', () => {
    const all = new Set(Object.values(STRATEGIES).flatMap((s) => s.options));
    assert.deepEqual(new Set(Object.values(STRATEGY_OPTION_KEYS)), all);
    for (const [snake, camel] of Object.entries(STRATEGY_OPTION_KEYS)) assert.equal(snakeCase(camel), snake);
  });

  test('accepted keys resolve to camelCase StrategyOptions', () => {
    assert.deepEqual(resolved('    strategy: consistent-hash\n    options: {hash_key: source-ip-port, points_per_backend: 200, balance_factor: 125}\n')?.options, {
      hashKey: 'source-ip-port',
      pointsPerBackend: 200,
      balanceFactor: 125,
    });
    assert.deepEqual(resolved('    strategy: maglev\n    options: {table_size: 65537}\n')?.options, { tableSize: 65537 });
    assert.deepEqual(resolved('    strategy: random\n    options: {seed: 42}\n')?.options, { seed: 42 });
    assert.deepEqual(resolved('    mode: l7\n    strategy: cookie\n    options: {fallback: least-connections, cookie_name: SRV, cookie_secret: 0123456789abcdef}\n')?.options, {
      fallback: 'least-connections',
      cookieName: 'SRV',
      cookieSecret: '0123456789abcdef',
    });
    assert.deepEqual(resolved('    mode: l7\n    strategy: stick-table\n    options: {expire_seconds: 60}\n')?.options, { expireSeconds: 60 });
    assert.deepEqual(resolved('    strategy: maglev\n    options:\n'), { strategy: 'maglev', mode: 'l4', host: '127.0.0.1', options: {} });
  });

  test('an unknown key gets "did you mean"; a key the strategy does not take lists what it takes', () => {
    assert.deepEqual(lines(proxy('    strategy: maglev\n    options: {tablesize: 101}\n')), ['7:15 unknown key "tablesize" in lab.proxy.options (did you mean "table_size"?)']);
    assert.deepEqual(lines(proxy('    strategy: maglev\n    options: {points_per_backend: 5}\n')), [
      '7:15 lab.proxy.options.points_per_backend does not apply to strategy maglev (maglev takes: hash_key, table_size; points_per_backend is for consistent-hash)',
    ]);
    assert.deepEqual(lines(proxy('    options: {seed: 1}\n')), [
      '6:15 lab.proxy.options.seed does not apply to strategy round-robin (the default) (round-robin takes no options; seed is for random, power-of-two-choices)',
    ]);
  });

  test('values are checked by the proxy validator and reported at the key, in snake_case', () => {
    assert.deepEqual(lines(proxy('    strategy: maglev\n    options:\n      table_size: 100\n      hash_key: source\n')), [
      '8:19 lab.proxy.options.table_size must be a prime, got 100 (the nearest larger prime is 101; the default is 65537)',
      '9:17 lab.proxy.options.hash_key must be source-ip, source-ip-port, uri, path, query:NAME or header:NAME, got "source" (use source-ip to keep a client on one backend; in mode l7, e.g. query:room to keep each room on one)',
    ]);
    assert.deepEqual(lines(proxy('    strategy: consistent-hash\n    options: {balance_factor: 50, points_per_backend: "160"}\n')), [
      '7:31 lab.proxy.options.balance_factor must be 0 (off) or an integer >= 100, got 50 (it is a percentage of the average load, as HAProxy hash-balance-factor: e.g. 125 lets a backend reach 1.25 × average)',
      '7:55 lab.proxy.options.points_per_backend must be a number, got a string ("160") (remove the quotes)',
    ]);
    assert.deepEqual(lines(proxy('    mode: l7\n    strategy: stick-table\n    options: {expire_seconds: 0, fallback: round-robbin}\n')), [
      '8:31 lab.proxy.options.expire_seconds must be an integer from 1 to 2592000, got 0 (give expire_seconds as a whole number in 1..2592000)',
      '8:44 lab.proxy.options.fallback must be a strategy that places clients by itself, got "round-robbin" (did you mean "round-robin"?)',
    ]);
    assert.deepEqual(lines(proxy('    mode: l7\n    strategy: cookie\n    options: {cookie_secret: short}\n')), [
      '8:30 lab.proxy.options.cookie_secret must be a string of at least 16 characters (give every proxy that must accept the same cookies the same long random secret)',
    ]);
    assert.deepEqual(lines(proxy('    strategy: maglev\n    options: [table_size]\n')), ['7:14 lab.proxy.options must be a map, got a list (valid keys: ' + Object.keys(STRATEGY_OPTION_KEYS).join(', ') + ')']);
  });

  test('hash_key on the request (uri, path, query:NAME, header:NAME) needs mode l7; bad forms are refused', () => {
    for (const key of ['uri', 'path', 'query:room', 'header:X-User-Id']) {
      assert.deepEqual(resolved(`    mode: l7\n    strategy: maglev\n    options: {hash_key: "${key}"}\n`)?.options, { hashKey: key });
    }
    assert.deepEqual(lines(proxy('    strategy: maglev\n    options: {hash_key: uri}\n')), [
      '7:25 lab.proxy.options.hash_key uri needs mode: l7, the proxy must read the HTTP request, but lab.proxy.mode defaults to l4 (set lab.proxy.mode: l7, or use hash_key: source-ip or source-ip-port at L4)',
    ]);
    assert.deepEqual(lines(proxy('    mode: l4\n    strategy: rendezvous\n    options: {hash_key: "query:room"}\n')), [
      '8:25 lab.proxy.options.hash_key query:room needs mode: l7, the proxy must read the HTTP request, but lab.proxy.mode is l4 (set lab.proxy.mode: l7, or use hash_key: source-ip or source-ip-port at L4)',
    ]);
    const hint = '(use source-ip to keep a client on one backend; in mode l7, e.g. query:room to keep each room on one)';
    assert.deepEqual(lines(proxy('    mode: l7\n    strategy: maglev\n    options: {hash_key: "query:"}\n')), [`8:25 lab.proxy.options.hash_key "query:" needs a parameter name, e.g. query:room ${hint}`]);
    assert.match(lines(proxy('    mode: l7\n    strategy: maglev\n    options: {hash_key: "header:bad name"}\n'))[0] ?? '', /8:25 lab.proxy.options.hash_key "header:bad name": the header name must be an HTTP token/);
    const compare = 'name: lab\nclients: 10\nlab:\n  backends: {count: 2}\n  proxy: {strategy: maglev}\ncompare:\n  - {strategy: maglev, options: {hash_key: path}}\n  - {name: p7, strategy: maglev, mode: l7, options: {hash_key: path}}\n';
    assert.deepEqual(lines(compare), [
      '7:44 compare[0].options.hash_key path needs mode: l7, the proxy must read the HTTP request, but compare[0].mode defaults to l4 (set compare[0].mode: l7, or use hash_key: source-ip or source-ip-port at L4)',
    ]);
  });

  test('the strategy/mode check still runs next to the options', () => {
    assert.deepEqual(lines(proxy('    strategy: cookie\n    options: {cookie_name: SRV}\n')), [
      '6:15 strategy "cookie" needs mode l7, but lab.proxy.mode defaults to l4 (set lab.proxy.mode: l7 (cookie reads the HTTP request), or pick a strategy that works at L4, e.g. consistent-hash or round-robin)',
    ]);
  });
});

describe('lab.proxy tls, store, sources, maxconn, workers', () => {
  test('accepted values resolve', () => {
    const p = resolved('    tls: self-signed\n    store: redis://127.0.0.1:6379/0\n    sources: 127.0.0.2-4\n    maxconn: 5000\n    workers: 2\n');
    assert.deepEqual(p, {
      strategy: 'round-robin',
      mode: 'l4',
      host: '127.0.0.1',
      tls: { selfSigned: true },
      store: 'redis://127.0.0.1:6379/0',
      sourceAddresses: ['127.0.0.2', '127.0.0.3', '127.0.0.4'],
      maxconn: 5000,
      workers: 2,
    });
    assert.equal(resolved('    store: memory\n')?.store, 'memory');
    assert.deepEqual(resolved('    sources: [127.0.0.2-127.0.0.3, 127.0.0.3, 127.0.0.9]\n')?.sourceAddresses, ['127.0.0.2', '127.0.0.3', '127.0.0.9']);
  });

  test('tls files resolve against the scenario file folder, and are not read while validating', () => {
    const file = path.join('some', 'dir', 's.yaml');
    assert.deepEqual(resolved('    tls: {cert: lb.pem, key: ../keys/lb-key.pem}\n', file)?.tls, {
      certFile: path.resolve('some/dir/lb.pem'),
      keyFile: path.resolve('some/keys/lb-key.pem'),
    });
    assert.deepEqual(resolved('    tls: {cert: /etc/x.pem, key: /etc/x.key}\n', '/tmp/a.yaml')?.tls, { certFile: '/etc/x.pem', keyFile: '/etc/x.key' });
  });

  test('bad tls shapes', () => {
    const hint = 'write tls: self-signed, or tls: {cert: lb.pem, key: lb-key.pem} (paths relative to the scenario file)';
    assert.deepEqual(lines(proxy('    tls: selfsigned\n')), ['6:10 lab.proxy.tls must be "self-signed" or a map {cert, key}, got a string ("selfsigned") (did you mean "self-signed"?)']);
    assert.deepEqual(lines(proxy('    tls: true\n')), [`6:10 lab.proxy.tls must be "self-signed" or a map {cert, key}, got a boolean (true) (${hint})`]);
    assert.deepEqual(lines(proxy('    tls: {cert: a.pem}\n')), ['6:10 "key" is required in lab.proxy.tls (the PEM private key file, e.g. key: lb-key.pem)']);
    assert.deepEqual(lines(proxy('    tls: {cert: a.pem, key: b.pem, chain: c.pem}\n')), ['6:36 unknown key "chain" in lab.proxy.tls (valid keys: cert, key)']);
  });

  test('source_ports: kernel or named; anything else names the choices', () => {
    assert.equal(resolved('    sources: 127.0.0.2-4\n    source_ports: named\n')?.sourcePorts, 'named');
    assert.equal(resolved('    sources: 127.0.0.2-4\n')?.sourcePorts, undefined);
    assert.deepEqual(lines(proxy('    sources: 127.0.0.2\n    source_ports: mine\n')).map((l) => l.split(' (')[0]), ['7:19 lab.proxy.source_ports must be one of kernel, named, got "mine"']);
    const b = parseScenario('name: b\nclients: 10\ntarget: ws://127.0.0.1:9/\nbehavior: {source_ports: named}\n', 'b.yaml').behavior;
    assert.equal(b.sourcePorts, 'named');
  });

  test('bad store, sources, maxconn, workers', () => {
    assert.deepEqual(lines(proxy('    store: 127.0.0.1:6379\n    sources: [127.0.0.9-3, 192.0.2.1, 5]\n    maxconn: 0\n    workers: 65\n')), [
      '6:12 lab.proxy.store must be memory or a redis:// URL, got "127.0.0.1:6379" (write store: redis://127.0.0.1:6379)',
      '7:15 lab.proxy.sources[0] "127.0.0.9-3" is not a valid source address: the range must go upwards and end at .255 at most (an IPv4 address or a range within one /24, e.g. sources: 127.0.0.2-127.0.0.9, or a list of them)',
      '7:28 lab.proxy.sources[1]: source address 192.0.2.1 not local IPv4: the proxy can only bind addresses of this host (use loopback addresses (127.0.0.2-127.0.0.9) or an IPv4 address of a local interface)',
      '7:39 lab.proxy.sources[2] must be a string, got a number (5)',
      '8:14 lab.proxy.maxconn must be at least 1, got 0 (open client connections; leave maxconn out for no limit)',
      '9:14 lab.proxy.workers must be at most 64, got 65 (proxy worker processes sharing the listen port, 1 to 64; default 1)',
    ]);
    assert.deepEqual(lines(proxy('    store: memroy\n    sources: "1.2.3"\n    workers: 1.5\n')), [
      '6:12 lab.proxy.store must be memory or a redis:// URL, got "memroy" (did you mean "memory"?)',
      '7:14 lab.proxy.sources "1.2.3" is not a valid source address: expected a.b.c.d or a.b.c.d-a.b.c.e (an IPv4 address or a range within one /24, e.g. sources: 127.0.0.2-127.0.0.9, or a list of them)',
      '8:14 lab.proxy.workers must be a whole number, got 1.5',
    ]);
    assert.deepEqual(lines(proxy('    store: redis://\n    sources: []\n')), [
      '6:12 lab.proxy.store is not a valid Redis URL ("redis://") (e.g. store: redis://127.0.0.1:6379/0)',
      '7:14 lab.proxy.sources must not be empty (an IPv4 address or a range within one /24, e.g. sources: 127.0.0.2-127.0.0.9, or a list of them)',
    ]);
  });
});

describe('bundled l7-cookie scenario', () => {
  test('loads: cookie at L7, at most 300 clients and 20 s', async () => {
    const s = await loadScenario(fileURLToPath(new URL('../../../scenarios/l7-cookie.yaml', import.meta.url)));
    assert.equal(s.lab?.proxy.mode, 'l7');
    assert.equal(s.lab?.proxy.strategy, 'cookie');
    assert.deepEqual(s.lab?.proxy.options, { cookieName: 'WSHERDID', fallback: 'round-robin' });
    assert.ok(s.clients <= 300);
    assert.ok(s.phases.reduce((t, p) => t + p.durationMs, 0) <= 20_000);
  });
});
