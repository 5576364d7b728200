/**
 * The Node socket floor: what opening and holding a WebSocket costs on Node's public socket API and nothing else. A
 * bare `net.Socket` per connection, the upgrade request written once (one fixed key), the 101 seen, no frame codec, no
 * timers, no bookkeeping beyond two counters. No load client on Node's `net` can open a connection for less CPU than
 * this; the generator bench sets it beside the C anchor, so what is Node's own per-connection cost shows apart from
 * what is wsherd's.
 *
 *   node net-floor-client.js --host 127.0.0.1 --port P --conns N [--in-flight 256] [--delay-ms 1000] [--mode hold]
 *
 * hold only: open N (at most --in-flight handshakes at once), print {ev:'open', opened, failed} once every attempt
 * ended, then hold until SIGTERM.
 */
import net from 'node:net';

const arg = (name: string, def: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? def) : def;
};
const host = arg('host', '127.0.0.1');
const port = Number(arg('port', '8080'));
const conns = Number(arg('conns', '1000'));
const inFlight = Number(arg('in-flight', '256'));
if (arg('mode', 'hold') !== 'hold') {
  process.stderr.write('net-floor-client: hold only (it has no frame codec)\n');
  process.exit(2);
}
const request = `GET / HTTP/1.1\r\nHost: ${host}:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
  'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n';
const held: net.Socket[] = [];
let started = 0;
let ended = 0;
let opened = 0;
let failed = 0;

function settle(ok: boolean): void {
  ended++;
  if (ok) opened++;
  else failed++;
  if (started < conns) openOne();
  if (ended === conns) process.stdout.write(`${JSON.stringify({ ev: 'open', opened, failed })}\n`);
}

function openOne(): void {
  started++;
  let done = false;
  const s = net.connect({ host, port }, () => s.write(request));
  const finish = (ok: boolean): void => {
    if (done) return;
    done = true;
    settle(ok);
  };
  // The 101's status line arrives in the first read on loopback; anything else is a failure.
  s.once('data', (chunk: Buffer) => {
    const ok = chunk.toString('latin1', 0, 13) === 'HTTP/1.1 101 ';
    if (ok) held.push(s);
    else s.destroy();
    finish(ok);
  });
  s.on('error', () => finish(false));
}

process.on('SIGTERM', () => process.exit(0));
setTimeout(() => {
  for (let i = 0; i < Math.min(inFlight, conns); i++) openOne();
}, Number(arg('delay-ms', '1000')));
