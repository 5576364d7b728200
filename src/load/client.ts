/**
 * What a worker drives in each slot, whatever the engine: a client that connects, lives on the schedule and ends
 * exactly once (telling ClientContext.onEnd). One engine per run, chosen by `behavior.engine`.
 */
import { EngineIoClient } from './engineio-client.js';
import { SocketIoClient } from './socketio-engine.js';
import { WsClient, type ClientContext, type ClientState } from './ws-client.js';

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

export function createClient(ctx: ClientContext, slot: number): LoadClient {
  switch (ctx.behavior.engine ?? 'ws') {
    case 'socketio':
      return new SocketIoClient(ctx, slot);
    case 'engineio':
      return new EngineIoClient(ctx, slot);
    default:
      return new WsClient(ctx, slot);
  }
}
