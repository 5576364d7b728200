/** Drives WsClients outside a worker: one recorder, one wheel ticking every 10 ms, and a way to await ends. */
import type { LoadClient } from '../../../src/load/client.js';
import { performance } from 'node:perf_hooks';
import { Recorder } from '../../../src/metrics/recorder.js';
import { TimerWheel } from '../../../src/load/wheel.js';
import { WsClient, type ClientContext } from '../../../src/load/ws-client.js';
import type { Behavior } from '../../../src/scenario/types.js';

export const BEHAVIOR: Behavior = {
  messagesPerSecond: 0,
  payloadBytes: 64,
  close: 'client',
  connectTimeoutMs: 2000,
  handshakeTimeoutMs: 2000,
  messageTimeoutMs: 2000,
};

export class Harness {
  readonly recorder = new Recorder();
  readonly wheel = new TimerWheel(10, 1024, performance.now());
  readonly ended = new Set<LoadClient>();
  private readonly waiters = new Map<LoadClient, () => void>();
  private readonly timer: NodeJS.Timeout;
  readonly ctx: ClientContext;

  constructor(behavior: Partial<Behavior> = {}, insecure = false) {
    this.ctx = {
      behavior: { ...BEHAVIOR, ...behavior },
      recorder: this.recorder,
      wheel: this.wheel,
      insecure,
      onEnd: (c) => {
        this.ended.add(c);
        this.waiters.get(c)?.();
      },
    };
    this.timer = setInterval(() => this.wheel.advance(performance.now()), 10);
  }

  client(url: string, localAddress?: string): WsClient {
    const c = new WsClient(this.ctx, 0);
    c.start(url, localAddress);
    return c;
  }

  async untilState(c: WsClient, state: WsClient['state'], timeoutMs = 5000): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (c.state !== state) {
      if (Date.now() > until) throw new Error(`client stuck in ${c.state}, wanted ${state}`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  async ended_(c: WsClient, timeoutMs = 8000): Promise<void> {
    if (this.ended.has(c)) return;
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`client did not end (state ${c.state})`)), timeoutMs);
      this.waiters.set(c, () => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
