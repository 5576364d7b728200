/**
 * An independent socket.io chat app for the flow oracle tests: the plain `socket.io` package (not wsherd's backends),
 * speaking the reference realtime app's events (docs/flows.md):
 *
 *   join (room[, ack])            → socket.join(room), ack({room, backend})
 *   leave (room[, ack])           → socket.leave(room), ack({room, backend})
 *   chat ({room, …}[, ack])       → every other member of the room, on every instance, gets 'chat' {…payload, backend:
 *                                   <sender's instance>}; ack({ok: true, backend})
 *   request ({id, …}[, ack])      → ack({re: id, backend}), or without ack emit('response', {re: id, backend})
 *   echo (x, ack)                 → ack(x)
 *
 * Rooms span instances through the app's OWN relay over Redis pub/sub (plain ioredis, app-bus.ts), not
 * @socket.io/redis-adapter: every instance receives every chat and emits it to each local member of the room, one
 * socket at a time, counting each emit — so its delivery count is exact, not inferred from a broadcast.
 *
 * Several instances (each its own socket.io Server on its own, never-listening http.Server) sit behind one listening
 * port. The front hands a request carrying a `sid` to the instance that owns the session (sticky by engine.io sid, as
 * a sid-aware balancer does) and every handshake to the next instance in turn. Each instance names itself with
 * `x-wsherd-backend` on every engine.io answer and 101 unless `identity: false`.
 */
import http from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { Server, type Socket } from 'socket.io';
import { bump, joinBus, sumRecords, type BusEnd } from './app-bus.js';

export interface ChatAppOptions {
  /** Instances behind the front. Default 3. */
  instances?: number;
  /** Relay chats through this Redis; absent: in-process. */
  redisUrl?: string;
  /** Default true. */
  identity?: boolean;
  /** Deliberately drop the n-th chat emit the app was about to make (1-based, over the whole app). */
  drop?: (n: number) => boolean;
}

export interface ChatAppCounts {
  /** socket.io connections (after the handshake). */
  connections: number;
  joins: number;
  /** Join events answered with an ack. */
  joinAcks: number;
  leaves: number;
  /** Chat events received (publishes). */
  chats: number;
  chatAcks: number;
  /** Chat emits to room members (deliveries), dropped ones excluded. */
  relayed: number;
  dropped: number;
  relayedByRoom: Record<string, number>;
  /** Relayed by `<sender's instance>\t<receiver's instance>`. */
  relayedByPair: Record<string, number>;
  droppedByRoom: Record<string, number>;
  droppedByPair: Record<string, number>;
  requests: number;
  requestAcks: number;
  responses: number;
}

export interface ChatAppInstance {
  id: string;
  counts: ChatAppCounts;
}

export interface ChatApp {
  /** The front's URL, ws://127.0.0.1:PORT/ (a scenario target; socket.io-client takes it as is). */
  url: string;
  port: number;
  instances: ChatAppInstance[];
  totals(): ChatAppCounts;
  close(): Promise<void>;
}

interface Relayed { room: string; payload: Record<string, unknown>; backend: string; sender: string }

type Ack = ((v: unknown) => void) | undefined;

export const zeroChatCounts = (): ChatAppCounts => ({
  connections: 0, joins: 0, joinAcks: 0, leaves: 0, chats: 0, chatAcks: 0, relayed: 0, dropped: 0, relayedByRoom: {}, relayedByPair: {}, droppedByRoom: {}, droppedByPair: {},
  requests: 0, requestAcks: 0, responses: 0,
});

const ackOf = (args: unknown[]): Ack => {
  const last = args[args.length - 1];
  return typeof last === 'function' ? (last as (v: unknown) => void) : undefined;
};

class Instance implements ChatAppInstance {
  counts = zeroChatCounts();
  readonly http = http.createServer();
  readonly io: Server;
  private bus: BusEnd | undefined;

  constructor(readonly id: string, private readonly o: ChatAppOptions, private readonly shared: { index: number }) {
    // Long ping timeout: on a loaded 2-core host a session must not expire mid-run for the host's sake.
    this.io = new Server(this.http, { pingInterval: 5000, pingTimeout: 20_000, serveClient: false });
    if (o.identity !== false) {
      const name = (headers: Record<string, string>): void => {
        headers['x-wsherd-backend'] = id;
      };
      this.io.engine.on('initial_headers', name);
      this.io.engine.on('headers', name);
    }
    this.io.on('connection', (s) => this.accept(s));
  }

  async start(local: Array<(m: string) => void>): Promise<void> {
    this.bus = await joinBus('oracle:chat-app', (m) => this.relay(JSON.parse(m) as Relayed), this.o.redisUrl, local);
  }

