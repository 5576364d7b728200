/**
 * The floor: what a ~100-line Node client on plain `ws` (or plain socket.io-client) costs, in its own process. The
 * generator bench compares wsherd against it (issue 17: "Node+ws floor").
 *
 *   node floor-client.js --url ws://127.0.0.1:P/ --conns N [--in-flight 256] [--delay-ms 1000]
 *        [--mode hold|rate|echo] [--rate 40] [--seconds 20] [--payload 64] [--engine ws|socketio]
 *
 * hold: open N (at most --in-flight handshakes at once), then hold until SIGTERM. rate: each connection sends a
 * --payload-byte text frame --rate times a second (open loop, random phase) for --seconds once all are open; the
 * round trip is timed from the send time the frame carries. echo: closed loop, each connection's next frame on its
 * echo. Prints JSON lines: {ev:'open', opened, failed} once all attempts ended; {ev:'done', sent, received, p50, p99}.
 */
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import { io, type Socket } from 'socket.io-client';

const arg = (name: string, def: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? def) : def;
};
const url = arg('url', 'ws://127.0.0.1:8080/');
const conns = Number(arg('conns', '1000'));
const inFlight = Number(arg('in-flight', '256'));
const mode = arg('mode', 'hold');
const rate = Number(arg('rate', '40'));
const seconds = Number(arg('seconds', '20'));
const payloadBytes = Number(arg('payload', '64'));
const engine = arg('engine', 'ws');
const out = (m: object): void => void process.stdout.write(`${JSON.stringify(m)}\n`);

/** One open connection, whatever the library: send a text frame, hear its echo. */
interface Conn { send(text: string): void; onEcho(fn: (text: string) => void): void }
const conn: Conn[] = [];
let started = 0;
let ended = 0;
let failed = 0;

function openOne(): void {
  started++;
  const done = (c?: Conn): void => {
    ended++;
    if (c) conn.push(c);
    else failed++;
    if (started < conns) openOne();
    if (ended === conns) allOpen();
  };
  if (engine === 'socketio') {
    const s: Socket = io(url, { forceNew: true, reconnection: false, timeout: 20_000 });
    s.once('connect', () => done({ send: (t) => s.emit('message', t), onEcho: (fn) => s.on('message', fn) }));
    s.once('connect_error', () => done());
    return;
  }
  const ws = new WebSocket(url, { perMessageDeflate: false, handshakeTimeout: 20_000 });
  ws.once('open', () => done({ send: (t) => ws.send(t), onEcho: (fn) => ws.on('message', (d) => fn(d.toString())) }));
  ws.once('error', () => {
    if (ws.readyState !== WebSocket.OPEN) done();
  });
}

const stamp = (): string => performance.now().toFixed(3).padEnd(payloadBytes, '.');
const rtts: number[] = [];
let sent = 0;
let received = 0;

function allOpen(): void {
  out({ ev: 'open', opened: conn.length, failed });
  if (mode === 'hold') return;
  let running = true;
  for (const c of conn) {
    c.onEcho((text) => {
      if (!running) return;
      received++;
      rtts.push(performance.now() - parseFloat(text));
      if (mode === 'echo') {
        sent++;
        c.send(stamp());
      }
    });
  }
  const timers: NodeJS.Timeout[] = [];
  if (mode === 'echo') {
    for (const c of conn) {
      sent++;
      c.send(stamp());
    }
  } else {
    const every = 1000 / rate;
    for (const c of conn) {
      timers.push(setTimeout(() => {
        timers.push(setInterval(() => {
          sent++;
          c.send(stamp());
        }, every));
      }, Math.random() * every));
    }
  }
  setTimeout(() => {
    running = false;
    for (const t of timers) clearTimeout(t);
    rtts.sort((a, b) => a - b);
    const q = (p: number): number | null => (rtts.length === 0 ? null : (rtts[Math.min(rtts.length - 1, Math.floor(p * rtts.length))] as number));
    out({ ev: 'done', sent, received, p50: q(0.5), p99: q(0.99) });
    process.exit(0);
  }, seconds * 1000);
}

process.on('SIGTERM', () => process.exit(0));
setTimeout(() => {
  for (let i = 0; i < Math.min(inFlight, conns); i++) openOne();
}, Number(arg('delay-ms', '1000')));
