/**
 * How the socketio engine opens a session with the real socket.io-client: one http(s) agent per client, and the
 * client options an application would use (long-polling then the upgrade, cookies kept), with behavior.headers,
 * behavior.query and the scenario's session options applied. Kept apart from the client's state machine.
 */
import http from 'node:http';
import https from 'node:https';
import { io, type Socket } from 'socket.io-client';
import type { ClientContext } from './ws-client.js';
import { applyToAgent } from './request-headers.js';
import { clientHeaders } from './client-templates.js';

/** Where a client's session goes: its URL (http/https), its query option, its local source address. */
export interface SessionTarget {
  url: string;
  query: Record<string, string> | undefined;
  localAddress: string | undefined;
}

const tlsOptions = (ctx: ClientContext, url: string): { rejectUnauthorized?: boolean; ca?: string } =>
  url.startsWith('https:') ? { rejectUnauthorized: !ctx.insecure, ...(ctx.ca === undefined ? {} : { ca: ctx.ca }) } : {};

/**
 * One agent per client: it binds the source address for every poll and the upgrade, and keepAlive off lets a
 * per-connection balancer place each request on its own, as browsers behind proxies often see it. It also puts
 * behavior.headers on every poll and on the upgrade (extraHeaders could not: the polling transport writes its own
 * Host over them, and its cookie jar's Cookie replaces theirs).
 */
export function sessionAgent(ctx: ClientContext, slot: number, t: SessionTarget): http.Agent {
  const local = t.localAddress === undefined ? {} : { localAddress: t.localAddress };
  const agent = t.url.startsWith('https:')
    ? new https.Agent({ keepAlive: false, ...tlsOptions(ctx, t.url), ...local })
    : new http.Agent({ keepAlive: false, ...local });
  return applyToAgent(agent, clientHeaders(ctx, slot));
}

/** `cookie`: a Cookie header for the reconnect check (the first session's jar, which a new socket cannot share). */
export function openSocket(ctx: ClientContext, slot: number, t: SessionTarget, agent: http.Agent, cookie?: string): Socket {
  const { behavior } = ctx;
  const session = behavior.session;
  const headers = clientHeaders(ctx, slot);
  return io(t.url, {
    path: session?.path ?? '/socket.io/',
    transports: session?.transports ?? ['polling', 'websocket'],
    upgrade: session?.upgrade ?? true,
    forceNew: true,
    reconnection: false,
    timeout: behavior.connectTimeoutMs + behavior.handshakeTimeoutMs,
    // The cookie jar: Set-Cookie from the balancer (cookie insert) goes back on later polls and the upgrade.
    withCredentials: true,
    agent: agent as unknown as string,
    ...tlsOptions(ctx, t.url),
    ...(t.localAddress === undefined ? {} : { localAddress: t.localAddress }),
    ...(cookie === undefined ? {} : { extraHeaders: { cookie } }),
    ...(headers.protocols.length === 0 ? {} : { protocols: [...headers.protocols] }),
    ...(t.query === undefined ? {} : { query: t.query }),
  } as Parameters<typeof io>[1]);
}

/** The cookies socket.io-client's jar holds for this session, as a Cookie header (undefined when none). */
export function cookieHeader(socket: Socket | undefined): string | undefined {
  const jar = (socket?.io.engine as unknown as { _cookieJar?: { cookies?: Map<string, { value: string }> } } | undefined)?._cookieJar;
  const pairs = [...(jar?.cookies ?? new Map<string, { value: string }>())].map(([name, c]) => `${name}=${c.value}`);
  return pairs.length === 0 ? undefined : pairs.join('; ');
}
