/**
 * An independent app-like WebSocket server for the flow oracle tests and the flows bench: plain `ws` and `ioredis`
 * (not wsherd's backends), speaking the JSON protocol of the reference realtime app (docs/flows.md):
 *
 *   {"type":"auth","token":S,"id"?}          → {"type":"welcome","user":"user-<S>","backend":B,"re":id}
 *   {"type":"request","id":X,"data"?}        → {"type":"response","re":X,"data":…,"backend":B}
 *   {"type":"subscribe","topic":T,"id"?}     → {"type":"subscribed","topic":T,"re":id,"backend":B}
 *   {"type":"unsubscribe","topic":T,"id"?}   → {"type":"unsubscribed","topic":T,"re":id,"backend":B}
 *   {"type":"publish","topic":T,"data":X,"id"?} → every subscriber of T on every instance but the sender gets
 *        {"type":"message","topic":T,"data":X,"backend":<publisher's instance>}; the sender {"type":"published","re":id}
 *   anything else                            → echoed
 *   with pushIntervalMs: {"type":"push","seq":n,"backend":B} to every authenticated connection (at most pushLimit each)
 *
 * Several instances (each its own WebSocketServer, its own subscribers, its own Redis clients) sit behind one
 * listening port that hands each upgrade to the next instance in turn (a round-robin front, as a balancer would);
 * they share topics only through the bus (app-bus.ts). Each instance names itself on the 101 with
 * `x-wsherd-backend: <id>` — the public identity contract any target may implement — unless `identity: false`.
 * Everything the app does is counted, as plain numbers, so a test can set them beside wsherd's figures.
 */
import http from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { bump, joinBus, sumRecords, type BusEnd } from './app-bus.js';

export interface WsAppOptions {
  /** Instances behind the front. Default 1. */
  instances?: number;
  /** Share topics through this Redis; absent: in-process (the instances of this app only). */
  redisUrl?: string;
  /** Send x-wsherd-backend on the 101. Default true. */
  identity?: boolean;
  /** Push to every authenticated connection this often. Absent: no pushes. */
  pushIntervalMs?: number;
  /** Pushes per connection, then no more (so none is in flight when the clients close). Default unlimited. */
  pushLimit?: number;
  /** Deliberately drop the n-th delivery the app was about to write (1-based, counted over the whole app). */
  drop?: (n: number) => boolean;
}

export interface WsAppCounts {
  connections: number;
  /** Frames received by `type` (`text` not JSON, `binary`, `untyped` JSON without a string type). */
  received: Record<string, number>;
  /** Frames written that carried `re` (answers to frames that gave an id). */
  answered: number;
  welcomes: number;
  responses: number;
  pushes: number;
  /** Publish frames received. */
  published: number;
  /** Message frames written to subscribers (deliveries), dropped ones excluded. */
  deliveries: number;
  /** Deliveries the app deliberately did not write. */
  dropped: number;
  deliveriesByTopic: Record<string, number>;
  /** Deliveries by `<publisher's instance>\t<subscriber's instance>`. */
  deliveriesByPair: Record<string, number>;
  droppedByTopic: Record<string, number>;
  droppedByPair: Record<string, number>;
  echoed: number;
}

export interface WsAppInstance {
  id: string;
  counts: WsAppCounts;
  /** Deliveries written to each connection this instance accepted, by connection number (0-based, per instance). */
  perConnection: number[];
}

export interface WsApp {
  url: string;
  port: number;
  instances: WsAppInstance[];
  /** The instances' counts summed. */
  totals(): WsAppCounts;
  close(): Promise<void>;
}

interface Conn {
  ws: WebSocket;
  key: string;
  n: number;
  authed: boolean;
  pushes: number;
  topics: Set<string>;
}

interface BusMessage { topic: string; data: unknown; backend: string; from: string }

export const zeroWsCounts = (): WsAppCounts => ({
  connections: 0, received: {}, answered: 0, welcomes: 0, responses: 0, pushes: 0, published: 0, deliveries: 0, dropped: 0,
  deliveriesByTopic: {}, deliveriesByPair: {}, droppedByTopic: {}, droppedByPair: {}, echoed: 0,
});

type Json = Record<string, unknown>;

class Instance implements WsAppInstance {
  counts = zeroWsCounts();
  perConnection: number[] = [];
  readonly wss = new WebSocketServer({ noServer: true });
  private readonly topics = new Map<string, Set<Conn>>();
  private readonly conns = new Set<Conn>();
  private bus: BusEnd | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(readonly id: string, private readonly o: WsAppOptions, private readonly shared: { index: number }) {
    if (o.identity !== false) this.wss.on('headers', (h) => h.push(`x-wsherd-backend: ${id}`));
    this.wss.on('connection', (ws) => this.accept(ws));
    if (o.pushIntervalMs !== undefined) this.timer = setInterval(() => this.pushAll(), o.pushIntervalMs);
  }

  async start(local: Array<(m: string) => void>): Promise<void> {
    this.bus = await joinBus('oracle:ws-app', (m) => this.fanOut(JSON.parse(m) as BusMessage), this.o.redisUrl, local);
  }

  private accept(ws: WebSocket): void {
    const c: Conn = { ws, key: `${this.id}:${this.counts.connections}`, n: this.counts.connections, authed: false, pushes: 0, topics: new Set() };
    this.counts.connections++;
    this.perConnection.push(0);
    this.conns.add(c);
    ws.on('message', (data, binary) => this.onFrame(c, data as Buffer, binary));
    ws.on('close', () => {
      this.conns.delete(c);
      for (const t of c.topics) this.topics.get(t)?.delete(c);
    });
  }

