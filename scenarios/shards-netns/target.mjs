/* global process, URL, setTimeout */
// The target of the four-hosts proof (README.md beside this file): a plain `ws` echo server, deliberately NOT
// wsherd's own backend, so that what it counts is an independent witness of what the shards claim. It counts
// upgrades (by source address and by the `user` query value), how each connection ended (with the client's close
// frame, or without one: code 1006), messages received and echoes written, and times each echo from its arrival to
// the moment ws handed it to the kernel (the only latency a server can see: it lies inside the client's round trip of
// the same message).
//
//   node target.mjs HOST PORT        prints "listening http://HOST:PORT" on stderr once it accepts connections;
//   GET /counts                      the counts as JSON;
//   SIGTERM or SIGINT                prints the counts as JSON on stdout, closes every connection and exits 0.
import http from 'node:http';
import { WebSocketServer } from 'ws';

const [host = '127.0.0.1', portText = '9001'] = process.argv.slice(2);

const counts = {
  upgrades: 0,
  /** Connections still open when the counts were taken. */
  open: 0,
  /** Ended with the client's close frame: what a client that got its 101 does at the end of its run. */
  cleanCloses: 0,
  /** Ended without a close frame (1006): a client that gave up on its handshake after the target had accepted it
   *  (a timeout, or the run's end), or a connection dropped. */
  abnormalCloses: 0,
  messagesReceived: 0,
  echoesSent: 0,
  echoErrors: 0,
  /** Upgrades per remote address: the hosts the load came from ("?" when the client was gone before the upgrade
   *  completed, and with it the address). */
  sources: {},
  /** Clean closes per remote address. */
  cleanBySource: {},
  /** Upgrades per `user` query value (u0, u1, …): each global client id should appear exactly once. */
  users: {},
};
/** Every echo's time from arrival to write, µs. */
const serviceMicros = [];

function snapshot() {
  const sorted = [...serviceMicros].sort((a, b) => a - b);
  const at = (q) => (sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]);
  return {
    ...counts,
    echoService: { count: sorted.length, minUs: sorted[0] ?? 0, p50Us: at(0.5), p99Us: at(0.99), maxUs: sorted.at(-1) ?? 0 },
  };
}

const server = http.createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/counts') {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(snapshot()));
    return;
  }
  res.writeHead(404).end();
});
const wss = new WebSocketServer({ server, perMessageDeflate: false });

wss.on('connection', (ws, req) => {
  counts.upgrades++;
  // IPv4 peers may come as ::ffff:a.b.c.d on a dual-stack socket; the address is what matters, not its spelling.
  const source = (req.socket.remoteAddress ?? '?').replace(/^::ffff:/, '');
  counts.sources[source] = (counts.sources[source] ?? 0) + 1;
  counts.open++;
  const user = new URL(req.url ?? '/', 'http://x').searchParams.get('user') ?? '(none)';
  counts.users[user] = (counts.users[user] ?? 0) + 1;
  ws.on('message', (data, isBinary) => {
    counts.messagesReceived++;
    const arrived = process.hrtime.bigint();
    ws.send(data, { binary: isBinary }, (err) => {
      if (err) {
        counts.echoErrors++;
        return;
      }
      counts.echoesSent++;
      serviceMicros.push(Number(process.hrtime.bigint() - arrived) / 1000);
    });
  });
  ws.on('close', (code) => {
    counts.open--;
    if (code === 1006) {
      counts.abnormalCloses++;
      return;
    }
    counts.cleanCloses++;
    counts.cleanBySource[source] = (counts.cleanBySource[source] ?? 0) + 1;
  });
  ws.on('error', () => {});
});

function stop() {
  process.stdout.write(`${JSON.stringify(snapshot())}\n`);
  for (const c of wss.clients) c.terminate();
  server.close(() => process.exit(0));
  // A connection that will not close must not keep the proof's teardown waiting.
  setTimeout(() => process.exit(0), 2000).unref();
}
process.once('SIGTERM', stop);
process.once('SIGINT', stop);

server.listen(Number(portText), host, () => process.stderr.write(`listening http://${host}:${portText}\n`));
