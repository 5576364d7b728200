/**
 * Cookie insert (HAProxy `cookie SERVERID insert indirect`): the first response to a client carries a cookie
 * naming its backend, signed with an HMAC so a client cannot choose (or guess) a backend; later requests carrying
 * it go to that backend. A cookie whose signature does not verify is forged; one that names a backend that is
 * gone or down is stale: both are ignored (the fallback places the client and a fresh cookie replaces it) and
 * counted.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { StickyBase, stickyTarget } from './sticky-common.js';
import type { BackendRef, PickContext, StickyStrategy, Strategy } from './types.js';

export const DEFAULT_COOKIE_NAME = 'WSHERDID';
/** 96 bits of HMAC: forging needs 2^96 guesses, and the cookie stays short. */
const SIG_BYTES = 12;

export interface CookieOptions {
  cookieName?: string;
  cookieSecret?: string;
}

export class CookieInsert extends StickyBase implements StickyStrategy {
  readonly name = 'cookie';
  readonly layers = ['l7'] as const;
  readonly sticky = true;
  readonly cookieName: string;
  private readonly secret: Buffer;
  /** Per request: the backend its cookie named, when valid (so onResponse knows whether to set one). */
  private readonly fromCookie = new WeakMap<PickContext, string>();

  constructor(fallback: Strategy, opts: CookieOptions = {}) {
    super(fallback);
    this.cookieName = opts.cookieName ?? DEFAULT_COOKIE_NAME;
    this.secret = opts.cookieSecret === undefined ? randomBytes(32) : Buffer.from(opts.cookieSecret, 'utf8');
  }

  /** The cookie value for a backend: `<id>.<base64url HMAC>`; ids are URL-safe in practice, encoded anyway. */
  valueFor(id: string): string {
    return `${encodeURIComponent(id)}.${this.sign(id).toString('base64url')}`;
  }

  route(ctx: PickContext): Promise<BackendRef | undefined> {
    const value = readCookie(ctx.request?.headers.cookie, this.cookieName);
    if (value !== undefined) {
      const id = this.verify(value);
      if (id === undefined) this.count('forged');
      else {
        const b = stickyTarget(this.byId, id, ctx);
        if (b !== undefined) {
          this.count('hits');
          this.fromCookie.set(ctx, b.id);
          return Promise.resolve(b);
        }
        this.count('stale');
      }
    }
    const b = this.fallback.pick(ctx);
    if (b !== undefined) this.count('placed');
    return Promise.resolve(b);
  }

  onResponse(ctx: PickContext, backend: BackendRef): Record<string, string> | undefined {
    if (this.fromCookie.get(ctx) === backend.id) return undefined;
    this.count('inserted');
    // Path=/ so every request of the session (polling, upgrade) carries it; HttpOnly: scripts need not see it.
    return { 'set-cookie': `${this.cookieName}=${this.valueFor(backend.id)}; Path=/; HttpOnly; SameSite=Lax` };
  }

  tableSizes(): Record<string, number> {
    // The "table" of a cookie strategy is the set of backends a valid cookie can name: one signed value each.
    return { cookie: this.byId.size };
  }

  private sign(id: string): Buffer {
    return createHmac('sha256', this.secret).update(id).digest().subarray(0, SIG_BYTES);
  }

  /** The backend id a genuine cookie names, or undefined for a forged or malformed one. */
  private verify(value: string): string | undefined {
    const dot = value.lastIndexOf('.');
    if (dot <= 0) return undefined;
    let id: string;
    try {
      id = decodeURIComponent(value.slice(0, dot));
    } catch {
      return undefined;
    }
    const given = Buffer.from(value.slice(dot + 1), 'base64url');
    const want = this.sign(id);
    return given.length === want.length && timingSafeEqual(given, want) ? id : undefined;
  }
}

/** The value of cookie `name` in a Cookie header (first occurrence), or undefined. */
export function readCookie(header: string | string[] | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  const text = Array.isArray(header) ? header.join('; ') : header;
  for (const part of text.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1');
  }
  return undefined;
}
