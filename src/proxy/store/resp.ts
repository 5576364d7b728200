/**
 * A minimal RESP2 client over node:net (no dependency): an incremental reply parser and one pipelined
 * connection. Commands are written immediately and replies are matched in FIFO order, which is exactly
 * what Redis guarantees per connection. Reconnecting is the caller's job (see redis-link.ts).
 */
import net from 'node:net';
import { StoreError } from './types.js';

/** A Redis error reply (`-ERR …`); code is its first word. Top level: the command rejects with it. */
export class RespReplyError extends StoreError {
  constructor(message: string) {
    super(/^[A-Z]+/.exec(message)?.[0] ?? 'ERR', message);
    this.name = 'RespReplyError';
  }
}

/** A RESP2 reply: simple/bulk string, integer, null (nil bulk or nil array), array, or an error inside an array. */
export type RespValue = string | number | null | RespReplyError | RespValue[];

const INCOMPLETE = Symbol('incomplete');
type Parsed = RespValue | typeof INCOMPLETE;
const EMPTY = Buffer.alloc(0);

/**
 * Incremental RESP2 parser: feed it TCP chunks as they come (a reply may be split anywhere, several may
 * share a chunk) and it returns the replies completed so far. Throws StoreError('EPROTO') on garbage.
 */
export class RespParser {
  private buf: Buffer = EMPTY;
  private pos = 0;

  feed(chunk: Buffer): RespValue[] {
    this.buf = this.pos < this.buf.length ? Buffer.concat([this.buf.subarray(this.pos), chunk]) : chunk;
    this.pos = 0;
    const out: RespValue[] = [];
    while (this.pos < this.buf.length) {
      const start = this.pos;
      const v = this.value();
      if (v === INCOMPLETE) {
        this.pos = start; // a partial reply is re-parsed whole once more bytes arrive (replies here are tiny)
        break;
      }
      out.push(v);
    }
    if (this.pos >= this.buf.length) {
      this.buf = EMPTY;
      this.pos = 0;
    }
    return out;
  }

  private line(): string | typeof INCOMPLETE {
    const end = this.buf.indexOf('\r\n', this.pos);
    if (end < 0) return INCOMPLETE;
    const s = this.buf.toString('utf8', this.pos, end);
    this.pos = end + 2;
    return s;
  }

  private int(s: string): number {
    if (!/^-?\d+$/.test(s)) throw new StoreError('EPROTO', `Redis sent a malformed integer: ${JSON.stringify(s)}`);
    return Number(s);
  }

  private value(): Parsed {
    if (this.pos >= this.buf.length) return INCOMPLETE;
    const type = this.buf[this.pos++]!;
    const line = this.line();
    if (line === INCOMPLETE) return INCOMPLETE;
    switch (type) {
      case 0x2b: // '+'
        return line;
      case 0x2d: // '-'
        return new RespReplyError(line);
      case 0x3a: // ':'
        return this.int(line);
      case 0x24: {
        // '$' bulk string: length, CRLF, bytes, CRLF
        const len = this.int(line);
        if (len < 0) return null;
        if (this.pos + len + 2 > this.buf.length) return INCOMPLETE;
        const s = this.buf.toString('utf8', this.pos, this.pos + len);
        this.pos += len + 2;
        return s;
      }
      case 0x2a: {
        // '*' array
        const n = this.int(line);
        if (n < 0) return null;
        const arr: RespValue[] = [];
        for (let i = 0; i < n; i++) {
          const v = this.value();
          if (v === INCOMPLETE) return INCOMPLETE;
          arr.push(v);
        }
        return arr;
      }
      default:
        throw new StoreError('EPROTO', `Redis sent an unknown reply type byte 0x${type.toString(16)}`);
    }
  }
}

/** Encodes one command as a RESP array of bulk strings. */
export function encodeCommand(args: readonly string[]): string {
  let s = `*${args.length}\r\n`;
  for (const a of args) s += `$${Buffer.byteLength(a)}\r\n${a}\r\n`;
  return s;
}

interface Pending {
  resolve: (v: RespValue) => void;
  reject: (e: Error) => void;
  deadline: number;
}

/**
 * One pipelined connection. It dies on the first socket error, close, protocol error or command timeout:
 * every pending command rejects with that code and onClose fires once. A timeout kills the connection
 * because, with FIFO matching, a reply that never came blocks every reply behind it.
 */
