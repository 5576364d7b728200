/**
 * `lab.backends.socketio`: options of the reference socket.io backend (src/backend/socketio-server.ts). Read
 * apart from the other `backends` keys because they only apply to `kind: socketio`.
 */
import { isScalar } from 'yaml';
import type { BackendKind, SocketIoBackendSpec } from './types.js';
import { type Context, type Field, readSection, readString } from './context.js';
import { readTransports } from './engine.js';

export const SOCKETIO_BACKEND_KEYS = ['path', 'cookie', 'transports'] as const;
/** RFC 6265 cookie-name: an HTTP token. */
const COOKIE_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** Reads the section; undefined with problems reported when it is invalid or given for another kind. */
export function readSocketIoBackend(ctx: Context, field: Field, kind: BackendKind | undefined): SocketIoBackendSpec | undefined {
  if (kind !== undefined && kind !== 'socketio') {
    ctx.report(field.key ?? field.at, field.path, `${field.path} applies to kind socketio, but the kind is ${kind}`, 'set lab.backends.kind: socketio, or remove lab.backends.socketio');
    return undefined;
  }
  if (field.value === null || (isScalar(field.value) && field.value.value === null)) return {};
  const section = readSection(ctx, field, SOCKETIO_BACKEND_KEYS);
  if (section === undefined) return undefined;
  const out: SocketIoBackendSpec = {};
  let ok = true;
  const pathField = section.fields.get('path');
  if (pathField) {
    const path = readString(ctx, pathField);
    if (path !== undefined && !path.startsWith('/')) ctx.report(pathField.at, pathField.path, `${pathField.path} must start with "/", got "${path}"`, 'e.g. path: /socket.io/');
    if (path === undefined || !path.startsWith('/')) ok = false;
    else out.path = path;
  }
  const cookieField = section.fields.get('cookie');
  if (cookieField) {
    const cookie = readCookie(ctx, cookieField);
    if (cookie === undefined) ok = false;
    else out.cookie = cookie;
  }
  const transportsField = section.fields.get('transports');
  if (transportsField) {
    const transports = readTransports(ctx, transportsField);
    if (transports === undefined) ok = false;
    else out.transports = transports;
  }
  return ok ? out : undefined;
}

function readCookie(ctx: Context, field: Field): boolean | string | undefined {
  const v = isScalar(field.value) ? field.value.value : undefined;
  if (typeof v === 'boolean') return v;
  const hint = 'true (a cookie named io), false, or a cookie name such as SERVERID';
  if (typeof v !== 'string') {
    ctx.report(field.at, field.path, `${field.path} must be true, false or a cookie name`, hint);
    return undefined;
  }
  if (!COOKIE_NAME.test(v)) {
    ctx.report(field.at, field.path, `${field.path} is not a valid cookie name: "${v}"`, 'letters, digits and !#$%&\'*+.^_`|~- only');
    return undefined;
  }
  return v;
}

