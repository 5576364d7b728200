/**
 * The reference socket.io backend's realtime app (docs/lab-app.md): rooms (`join`, `leave`), `chat` relayed to the
 * other members of a room, and correlated `request`s. With a bus URL, rooms span backends through the real
 * @socket.io/redis-adapter on two ioredis connections (publisher and subscriber), as production socket.io clusters
 * run behind a balancer; without one, a room holds this backend's sockets only.
 */
import { Redis } from 'ioredis';
import { createAdapter } from '@socket.io/redis-adapter';
import type { Server, Socket } from 'socket.io';

export interface RoomsCounters {
  /** `join` events that put a socket in a room. */
  roomsJoined: number;
  /** `chat` events received (each relayed once, to every other member of its room, on every backend). */
  chatsReceived: number;
  /** `request` events answered. */
  requests: number;
}

type Ack = (payload: unknown) => void;

/** The acknowledgement callback when the client asked for one (it comes last), else undefined. */
function ackOf(args: unknown[]): Ack | undefined {
  const last = args[args.length - 1];
  return typeof last === 'function' ? (last as Ack) : undefined;
}

/** The room of a join/leave (a string, or `{room}`), or undefined. */
function roomOf(v: unknown): string | undefined {
  if (typeof v === 'string' && v !== '') return v;
  if (typeof v === 'object' && v !== null && typeof (v as { room?: unknown }).room === 'string') return (v as { room: string }).room;
  return undefined;
}

/** Registers the app's events on a new socket; `id` is this backend's, carried in every answer and relayed chat. */
export function attachRoomsApp(socket: Socket, id: string, counters: RoomsCounters): void {
  socket.on('join', (...args: unknown[]) => {
    const ack = ackOf(args);
    const room = roomOf(args[0]);
    if (room === undefined) return ack?.({ error: 'join needs a room name', backend: id });
    counters.roomsJoined++;
    // With the redis adapter join() only touches local state (the adapter subscribes to the namespace, not per room).
    void Promise.resolve(socket.join(room)).then(() => ack?.({ room, backend: id }));
  });
  socket.on('leave', (...args: unknown[]) => {
    const ack = ackOf(args);
    const room = roomOf(args[0]);
    if (room === undefined) return ack?.({ error: 'leave needs a room name', backend: id });
    void Promise.resolve(socket.leave(room)).then(() => ack?.({ room, backend: id }));
  });
  socket.on('chat', (...args: unknown[]) => {
    const ack = ackOf(args);
    const payload = args[0];
    const room = roomOf(payload);
    if (room === undefined || typeof payload !== 'object') return ack?.({ error: 'chat needs a payload object with a room', backend: id });
    counters.chatsReceived++;
    // to(room) excludes the sender, also on the other backends (the adapter carries the except set).
    socket.to(room).emit('chat', { ...(payload as object), backend: id });
    ack?.({ ok: true, backend: id });
  });
  socket.on('request', (...args: unknown[]) => {
    const ack = ackOf(args);
    const payload = args[0];
    const re = typeof payload === 'object' && payload !== null ? (payload as { id?: unknown }).id : payload;
    counters.requests++;
    if (ack !== undefined) ack({ re, backend: id });
    else socket.emit('response', { re, backend: id });
  });
}

export interface Bus {
  close(): Promise<void>;
}

/**
 * Puts `io` on the redis adapter at `url` and resolves once its subscriptions are active: a chat published by
 * another backend right after this backend reported ready must reach its rooms.
 */
export async function useRedisAdapter(io: Server, url: string): Promise<Bus> {
  const pub = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 3 });
  const sub = pub.duplicate();
  // A lost bus is retried by ioredis; without listeners the 'error' events would be printed on stderr.
  pub.on('error', () => {});
  sub.on('error', () => {});
  const close = async (): Promise<void> => {
    pub.disconnect();
    sub.disconnect();
  };
  try {
    await Promise.all([pub.connect(), sub.connect()]);
    io.adapter(createAdapter(pub, sub));
    // Redis answers in order per connection: the PING's reply follows the adapter's (P)SUBSCRIBE replies.
    await sub.ping();
  } catch (err) {
    await close();
    throw new Error(`cannot use the bus at ${url}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  return { close };
}
