/**
 * One Redis connection that stays up: the life cycle the sticky store (redis.ts) and the orchestrator registry
 * (orchestrator/registry-redis.ts) share on top of a RespConnection, which itself dies on its first error.
 *
 * Failure policy: callers must never wait on Redis. While there is no connection, send() rejects at once with
 * StoreError UNAVAILABLE (CLOSED after close()), and the connection is re-established in the background with
 * back-off from 100 ms doubling to 2 s.
 */
import { RespConnection, type RespValue } from './resp.js';
import { StoreError } from './types.js';

/** Where and how to reach Redis, parsed from a redis:// URL. */
export interface RedisTarget {
  host: string;
  port: number;
  db: number;
  username?: string;
  password?: string;
  /** The URL without its password, for messages. */
  display: string;
}

export interface RedisLinkOptions {
  /** Budget for connect + AUTH/SELECT + PING, ms, at start-up and on each reconnect attempt. */
  connectTimeoutMs: number;
  /** A command not answered within this many ms rejects with TIMEOUT (and the connection is recycled). */
  commandTimeoutMs: number;
  /**
   * Called with a code for every failure after connect() succeeded: an error reply (WRONGTYPE…), the connection
   * dying (ECONNRESET, TIMEOUT…), a failed reconnect attempt, and each send() rejected for want of a connection
   * (UNAVAILABLE, CLOSED). For counting; it must not throw.
   */
  onError?: (code: string) => void;
}

const BACKOFF_MIN_MS = 100;
const BACKOFF_MAX_MS = 2000;

export class RedisLink {
  private conn: RespConnection | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private backoffMs = BACKOFF_MIN_MS;
  private isClosed = false;

  constructor(
    readonly target: RedisTarget,
    private readonly opts: RedisLinkOptions,
  ) {}

  /**
   * The first handshake. Rejects with its error (StoreError, or RespReplyError when AUTH/SELECT is refused) and
   * leaves the link unconnected without retrying: a wrong URL at start-up is the user's to fix, not to wait out.
   */
  async connect(): Promise<void> {
    this.attach(await this.handshake());
  }

  get connected(): boolean {
    return this.conn !== undefined;
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /** Sends one command; without a connection, rejects at once (see notConnected). */
  send(args: string[]): Promise<RespValue> {
    return this.conn === undefined ? this.notConnected() : this.conn.send(args);
  }

  /**
   * The rejection send() gives without a connection, reported to onError: for callers that check `connected`
   * before issuing several commands, so one failed operation counts once.
   */
  notConnected(): Promise<never> {
    const code = this.isClosed ? 'CLOSED' : 'UNAVAILABLE';
    this.opts.onError?.(code);
    return Promise.reject(new StoreError(code, `Redis at ${this.target.display} is not connected`));
  }

  close(): void {
    this.isClosed = true;
    if (this.reconnectTimer !== undefined) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    this.conn?.close();
    this.conn = undefined;
  }

  /** connect → AUTH → SELECT → PING, all within connectTimeoutMs (a port that accepts but never answers must not hang us). */
  private async handshake(): Promise<RespConnection> {
    const { connectTimeoutMs, commandTimeoutMs } = this.opts;
    const deadline = Date.now() + connectTimeoutMs;
    const { host, port, db, username, password } = this.target;
    const conn = await RespConnection.open(host, port, connectTimeoutMs, commandTimeoutMs);
    const left = Math.max(1, deadline - Date.now());
    const steps: Promise<RespValue>[] = [];
    if (password !== undefined) steps.push(conn.send(username ? ['AUTH', username, password] : ['AUTH', password], left));
    if (db !== 0) steps.push(conn.send(['SELECT', String(db)], left));
    steps.push(conn.send(['PING'], left));
    try {
      await Promise.all(steps);
    } catch (err) {
      conn.close();
      throw err;
    }
    return conn;
  }

  private attach(conn: RespConnection): void {
    this.conn = conn;
    this.backoffMs = BACKOFF_MIN_MS;
    const onError = this.opts.onError;
    if (onError !== undefined) conn.onReplyError = onError;
    conn.onClose = (code) => {
      this.conn = undefined;
      onError?.(code);
      this.scheduleReconnect();
    };
  }

  private scheduleReconnect(): void {
    if (this.isClosed || this.reconnectTimer !== undefined) return;
    this.reconnectTimer = setTimeout(() => {
      this.handshake().then(
        (conn) => {
          this.reconnectTimer = undefined;
          if (this.isClosed) conn.close();
          else this.attach(conn);
        },
        (err: unknown) => {
          this.reconnectTimer = undefined;
          this.opts.onError?.(err instanceof StoreError ? err.code : 'ERROR');
          this.backoffMs = Math.min(this.backoffMs * 2, BACKOFF_MAX_MS);
          this.scheduleReconnect();
        },
      );
    }, this.backoffMs);
    this.reconnectTimer.unref();
  }
}