export class RespConnection {
  /** Called once when the connection dies (not after close()), with the error code. */
  onClose: ((code: string, message: string) => void) | undefined;
  /** Called for each error reply (counted by the store). */
  onReplyError: ((code: string) => void) | undefined;
  /** Default per-command timeout in ms. */
  commandTimeoutMs: number;
  /** FIFO of unanswered commands: queue[head] is the oldest (an index, since Array#shift is O(n) on deep pipelines). */
  private queue: Pending[] = [];
  private head = 0;
  private readonly parser = new RespParser();
  private timer: NodeJS.Timeout | undefined;
  private dead = false;
  private corked = false;
  private lastErrorCode: string | undefined;

  private constructor(
    private readonly socket: net.Socket,
    commandTimeoutMs: number,
  ) {
    this.commandTimeoutMs = commandTimeoutMs;
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 10_000);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err: NodeJS.ErrnoException) => {
      this.lastErrorCode = err.code ?? 'ERROR';
      this.fail(this.lastErrorCode, err.message);
    });
    socket.on('close', () => this.fail(this.lastErrorCode ?? 'CLOSED', 'Redis closed the connection'));
  }

  /** Connects within timeoutMs; rejects with StoreError code TIMEOUT or the socket's errno (ECONNREFUSED…). */
  static open(host: string, port: number, timeoutMs: number, commandTimeoutMs = 1000): Promise<RespConnection> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host, port });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new StoreError('TIMEOUT', `connect did not complete within ${timeoutMs} ms`));
      }, timeoutMs);
      const onError = (err: NodeJS.ErrnoException): void => {
        clearTimeout(timer);
        socket.destroy();
        reject(new StoreError(err.code ?? 'ERROR', err.message));
      };
      socket.once('error', onError);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.off('error', onError);
        resolve(new RespConnection(socket, commandTimeoutMs));
      });
    });
  }

  get alive(): boolean {
    return !this.dead;
  }

  /** Sends one command now; resolves with its reply, rejects with its error reply or the connection's death. */
  send(args: readonly string[], timeoutMs = this.commandTimeoutMs): Promise<RespValue> {
    if (this.dead) return Promise.reject(new StoreError('CLOSED', 'the Redis connection is closed'));
    return new Promise((resolve, reject) => {
      this.queue.push({ resolve, reject, deadline: Date.now() + timeoutMs });
      // Commands issued in the same tick leave in one write (pipelining without a syscall each).
      if (!this.corked) {
        this.corked = true;
        this.socket.cork();
        process.nextTick(() => {
          this.corked = false;
          this.socket.uncork();
        });
      }
      this.socket.write(encodeCommand(args));
      this.armTimer();
    });
  }

  /** Closes without firing onClose; pending commands reject with CLOSED. */
  close(): void {
    this.onClose = undefined;
    this.fail('CLOSED', 'the Redis connection was closed');
  }

  private onData(chunk: Buffer): void {
    let replies: RespValue[];
    try {
      replies = this.parser.feed(chunk);
    } catch (err) {
      this.fail('EPROTO', (err as Error).message);
      return;
    }
    for (const r of replies) {
      const p = this.shift();
      if (p === undefined) {
        this.fail('EPROTO', 'Redis sent a reply nobody asked for');
        return;
      }
      if (r instanceof RespReplyError) {
        this.onReplyError?.(r.code);
        p.reject(r);
      } else p.resolve(r);
    }
  }

  private shift(): Pending | undefined {
    if (this.head >= this.queue.length) return undefined;
    const p = this.queue[this.head++];
    if (this.head === this.queue.length) {
      this.queue = [];
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    return p;
  }

  /** One timer for the whole queue, set to the head's deadline (one timer per command would cost a setTimeout per request). */
  private armTimer(): void {
    if (this.timer !== undefined || this.dead) return;
    const head = this.queue[this.head];
    if (head === undefined) return;
    this.timer = setTimeout(() => this.onTimer(), Math.max(1, head.deadline - Date.now()));
  }

  private onTimer(): void {
    this.timer = undefined;
    const head = this.queue[this.head];
    if (head === undefined) return;
    if (head.deadline <= Date.now()) this.fail('TIMEOUT', 'Redis did not answer in time');
    else this.armTimer();
  }

  private fail(code: string, message: string): void {
    if (this.dead) return;
    this.dead = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.socket.destroy();
    const pending = this.queue.slice(this.head);
    this.queue = [];
    this.head = 0;
    for (const p of pending) p.reject(new StoreError(code, message));
    const cb = this.onClose;
    this.onClose = undefined;
    cb?.(code, message);
  }
}
