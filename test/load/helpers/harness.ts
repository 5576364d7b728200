/** Drives WsClients outside a worker: one recorder, one wheel ticking every 10 ms, and a way to await ends. */
import type { LoadClient } from '../../../src/load/client.js';
import { performance } from 'node:perf_hooks';
import { Recorder, type CounterName } from '../../../src/metrics/recorder.js';
import type { SessionEvent } from '../../../src/metrics/types.js';
import { TimerWheel } from '../../../src/load/wheel.js';
import { WsClient, type ClientContext } from '../../../src/load/ws-client.js';
import { LeanWsClient } from '../../../src/load/ws-lean.js';
import type { Behavior } from '../../../src/scenario/types.js';
import type { SourcePorts } from '../../../src/net/source-ports.js';

/** Either client of the ws engine (behavior.ws_client). */
export type AnyWsClient = WsClient | LeanWsClient;

/**
 * The ws client the harness runs unless a test's behavior names one: the lean default, or the `ws` library's with
 * WSHERD_TEST_WS_CLIENT=library (to run the same tests against both).
 */
export const TEST_WS_CLIENT: 'lean' | 'library' = process.env['WSHERD_TEST_WS_CLIENT'] === 'library' ? 'library' : 'lean';

export const BEHAVIOR: Behavior = {
  ...(TEST_WS_CLIENT === 'library' ? { wsClient: 'library' as const } : {}),
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
  /**
   * Running totals of what the clients counted, never reset by flush(): a test waits on these ("5 acks seen")
   * instead of sleeping a fixed time and hoping a slow machine got that far.
   */
  readonly totals: { counters: Partial<Record<CounterName, number>>; sessions: Partial<Record<SessionEvent, number>> } = { counters: {}, sessions: {} };

  constructor(behavior: Partial<Behavior> = {}, insecure = false, sourcePorts?: SourcePorts) {
    const count = this.recorder.count.bind(this.recorder);
    this.recorder.count = (name, n = 1) => {
      this.totals.counters[name] = (this.totals.counters[name] ?? 0) + n;
      count(name, n);
    };
    const session = this.recorder.session.bind(this.recorder);
    this.recorder.session = (event, n = 1) => {
      this.totals.sessions[event] = (this.totals.sessions[event] ?? 0) + n;
      session(event, n);
    };
    this.ctx = {
      behavior: { ...BEHAVIOR, ...behavior },
      recorder: this.recorder,
      wheel: this.wheel,
      insecure,
      ...(sourcePorts === undefined ? {} : { sourcePorts }),
      onEnd: (c) => {
        this.ended.add(c);
        this.waiters.get(c)?.();
      },
    };
    this.timer = setInterval(() => this.wheel.advance(performance.now()), 10);
  }

  client(url: string, localAddress?: string): AnyWsClient {
    const lib = (this.ctx.behavior.wsClient ?? TEST_WS_CLIENT) === 'library';
    const c = lib ? new WsClient(this.ctx, 0) : new LeanWsClient(this.ctx, 0);
    c.start(url, localAddress);
    return c;
  }

  async untilState(c: LoadClient, state: LoadClient['state'], timeoutMs = 5000): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (c.state !== state) {
      if (Date.now() > until) throw new Error(`client stuck in ${c.state}, wanted ${state}`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  /** Polls `check` every 5 ms; throws naming `what` after timeoutMs. */
  async until(what: string, check: () => boolean, timeoutMs = 5000): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (!check()) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(this.totals)}`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  async ended_(c: LoadClient, timeoutMs = 8000): Promise<void> {
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