  private answer(c: Conn, frame: Json): void {
    if (frame.re !== undefined) this.counts.answered++;
    c.ws.send(JSON.stringify(frame));
  }

  private onFrame(c: Conn, data: Buffer, binary: boolean): void {
    let msg: Json | undefined;
    if (!binary) {
      try {
        const v: unknown = JSON.parse(data.toString());
        if (v !== null && typeof v === 'object' && !Array.isArray(v)) msg = v as Json;
      } catch { /* not JSON: echoed */ }
    }
    const type = binary ? 'binary' : msg === undefined ? 'text' : typeof msg.type === 'string' ? msg.type : 'untyped';
    bump(this.counts.received, type);
    const id = msg?.id;
    const topic = typeof msg?.topic === 'string' ? msg.topic : '';
    switch (msg === undefined ? '' : type) {
      case 'auth':
        c.authed = true;
        this.counts.welcomes++;
        return this.answer(c, { type: 'welcome', user: `user-${String(msg?.token)}`, backend: this.id, re: id });
      case 'request':
        this.counts.responses++;
        return this.answer(c, { type: 'response', re: id, data: msg?.data ?? null, backend: this.id });
      case 'subscribe':
        c.topics.add(topic);
        this.members(topic).add(c);
        return this.answer(c, { type: 'subscribed', topic, re: id, backend: this.id });
      case 'unsubscribe':
        c.topics.delete(topic);
        this.topics.get(topic)?.delete(c);
        return this.answer(c, { type: 'unsubscribed', topic, re: id, backend: this.id });
      case 'publish':
        this.counts.published++;
        this.bus?.publish(JSON.stringify({ topic, data: msg?.data ?? null, backend: this.id, from: c.key } satisfies BusMessage));
        if (id !== undefined) this.answer(c, { type: 'published', topic, re: id });
        return;
      default:
        this.counts.echoed++;
        c.ws.send(data, { binary });
    }
  }

  private members(topic: string): Set<Conn> {
    let m = this.topics.get(topic);
    if (m === undefined) this.topics.set(topic, (m = new Set()));
    return m;
  }

  /** A publish from the bus: written once to every local subscriber but its sender. */
  private fanOut(m: BusMessage): void {
    const members = this.topics.get(m.topic);
    if (members === undefined || members.size === 0) return;
    const frame = JSON.stringify({ type: 'message', topic: m.topic, data: m.data, backend: m.backend });
    for (const c of members) {
      if (c.key === m.from) continue;
      const n = ++this.shared.index;
      if (this.o.drop?.(n) === true) {
        this.counts.dropped++;
        bump(this.counts.droppedByTopic, m.topic);
        bump(this.counts.droppedByPair, `${m.backend}\t${this.id}`);
        continue;
      }
      c.ws.send(frame);
      this.counts.deliveries++;
      this.perConnection[c.n] = (this.perConnection[c.n] ?? 0) + 1;
      bump(this.counts.deliveriesByTopic, m.topic);
      bump(this.counts.deliveriesByPair, `${m.backend}\t${this.id}`);
    }
  }

  private pushAll(): void {
    const limit = this.o.pushLimit ?? Infinity;
    for (const c of this.conns) {
      if (!c.authed || c.pushes >= limit || c.ws.readyState !== c.ws.OPEN) continue;
      c.pushes++;
      this.counts.pushes++;
      c.ws.send(JSON.stringify({ type: 'push', seq: c.pushes, backend: this.id }));
    }
  }

  async close(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    for (const c of this.wss.clients) c.terminate();
    await new Promise<void>((r) => this.wss.close(() => r()));
    await this.bus?.close();
  }
}

export function sumWsCounts(all: readonly WsAppCounts[]): WsAppCounts {
  const t = zeroWsCounts();
  for (const c of all) {
    for (const k of ['connections', 'answered', 'welcomes', 'responses', 'pushes', 'published', 'deliveries', 'dropped', 'echoed'] as const) t[k] += c[k];
  }
  t.received = sumRecords(all.map((c) => c.received));
  t.deliveriesByTopic = sumRecords(all.map((c) => c.deliveriesByTopic));
  t.deliveriesByPair = sumRecords(all.map((c) => c.deliveriesByPair));
  t.droppedByTopic = sumRecords(all.map((c) => c.droppedByTopic));
  t.droppedByPair = sumRecords(all.map((c) => c.droppedByPair));
  return t;
}

/** Starts the app: `instances` instances w1, w2, … behind one loopback port. */
export async function startWsApp(o: WsAppOptions = {}): Promise<WsApp> {
  const shared = { index: 0 };
  const local: Array<(m: string) => void> = [];
  const instances = Array.from({ length: o.instances ?? 1 }, (_, i) => new Instance(`w${i + 1}`, o, shared));
  await Promise.all(instances.map((i) => i.start(local)));
  const server = http.createServer((_req, res) => res.writeHead(426).end());
  let next = 0;
  server.on('upgrade', (req, socket, head) => {
    const inst = instances[next++ % instances.length] as Instance;
    inst.wss.handleUpgrade(req, socket, head, (ws) => inst.wss.emit('connection', ws, req));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  return {
    url: `ws://127.0.0.1:${port}/`,
    port,
    instances,
    totals: () => sumWsCounts(instances.map((i) => i.counts)),
    close: async () => {
      await Promise.all(instances.map((i) => i.close()));
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
