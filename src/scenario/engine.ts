/**
 * `behavior.engine` and `behavior.session`: which client engine a run uses (ws, socketio, engineio) and the
 * options of the session engines. Read apart from the rest of `behavior` so the ws-only keys stay simple.
 */
import { isSeq } from 'yaml';
import { DEFAULT_SESSION, ENGINE_NAMES, WS_CLIENT_NAMES, type EngineName, type SessionOptions, type TransportName, type WsClientName } from './types.js';
import { type Context, type Field, readBool, readChoice, readInteger, readSection, readString } from './context.js';

export const SESSION_KEYS = ['path', 'transports', 'polls_before_upgrade', 'upgrade', 'reconnect_check'] as const;
const TRANSPORTS: readonly TransportName[] = ['polling', 'websocket'];
/** A probe that polls more than this before upgrading measures the poll loop, not the balancer. */
export const MAX_POLLS_BEFORE_UPGRADE = 100;

export function readEngine(ctx: Context, field: Field | undefined): EngineName | undefined {
  return field === undefined ? 'ws' : readChoice(ctx, field, ENGINE_NAMES);
}

/** Engines that open a plain WebSocket, so behavior.ws_client picks its client (src/load/ws-pick.ts). */
const WS_CLIENT_ENGINES: readonly EngineName[] = ['ws', 'dns', 'orchestrated'];

/** Reads `behavior.ws_client` (null when absent); with a session engine it is reported, since it would be ignored. */
export function readWsClient(ctx: Context, field: Field | undefined, engine: EngineName | undefined): WsClientName | null | undefined {
  if (field === undefined) return null;
  if (engine !== undefined && !WS_CLIENT_ENGINES.includes(engine)) {
    ctx.report(field.at, field.path, `${field.path} applies to the ws, dns and orchestrated engines, but the engine is ${engine}`, 'set behavior.engine: ws, or remove behavior.ws_client');
    return undefined;
  }
  return readChoice(ctx, field, WS_CLIENT_NAMES);
}

/** Reads `behavior.session`; a session section with engine ws is reported, since ws would ignore it. */
export function readSessionOptions(ctx: Context, field: Field | undefined, engine: EngineName | undefined): SessionOptions | undefined {
  if (field === undefined) return { ...DEFAULT_SESSION, transports: [...DEFAULT_SESSION.transports] };
  if (engine === 'ws') {
    ctx.report(field.at, field.path, `${field.path} applies to the socketio and engineio engines, but the engine is ws`, 'set behavior.engine: socketio (or engineio), or remove behavior.session');
    return undefined;
  }
  const section = readSection(ctx, field, SESSION_KEYS);
  if (section === undefined) return undefined;
  const f = section.fields;
  const d = DEFAULT_SESSION;
  let ok = true;
  const get = <T>(key: string, fallback: T, reader: (v: Field) => T | undefined): T => {
    const v = f.get(key);
    if (v === undefined) return fallback;
    const out = reader(v);
    if (out === undefined) ok = false;
    return out ?? fallback;
  };
  const path = get('path', d.path, (v) => {
    const text = readString(ctx, v);
    if (text === undefined) return undefined;
    if (!text.startsWith('/')) {
      ctx.report(v.at, v.path, `${v.path} must start with "/", got "${text}"`, 'e.g. path: /socket.io/');
      return undefined;
    }
    return text.endsWith('/') ? text : `${text}/`;
  });
  const transports = get('transports', [...d.transports], (v) => readTransports(ctx, v));
  const polls = get('polls_before_upgrade', d.pollsBeforeUpgrade, (v) => readInteger(ctx, v, { min: 0, max: MAX_POLLS_BEFORE_UPGRADE }));
  const upgrade = get('upgrade', d.upgrade, (v) => readBool(ctx, v));
  const reconnectCheck = get('reconnect_check', d.reconnectCheck, (v) => readBool(ctx, v));
  return ok ? { path, transports, pollsBeforeUpgrade: polls, upgrade, reconnectCheck } : undefined;
}


/** A non-empty list of polling/websocket without repeats (behavior.session.transports, lab.backends.socketio.transports). */
export function readTransports(ctx: Context, field: Field): TransportName[] | undefined {
  const hint = 'a list of polling and/or websocket, e.g. [polling, websocket]';
  if (!isSeq(field.value) || field.value.items.length === 0) {
    ctx.report(field.at, field.path, `${field.path} must be a non-empty list`, hint);
    return undefined;
  }
  const out: TransportName[] = [];
  let ok = true;
  field.value.items.forEach((item, i) => {
    const node = ctx.deref(item);
    const t = readChoice(ctx, { path: `${field.path}[${i}]`, value: node, at: node ?? field.at }, TRANSPORTS);
    if (t === undefined) ok = false;
    else if (out.includes(t)) {
      ctx.report(node ?? field.at, `${field.path}[${i}]`, `${field.path} lists ${t} twice`, hint);
      ok = false;
    } else out.push(t);
  });
  return ok ? out : undefined;
}
