import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { tcpServer } from '../helpers/tcp-server.js';
import { decodeAddress, parseProcNetTcp, socketsByPair, timeWaitByPair } from '../../src/probes/sockets.js';

const HEADER = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n';
const TAIL = ' 00000000:00000000 00:00000000 00000000  1000        0 12345 1 0000000000000000 20 4 30 10 -1';
const line = (sl: number, local: string, remote: string, st: string): string => `  ${sl}: ${local} ${remote} ${st}${TAIL}\n`;

// 0x2329 = 9001, 0xD431 = 54321; 0100007F = 127.0.0.1 (bytes of the word reversed on little-endian).
const TCP4 = HEADER
  + line(0, '0100007F:2329', '00000000:0000', '0A') // LISTEN 127.0.0.1:9001
  + line(1, '0100007F:D431', '0100007F:2329', '01') // client → 9001, ESTABLISHED
  + line(2, '0100007F:D432', '0100007F:2329', '01') // client → 9001, ESTABLISHED
  + line(3, '0100007F:D433', '0100007F:2329', '06') // client → 9001, TIME_WAIT
  + line(4, '0100007F:2329', '0100007F:D431', '01') // accepted by 9001
  + line(5, '0500000A:D434', '1401A8C0:01BB', '01'); // 10.0.0.5 → 192.168.1.20:443, not the lab's

// ::1 = three zero words then 00000001 written as 01000000; ::ffff:127.0.0.1 has FFFF0000 0100007F as its last words;
// 2001:db8::1 starts with the word 20010DB8 written as B80D0120.
const TCP6 = HEADER
  + line(0, '00000000000000000000000000000000:2329', '00000000000000000000000000000000:0000', '0A') // LISTEN [::]:9001
  + line(1, '00000000000000000000000001000000:D440', '00000000000000000000000001000000:2329', '01') // ::1 → [::1]:9001
  + line(2, '0000000000000000FFFF00000100007F:2329', '0000000000000000FFFF00000100007F:D450', '06') // mapped, accepted, TIME_WAIT
  + line(3, 'B80D0120000000000000000001000000:D460', 'B80D0120000000000000000002000000:2329', '08'); // 2001:db8::1 → [2001:db8::2]:9001

test('decodes IPv4, IPv6 and IPv4-mapped addresses', () => {
  assert.equal(decodeAddress('0100007F'), '127.0.0.1');
  assert.equal(decodeAddress('1401A8C0'), '192.168.1.20');
  assert.equal(decodeAddress('00000000000000000000000001000000'), '::1');
  assert.equal(decodeAddress('00000000000000000000000000000000'), '::');
  assert.equal(decodeAddress('0000000000000000FFFF00000100007F'), '127.0.0.1');
  assert.equal(decodeAddress('B80D0120000000000000000001000000'), '2001:db8::1');
  // fe80::1:0:0:2 — the longest zero run (groups 1-3) is compressed, not the later shorter one.
  assert.equal(decodeAddress('000080FE000000000000010002000000'), 'fe80::1:0:0:2');
});

test('parses a /proc/net/tcp{,6} fixture into pairs by state, filtered to the lab ports', () => {
  assert.deepEqual(parseProcNetTcp([TCP4, TCP6], { ports: [9001] }), {
    listening: 2,
    pairs: [
      { local: '127.0.0.1', remote: '127.0.0.1:9001', states: { ESTABLISHED: 2, TIME_WAIT: 1 } },
      { local: '127.0.0.1:9001', remote: '127.0.0.1', states: { ESTABLISHED: 1, TIME_WAIT: 1 } },
      { local: '2001:db8::1', remote: '[2001:db8::2]:9001', states: { CLOSE_WAIT: 1 } },
      { local: '::1', remote: '[::1]:9001', states: { ESTABLISHED: 1 } },
    ],
  });
});

test('without a filter every socket counts, and listening ports mark the accepted side', () => {
  const all = parseProcNetTcp([TCP4, TCP6]);
  assert.equal(all.listening, 2);
  assert.equal(all.pairs.length, 5);
  assert.deepEqual(all.pairs.find((p) => p.local === '10.0.0.5'), { local: '10.0.0.5', remote: '192.168.1.20:443', states: { ESTABLISHED: 1 } });
  assert.deepEqual(parseProcNetTcp(TCP4, { ports: [443] }).pairs.map((p) => p.remote), ['192.168.1.20:443']);
  assert.deepEqual(parseProcNetTcp(''), { listening: 0, pairs: [] });
});

test('parses 30,000 lines', () => {
  let text = HEADER;
  for (let i = 0; i < 30_000; i++) {
    text += line(i, `0100007F:${(40_000 + i).toString(16).toUpperCase()}`, '0100007F:2329', i % 3 === 0 ? '06' : '01');
  }
  const result = parseProcNetTcp(text, { ports: [9001] });
  assert.deepEqual(result.pairs, [{ local: '127.0.0.1', remote: '127.0.0.1:9001', states: { ESTABLISHED: 20_000, TIME_WAIT: 10_000 } }]);
});

test('real sockets: ESTABLISHED while open, TIME_WAIT on the client after a client-side close', async (t) => {
  const server = await tcpServer();
  t.after(() => server.close());
  const { port, accepted } = server;
  const pairOf = (local: string, remote: string) =>
    socketsByPair({ ports: [port] }).pairs.find((p) => p.local === local && p.remote === remote);

  const clients = await Promise.all(Array.from({ length: 5 }, () => server.connect()));
  while (accepted.size < 5) await new Promise((r) => setTimeout(r, 10));
  assert.ok((pairOf('127.0.0.1', `127.0.0.1:${port}`)?.states.ESTABLISHED ?? 0) >= 5);
  assert.ok((pairOf(`127.0.0.1:${port}`, '127.0.0.1')?.states.ESTABLISHED ?? 0) >= 5);
  assert.equal(socketsByPair({ ports: [port] }).listening, 1);

  await Promise.all(clients.map(async (c) => {
    c.end();
    await once(c, 'close');
  }));
  const tw = timeWaitByPair({ ports: [port] }).find((p) => p.local === '127.0.0.1' && p.remote === `127.0.0.1:${port}`);
  assert.ok((tw?.timeWait ?? 0) >= 5, `TIME_WAIT pairs: ${JSON.stringify(timeWaitByPair({ ports: [port] }))}`);
  assert.equal(pairOf('127.0.0.1', `127.0.0.1:${port}`)?.states.ESTABLISHED, undefined);
  // This process's own namespace read through its pid gives the same view.
  const viaPid = socketsByPair({ ports: [port], pid: process.pid }).pairs.find((p) => p.local === '127.0.0.1');
  assert.ok((viaPid?.states.TIME_WAIT ?? 0) >= 5);
});
