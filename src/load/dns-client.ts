/**
 * The `dns` engine: a client that resolves the target's name through its group's DnsCache, then connects to
 * one of the answered addresses with an inner WsClient, as a browser or getaddrinfo-based client does. This is
 * what makes DNS round robin measurable: which address a client picks (the first, as getaddrinfo+connect does,
 * or a random one), how long caches pin a group to one backend, and what happens after a backend dies while
 * its address is still cached (`failover` tries the answer's next address on a connect failure, as
 * happy-eyeballs-style clients do; without it the client fails like a plain connect()).
 *
 * Counting: a lookup failure is one attempted + one failed client under its `dns_*` code. With failover, the
 * addresses tried before the one that worked are not failures: the whole client counts one `attempted` and at
 * most one `failed` (the last address's error); `failovers` counts the extra tries.
 */
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { AttemptRecorder } from './attempt-recorder.js';
import type { DnsCache } from '../dns/cache.js';
import { DnsLookupError } from '../dns/resolver.js';
import type { LoadClient } from './client.js';
import type { ClientContext, ClientState } from './ws-client.js';
import { newWsClient } from './ws-pick.js';

export interface DnsEngineOptions {
  /** Which answered address to connect to: 'first' (getaddrinfo + connect) or 'random'. */
  pick: 'first' | 'random';
  /** On a failure before the TCP connect completes, try the answer's next address. */
  failover: boolean;
}

export class DnsClient implements LoadClient {
  /** Extra addresses tried after a connect failure (not counted as errors). */
  failovers = 0;
  /** The address of the current (last) connection attempt. */
  address: string | undefined = undefined;
  private inner: LoadClient | undefined = undefined;
  private ownState: ClientState = 'idle';
  private ended = false;
  private stopping = false;
  private url: URL | undefined = undefined;
  private localAddress: string | undefined = undefined;
  private order: string[] = [];
  private nextIndex = 0;
  /** The current attempt completed its TCP connect (no failover past that point). */
  private tcpConnected = false;
  /** The current attempt's failure was held back because another address will be tried. */
  private failoverPending = false;
  private readonly innerCtx: ClientContext;

  constructor(
    private readonly ctx: ClientContext,
    readonly slot: number,
    private readonly cache: DnsCache,
    private readonly opts: DnsEngineOptions,
  ) {
    // A failure that moves on to the answer's next address is not the client's failure: hold it back, drop its error.
    const attempts = new AttemptRecorder(ctx.recorder, {
      holdFailure: () => (this.failoverPending = this.canFailover()),
      heldError: () => {},
      connected: () => (this.tcpConnected = true),
    });
    this.innerCtx = { ...ctx, recorder: attempts.asRecorder(), onEnd: () => this.innerEnded() };
  }

  get state(): ClientState {
    return this.inner?.state ?? this.ownState;
  }

  get backend(): string | undefined {
    return this.inner?.backend;
  }

  start(url: string, localAddress?: string): void {
    if (this.ownState !== 'idle') return;
    this.ownState = 'connecting';
    this.localAddress = localAddress;
    try {
      this.url = new URL(url);
    } catch {
      this.lookupFailed('other', `not a URL: ${url}`);
      return;
    }
    const host = this.url.hostname.replace(/^\[(.*)\]$/, '$1');
    if (net.isIP(host) !== 0) {
      this.order = [host];
      this.attempt();
      return;
    }
    const startedAt = performance.now();
    this.cache.lookup(host).then(
      ({ addresses, fromCache }) => {
        if (this.ended) return;
        if (!fromCache) this.ctx.recorder.record('lookup', (performance.now() - startedAt) * 1000);
        if (addresses.length === 0) return this.lookupFailed('dns_no_answer', `${host} has no addresses`);
        const k = this.opts.pick === 'random' ? Math.floor(Math.random() * addresses.length) : 0;
        this.order = [...addresses.slice(k), ...addresses.slice(0, k)];
        this.attempt();
      },
      (err: unknown) => {
        if (this.ended) return;
        if (err instanceof DnsLookupError) this.lookupFailed(err.code, err.message);
        else this.lookupFailed('other', err instanceof Error ? err.message : String(err));
      },
    );
  }

  close(): void {
    this.stopping = true;
    if (this.inner) this.inner.close();
    else this.finish();
  }

  terminate(): void {
    this.stopping = true;
    if (this.inner) this.inner.terminate();
    else this.finish();
  }

  /** Whether a failure of the current attempt should move on to the next address. */
  private canFailover(): boolean {
    return this.opts.failover && !this.stopping && !this.tcpConnected && this.nextIndex < this.order.length;
  }

  private attempt(): void {
    const address = this.order[this.nextIndex++] as string;
    const url = new URL((this.url as URL).href);
    url.hostname = net.isIPv6(address) ? `[${address}]` : address;
    this.address = address;
    this.tcpConnected = false;
    this.inner = newWsClient(this.innerCtx, this.slot);
    this.inner.start(url.href, this.localAddress);
  }

  private innerEnded(): void {
    if (this.failoverPending) {
      this.failoverPending = false;
      this.failovers++;
      this.attempt();
      return;
    }
    this.finish();
  }

  private lookupFailed(code: string, sample: string): void {
    const { recorder } = this.ctx;
    recorder.count('attempted');
    recorder.count('failed');
    recorder.error(code, sample);
    this.finish();
  }

  private finish(): void {
    if (this.ended) return;
    this.ended = true;
    this.ownState = 'closed';
    this.ctx.onEnd(this);
  }
}
