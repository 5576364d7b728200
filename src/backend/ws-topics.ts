/**
 * Topics of the ws backend's JSON app (docs/lab-app.md): who subscribes to what on this backend, and the fan-out of
 * a publish to every subscriber except the publishing connection — through Redis pub/sub when the lab has a bus (one
 * subscriber connection per backend process, SUBSCRIBE when a topic gets its first local subscriber and UNSUBSCRIBE
 * when it loses its last), or locally without one. Through the bus, a backend's own subscribers get its publishes
 * back from Redis like everyone else's, so same-backend and cross-backend deliveries take the same path.
 */
import { Redis } from 'ioredis';
import type { AppConn } from './conn.js';

/** A subscribed connection: its socket and its per-process number (what a publish names to skip its sender). */
export interface Member {
  ws: AppConn;
  conn: number;
}

export interface TopicCounters {
  /** Frames written to local subscribers. */
  delivered: number;
  /** (connection, topic) subscriptions open now. */
  subscriptions: number;
}

export interface Topics {
  /** Adds `m` to `topic`; resolves once a publish on any backend reaches it. */
  subscribe(topic: string, m: Member): Promise<void>;
  /** Removes `m` from `topic`; false if it was not subscribed. */
  unsubscribe(topic: string, m: Member): boolean;
  /** Sends `frame` to every subscriber of `topic` except `from`'s connection; resolves once the bus took it. */
  publish(topic: string, frame: string, from: Member): Promise<void>;
  close(): Promise<void>;
}

/** Redis channel of a topic. */
export const CHANNEL_PREFIX = 'wsherd:t:';

interface Entry {
  members: Map<number, AppConn>;
  /** Resolves when the bus delivers this topic here (at once without a bus). */
  ready: Promise<void>;
}

export async function startTopics(counters: TopicCounters, bus: string | undefined): Promise<Topics> {
  const entries = new Map<string, Entry>();
  const deliver = (topic: string, frame: Buffer, skipConn: number): void => {
    const entry = entries.get(topic);
    if (entry === undefined) return;
    for (const [conn, ws] of entry.members) {
      if (conn === skipConn || !ws.open) continue;
      ws.sendText(frame);
      counters.delivered++;
    }
  };
  const add = (topic: string, m: Member, subscribe: () => Promise<void>): Promise<void> => {
    let entry = entries.get(topic);
    if (entry === undefined) {
      const fresh: Entry = { members: new Map(), ready: Promise.resolve() };
      // A failed SUBSCRIBE leaves no half-subscribed topic behind: its members are told (the promise) and dropped.
      fresh.ready = subscribe().catch((err: unknown) => {
        if (entries.get(topic) === fresh) {
          entries.delete(topic);
          counters.subscriptions -= fresh.members.size;
        }
        throw err;
      });
      entries.set(topic, fresh);
      entry = fresh;
    }
    if (!entry.members.has(m.conn)) counters.subscriptions++;
    entry.members.set(m.conn, m.ws);
    return entry.ready;
  };
  const remove = (topic: string, m: Member, unsubscribe: () => void): boolean => {
    const entry = entries.get(topic);
    if (entry === undefined || !entry.members.delete(m.conn)) return false;
    counters.subscriptions--;
    if (entry.members.size === 0) {
      entries.delete(topic);
      unsubscribe();
    }
    return true;
  };

  if (bus === undefined) {
    return {
      subscribe: (topic, m) => add(topic, m, () => Promise.resolve()),
      unsubscribe: (topic, m) => remove(topic, m, () => {}),
      publish: (topic, frame, from) => {
        deliver(topic, Buffer.from(frame), from.conn);
        return Promise.resolve();
      },
      close: () => Promise.resolve(),
    };
  }

  const pub = new Redis(bus, { lazyConnect: true, maxRetriesPerRequest: 3 });
  const sub = pub.duplicate();
  // A lost bus is retried by ioredis; without listeners its 'error' events would be printed on stderr.
  pub.on('error', () => {});
  sub.on('error', () => {});
  const close = (): Promise<void> => {
    pub.disconnect();
    sub.disconnect();
    return Promise.resolve();
  };
  try {
    await Promise.all([pub.connect(), sub.connect()]);
  } catch (err) {
    await close();
    throw new Error(`cannot use the bus at ${bus}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  // Envelope: `<pid>:<conn>:<frame>`, the frame already serialised by the publisher; split on the first two colons
  // of the raw buffer, so a delivery costs no parse and one buffer for all the topic's local subscribers.
  const pid = process.pid;
  sub.on('messageBuffer', (channel: Buffer, message: Buffer) => {
    const a = message.indexOf(0x3a);
    const b = a < 0 ? -1 : message.indexOf(0x3a, a + 1);
    if (b < 0) return;
    const fromPid = Number(message.toString('latin1', 0, a));
    const conn = fromPid === pid ? Number(message.toString('latin1', a + 1, b)) : -1;
    deliver(channel.toString('utf8', CHANNEL_PREFIX.length), message.subarray(b + 1), conn);
  });
  return {
    subscribe: (topic, m) => add(topic, m, async () => {
      await sub.subscribe(CHANNEL_PREFIX + topic);
    }),
    unsubscribe: (topic, m) => remove(topic, m, () => void sub.unsubscribe(CHANNEL_PREFIX + topic).catch(() => {})),
    publish: async (topic, frame, from) => {
      await pub.publish(CHANNEL_PREFIX + topic, `${pid}:${from.conn}:${frame}`);
    },
    close,
  };
}
