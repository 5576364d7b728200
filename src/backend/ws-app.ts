/**
 * The ws backend's JSON app (docs/lab-app.md): text frames that parse to an object whose `type` is one of
 * subscribe, unsubscribe, publish, auth, request are answered here; anything else goes back to the echo path
 * untouched. State exists only for connections that used the app, so an echo-only connection costs nothing more
 * than before. Pushes run on one timer per backend (not one per connection), for every authenticated connection.
 */
import { createHash } from 'node:crypto';
import type { AppConn } from './conn.js';
import { startTopics, type Member, type Topics } from './ws-topics.js';

export interface WsAppOptions {
  /** This backend's id, in every answer and in the messages it publishes. */
  id: string;
  /** `redis://…` of the lab's bus: topics span backends. Absent: topics are this backend's. */
  bus?: string;
  /** Pushes to authenticated connections this often, ms. Absent: none. */
  pushIntervalMs?: number;
}

export interface WsAppCounters {
  /** `publish` frames accepted. */
  published: number;
  /** `message` frames written to this backend's subscribers. */
  delivered: number;
  /** (connection, topic) subscriptions open now. */
  subscriptions: number;
  /** `request` frames answered. */
  requests: number;
  /** `push` frames written. */
  pushes: number;
}

export interface WsApp {
  readonly counters: WsAppCounters;
  /** Handles a text frame that starts with `{`; false when it is not one of the app's (the caller echoes it). */
  handle(ws: AppConn, data: Buffer): boolean;
  /** Forgets a closed connection (its subscriptions end). */
  closed(ws: AppConn): void;
  close(): Promise<void>;
}

interface Conn extends Member {
  topics: Set<string>;
  /** Pushes sent so far (the next push carries seq + 1); -1 until the connection authenticates. */
  pushSeq: number;
}

type Frame = Record<string, unknown> & { type: string };
const TYPES = new Set(['subscribe', 'unsubscribe', 'publish', 'auth', 'request']);

export async function startWsApp(opts: WsAppOptions): Promise<WsApp> {
  const { id } = opts;
  const counters: WsAppCounters = { published: 0, delivered: 0, subscriptions: 0, requests: 0, pushes: 0 };
  const topics: Topics = await startTopics(counters, opts.bus);
  const conns = new Map<AppConn, Conn>();
  const authed = new Set<Conn>();
  let nextConn = 1;
  const reply = (ws: AppConn, frame: Record<string, unknown>): void => {
    if (ws.open) ws.sendText(JSON.stringify(frame));
  };
  const failed = (ws: AppConn, re: unknown, error: string): void => reply(ws, { type: 'error', re, error, backend: id });

  const timer = opts.pushIntervalMs === undefined ? undefined : setInterval(() => {
    for (const c of authed) {
      if (!c.ws.open) continue;
      c.pushSeq++;
      c.ws.sendText(`{"type":"push","seq":${c.pushSeq},"backend":${JSON.stringify(id)}}`);
      counters.pushes++;
    }
  }, opts.pushIntervalMs);

  const connOf = (ws: AppConn): Conn => {
    let c = conns.get(ws);
    if (c === undefined) {
      c = { ws, conn: nextConn++, topics: new Set(), pushSeq: -1 };
      conns.set(ws, c);
    }
    return c;
  };

  const on: Record<string, (ws: AppConn, m: Frame) => void> = {
    subscribe(ws, m) {
      const topic = topicOf(m);
      if (topic === undefined) return failed(ws, m.id, 'subscribe needs a topic (a non-empty string)');
      const c = connOf(ws);
      c.topics.add(topic);
      topics.subscribe(topic, c).then(
        () => reply(ws, { type: 'subscribed', topic, re: m.id, backend: id }),
        (err: unknown) => {
          c.topics.delete(topic);
          failed(ws, m.id, `subscribe failed: ${err instanceof Error ? err.message : String(err)}`);
        },
      );
    },
    unsubscribe(ws, m) {
      const topic = topicOf(m);
      if (topic === undefined) return failed(ws, m.id, 'unsubscribe needs a topic (a non-empty string)');
      const c = conns.get(ws);
      if (c !== undefined && c.topics.delete(topic)) topics.unsubscribe(topic, c);
      reply(ws, { type: 'unsubscribed', topic, re: m.id, backend: id });
    },
    publish(ws, m) {
      const topic = topicOf(m);
      if (topic === undefined) return failed(ws, m.id, 'publish needs a topic (a non-empty string)');
      counters.published++;
      const frame = JSON.stringify({ type: 'message', topic, data: m.data, backend: id });
      topics.publish(topic, frame, connOf(ws)).then(
        () => {
          if (m.id !== undefined) reply(ws, { type: 'published', topic, re: m.id });
        },
        (err: unknown) => failed(ws, m.id, `publish failed: ${err instanceof Error ? err.message : String(err)}`),
      );
    },
    auth(ws, m) {
      if (typeof m.token !== 'string' || m.token === '') return failed(ws, m.id, 'auth needs a token (a non-empty string)');
      const c = connOf(ws);
      if (c.pushSeq < 0) c.pushSeq = 0;
      authed.add(c);
      reply(ws, { type: 'welcome', user: userOf(m.token), backend: id, re: m.id });
    },
    request(ws, m) {
      counters.requests++;
      reply(ws, { type: 'response', re: m.id, data: m.data, backend: id });
    },
  };

  return {
    counters,
    handle(ws, data) {
      let m: unknown;
      try {
        m = JSON.parse(data.toString('utf8'));
      } catch {
        return false;
      }
      if (typeof m !== 'object' || m === null || Array.isArray(m)) return false;
      const type = (m as { type?: unknown }).type;
      if (typeof type !== 'string' || !TYPES.has(type)) return false;
      on[type]?.(ws, m as Frame);
      return true;
    },
    closed(ws) {
      const c = conns.get(ws);
      if (c === undefined) return;
      conns.delete(ws);
      authed.delete(c);
      for (const t of c.topics) topics.unsubscribe(t, c);
    },
    async close() {
      if (timer !== undefined) clearInterval(timer);
      await topics.close();
    },
  };
}

function topicOf(m: Frame): string | undefined {
  return typeof m.topic === 'string' && m.topic !== '' ? m.topic : undefined;
}

/** A stable user name from a token, which never repeats the token itself (tokens are secrets in scenarios). */
export function userOf(token: string): string {
  return `user-${createHash('sha256').update(token).digest('hex').slice(0, 8)}`;
}
