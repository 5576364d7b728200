/**
 * What a worker drives in each slot, whatever the engine: a client that connects, lives on the schedule and ends
 * exactly once (telling ClientContext.onEnd). One engine per run, chosen by `behavior.engine` (or, in a lab, by
 * its approach: dns round robin → dns, orchestrator → orchestrated).
 */
import { EngineIoClient } from './engineio-client.js';
import { SocketIoClient } from './socketio-engine.js';
import { DnsClient } from './dns-client.js';
import { OrchestratedClient } from './orchestrated-client.js';
import type { ClientContext, ClientState } from './ws-client.js';
import { newWsClient } from './ws-pick.js';
import type { DnsCacheSet } from '../dns/cache.js';
import { DEFAULT_DNS_CLIENT } from '../scenario/approach.js';

export interface LoadClient {
  /** The slot this client serves (the worker's bookkeeping). */
  readonly slot: number;
  /** `open` and `closing` count as open connections in the per-second gauge. */
  readonly state: ClientState;
  /** Backend id once attributed ('unknown' when the target does not say). */
  readonly backend: string | undefined;
  /** Begin connecting to `url`, optionally from a given local source address. */
  start(url: string, localAddress?: string): void;
  /** The planned end: close cleanly (a close after the slot's time is up is never counted as a failure). */
  close(): void;
  /** End now, without the closing handshake (a slot reopening, the run's deadline). */
  terminate(): void;
}

/** What the dns engine adds to a worker's context: one resolver cache per population group. */
export interface DnsContext {
  caches: DnsCacheSet;
  /** The population group of a slot ('all' without a population): clients of one group share a cache. */
  groupOf(slot: number): string;
}

export function createClient(ctx: ClientContext, slot: number, dns?: DnsContext): LoadClient {
  switch (ctx.behavior.engine ?? 'ws') {
    case 'socketio':
      return new SocketIoClient(ctx, slot);
    case 'engineio':
      return new EngineIoClient(ctx, slot);
    case 'orchestrated':
      return new OrchestratedClient(ctx, slot);
    case 'dns': {
      if (dns === undefined) throw new Error('the dns engine needs a DnsContext (a wsherd bug)');
      const o = ctx.behavior.dns ?? DEFAULT_DNS_CLIENT;
      return new DnsClient(ctx, slot, dns.caches.get(dns.groupOf(slot)), { pick: o.pick, failover: o.failover });
    }
    default:
      return newWsClient(ctx, slot);
  }
}
