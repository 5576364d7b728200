/**
 * The WebSocket client a run uses, whatever engine opens it: the lean one (src/load/ws-lean.ts) unless the scenario
 * asks for the `ws` library's (`behavior.ws_client: library`). The dns and orchestrated engines wrap one per attempt,
 * so a lab run's clients cost the same per connection whichever approach hands them their backend.
 */
import type { LoadClient } from './client.js';
import { LeanWsClient } from './ws-lean.js';
import { WsClient, type ClientContext } from './ws-client.js';

export function newWsClient(ctx: ClientContext, slot: number): LoadClient {
  return ctx.behavior.wsClient === 'library' ? new WsClient(ctx, slot) : new LeanWsClient(ctx, slot);
}