  owns(sid: string): boolean {
    return (this.io.engine as unknown as { clients: Record<string, unknown> }).clients[sid] !== undefined;
  }

  private accept(s: Socket): void {
    this.counts.connections++;
    s.on('join', (room: unknown, ...rest: unknown[]) => {
      this.counts.joins++;
      void s.join(String(room));
      const ack = ackOf(rest);
      if (ack) {
        this.counts.joinAcks++;
        ack({ room, backend: this.id });
      }
    });
    s.on('leave', (room: unknown, ...rest: unknown[]) => {
      this.counts.leaves++;
      void s.leave(String(room));
      ackOf(rest)?.({ room, backend: this.id });
    });
    s.on('chat', (payload: unknown, ...rest: unknown[]) => {
      this.counts.chats++;
      const p = payload !== null && typeof payload === 'object' ? (payload as Record<string, unknown>) : { text: payload };
      this.bus?.publish(JSON.stringify({ room: String(p.room), payload: p, backend: this.id, sender: s.id } satisfies Relayed));
      const ack = ackOf(rest);
      if (ack) {
        this.counts.chatAcks++;
        ack({ ok: true, backend: this.id });
      }
    });
    s.on('request', (payload: unknown, ...rest: unknown[]) => {
      this.counts.requests++;
      const re = payload !== null && typeof payload === 'object' ? (payload as Record<string, unknown>).id : undefined;
      const ack = ackOf(rest);
      if (ack) {
        this.counts.requestAcks++;
        ack({ re, backend: this.id });
      } else {
        this.counts.responses++;
        s.emit('response', { re, backend: this.id });
      }
    });
    s.on('echo', (x: unknown, ...rest: unknown[]) => ackOf(rest)?.(x));
  }

  /** A chat from the bus: emitted to each local member of its room but the sender, one by one, each counted. */
  private relay(m: Relayed): void {
    const members = this.io.sockets.adapter.rooms.get(m.room);
    if (members === undefined) return;
    const out = { ...m.payload, backend: m.backend };
    for (const sid of members) {
      if (sid === m.sender) continue;
      const target = this.io.sockets.sockets.get(sid);
      if (target === undefined) continue;
      const n = ++this.shared.index;
      if (this.o.drop?.(n) === true) {
        this.counts.dropped++;
        bump(this.counts.droppedByRoom, m.room);
        bump(this.counts.droppedByPair, `${m.backend}\t${this.id}`);
        continue;
      }
      target.emit('chat', out);
      this.counts.relayed++;
      bump(this.counts.relayedByRoom, m.room);
      bump(this.counts.relayedByPair, `${m.backend}\t${this.id}`);
    }
  }

  async close(): Promise<void> {
    await new Promise<void>((r) => void this.io.close(() => r()));
    await this.bus?.close();
  }
}

export function sumChatCounts(all: readonly ChatAppCounts[]): ChatAppCounts {
  const t = zeroChatCounts();
  for (const c of all) {
    for (const k of ['connections', 'joins', 'joinAcks', 'leaves', 'chats', 'chatAcks', 'relayed', 'dropped', 'requests', 'requestAcks', 'responses'] as const) t[k] += c[k];
  }
  t.relayedByRoom = sumRecords(all.map((c) => c.relayedByRoom));
  t.relayedByPair = sumRecords(all.map((c) => c.relayedByPair));
  t.droppedByRoom = sumRecords(all.map((c) => c.droppedByRoom));
  t.droppedByPair = sumRecords(all.map((c) => c.droppedByPair));
  return t;
}

/** Starts the app: `instances` instances s1, s2, … behind one loopback port. */
export async function startChatApp(o: ChatAppOptions = {}): Promise<ChatApp> {
  const shared = { index: 0 };
  const local: Array<(m: string) => void> = [];
  const instances = Array.from({ length: o.instances ?? 3 }, (_, i) => new Instance(`s${i + 1}`, o, shared));
  await Promise.all(instances.map((i) => i.start(local)));
  let next = 0;
  const pick = (req: http.IncomingMessage): Instance => {
    const sid = new URL(req.url ?? '/', 'http://x').searchParams.get('sid');
    const owner = sid === null ? undefined : instances.find((i) => i.owns(sid));
    return owner ?? (instances[next++ % instances.length] as Instance);
  };
  const server = http.createServer((req, res) => {
    if (!(req.url ?? '').startsWith('/socket.io/')) return void res.writeHead(404).end();
    pick(req).http.emit('request', req, res);
  });
  server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => pick(req).http.emit('upgrade', req, socket, head));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  return {
    url: `ws://127.0.0.1:${port}/`,
    port,
    instances,
    totals: () => sumChatCounts(instances.map((i) => i.counts)),
    close: async () => {
      await Promise.all(instances.map((i) => i.close()));
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
