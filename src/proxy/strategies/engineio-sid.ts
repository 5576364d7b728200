/**
 * Engine.IO-sid aware routing: socket.io clients open a session with a long-polling handshake whose response body
 * carries the session id (`0{"sid":"…",…}`), then send every later poll, post and the WebSocket upgrade with
 * `?sid=…`. All of them must reach the backend that issued the sid, or it answers 400 "Session ID unknown". The
 * strategy places the handshake by the fallback, reads the sid from the response before the client sees it
 * (so the next request, at this proxy or another sharing the store, already routes by it), and routes requests
 * carrying a known sid to its backend.
 */
import type { StickyStore } from '../store/types.js';
import { StoreBacked, stickyTarget } from './sticky-common.js';
import type { BackendRef, PickContext, ResponseInfo, StickyStrategy, Strategy } from './types.js';

export const SID_TABLE = 'sid';
/** The sid in an Engine.IO v3/v4 open packet; v3 prefixes a length (`96:0{…}`), which the search skips. */
const SID_IN_BODY = /"sid"\s*:\s*"([^"\\]{1,128})"/;

/** The `sid` and `EIO` query parameters of a request URL (undefined when absent). */
export function engineIoQuery(url: string): { sid: string | undefined; eio: string | undefined } {
  const q = url.indexOf('?');
  if (q < 0) return { sid: undefined, eio: undefined };
  const params = new URLSearchParams(url.slice(q + 1));
  return { sid: params.get('sid') ?? undefined, eio: params.get('EIO') ?? undefined };
}

export class EngineIoSid extends StoreBacked implements StickyStrategy {
  readonly name = 'engineio-sid';
  readonly layers = ['l7'] as const;
  readonly sticky = true;

  constructor(fallback: Strategy, store: StickyStore, expireSeconds?: number) {
    super(fallback, store, SID_TABLE, expireSeconds);
  }

  async route(ctx: PickContext): Promise<BackendRef | undefined> {
    const { sid } = engineIoQuery(ctx.request?.url ?? '');
    if (sid !== undefined) {
      const known = await this.lookup(sid);
      const b = stickyTarget(this.byId, known, ctx);
      if (b !== undefined) {
        this.count('hits');
        // Refresh on use so an active session outlives the expiry; routing does not wait for it.
        void this.remember(sid, b.id);
        return b;
      }
      // A sid this proxy never saw (or whose backend died): the fallback's backend will likely refuse it; that
      // failure is what a run measures, so count it rather than hide it.
      this.count(known === undefined ? 'unknown_sid' : 'stale');
    }
    const b = this.fallback.pick(ctx);
    if (b !== undefined && sid === undefined) this.count('placed');
    return b;
  }

  wantsBody(ctx: PickContext, res: ResponseInfo): boolean {
    if (res.statusCode !== 200) return false;
    const { sid, eio } = engineIoQuery(ctx.request?.url ?? '');
    return sid === undefined && eio !== undefined;
  }

  async learn(_ctx: PickContext, backend: BackendRef, body: string): Promise<void> {
    const sid = SID_IN_BODY.exec(body)?.[1];
    if (sid === undefined) return;
    this.count('learned');
    await this.remember(sid, backend.id);
  }
}
