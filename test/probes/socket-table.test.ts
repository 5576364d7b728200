import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { once } from 'node:events';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { parseSsBytes, portFilter, socketTable, ssAddress } from '../../src/probes/socket-table.js';
import { RawSockets, socketsByPair } from '../../src/probes/sockets.js';
import { needBinary } from '../helpers/system.js';
import { tcpServer } from '../helpers/tcp-server.js';

const run = promisify(execFile);

test('ss lines: states, padded columns, IPv6 and IPv4-mapped ends, wildcard peers', () => {
  const text = [
    'LISTEN    0      511                     *:7190                   *:*    ',
    'ESTAB     0      0               127.0.0.1:42272          127.0.0.1:7190 ',
    'ESTAB     0      0      [::ffff:127.0.0.1]:7190  [::ffff:127.0.0.1]:42272',
    'TIME-WAIT 0      0                   [::1]:7190              [::1]:34532',
    'SYN-SENT  0      1            127.0.0.53%lo:53            10.0.0.1:53',
    'garbage',
    '',
  ].join('\n');
  const out = new RawSockets();
  const bytes = Buffer.from(text, 'latin1');
  parseSsBytes(bytes, bytes.length, out);
  assert.deepEqual(out.state, [10, 1, 1, 6, 2]);
  assert.deepEqual(out.localPort, [7190, 42272, 7190, 7190, 53]);
  assert.deepEqual(out.remotePort, [0, 7190, 42272, 34532, 53]);
  assert.deepEqual(out.remote.map(ssAddress), ['*', '127.0.0.1', '127.0.0.1', '::1', '10.0.0.1']);
  assert.equal(ssAddress('127.0.0.53%lo'), '127.0.0.53');
  assert.equal(ssAddress('[fe80::1]%eth0'), 'fe80::1');
  assert.deepEqual(portFilter([1, 2]), ['( sport = :1 or dport = :1 or sport = :2 or dport = :2 )']);
});

// Oracle: the test's own server and clients know what they opened; /proc (another kernel interface, parsed by other
// code) must agree with the netlink read, pair by pair.
test('real sockets over netlink: the test\'s own counts, and /proc\'s, pair by pair (IPv4, IPv6, TIME_WAIT)', { timeout: 30_000, skip: needBinary('/usr/bin/ss', 'iproute2') }, async (t) => {
  const server = await tcpServer('::');
  t.after(() => server.close());
  const { port } = server;
  const open = (host: string, localAddress: string): Promise<net.Socket> => server.connect(host, localAddress);
  const ipv4: net.Socket[] = [];
  for (let i = 0; i < 7; i++) ipv4.push(await open('127.0.0.1', '127.0.0.7'));
  for (let i = 0; i < 3; i++) await open('::1', '::1');
  while (server.accepted.size < 10) await new Promise((r) => setTimeout(r, 10));
  // Two of the IPv4 clients close first: they hold TIME_WAIT.
  await Promise.all(ipv4.slice(0, 2).map(async (c) => {
    c.end();
    await once(c, 'close');
  }));

  const read = await socketTable({ ports: [port] });
  assert.equal(read.source, 'netlink');
  assert.ok(read.ms >= 0);
  const find = (local: string, remote: string) => read.pairs.find((p) => p.local === local && p.remote === remote)?.states;
  assert.deepEqual(find('127.0.0.7', `127.0.0.1:${port}`), { ESTABLISHED: 5, TIME_WAIT: 2 });
  assert.deepEqual(find(`127.0.0.1:${port}`, '127.0.0.7'), { ESTABLISHED: 5 });
  assert.deepEqual(find('::1', `[::1]:${port}`), { ESTABLISHED: 3 });
  assert.deepEqual(find(`[::1]:${port}`, '::1'), { ESTABLISHED: 3 });
  assert.equal(read.listening, 1);
  // /proc/net/tcp{,6}: the same pairs and counts.
  const proc = socketsByPair({ ports: [port] });
  assert.deepEqual(read.pairs, proc.pairs);
  assert.equal(read.listening, proc.listening);
});

test('without ss on the PATH the table is read from /proc, the same', { timeout: 30_000 }, async (t) => {
  const server = await tcpServer();
  t.after(() => server.close());
  const { port } = server;
  await server.connect();
  const module = fileURLToPath(new URL('../../src/probes/socket-table.js', import.meta.url));
  const script = `import(${JSON.stringify(module)}).then(async (m) => { const r = await m.socketTable({ ports: [${port}] });`
    + ' process.stdout.write(JSON.stringify({ source: r.source, pairs: r.pairs })); });';
  const { stdout } = await run(process.execPath, ['-e', script], { env: { ...process.env, PATH: '/nonexistent' } });
  const read = JSON.parse(stdout) as { source: string; pairs: unknown };
  assert.equal(read.source, 'proc');
  assert.deepEqual(read.pairs, socketsByPair({ ports: [port] }).pairs);
});
