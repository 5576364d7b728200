/**
 * What socket.io-client's errors mean, as stable codes (the socketio engine's failures and disconnects): kept
 * apart from the engine so the client state machine stays readable.
 */

/**
 * socket.io-client's error (a connect_error, or the detail of a `transport error` disconnect) → a stable
 * lower_snake code. The shared codes (report/error-codes.ts) where the cause is known, else `connect_error_<message>`.
 */
export function classifyConnectError(err: Error & { description?: unknown; context?: unknown; code?: unknown }): string {
  const text = `${err.message} ${describe(err.description)} ${describe(err.context)}`;
  if (/self[- ]signed|unable to verify|certificate/i.test(text)) return 'tls_self_signed';
  if (/Session ID unknown|"code":1\b/i.test(text)) return 'unknown_sid';
  if (/Transport unknown|"code":0\b/i.test(text)) return 'polling_refused';
  if (/ECONNREFUSED/.test(text)) return 'ECONNREFUSED';
  if (/ECONNRESET/.test(text)) return 'ECONNRESET';
  if (/timeout/i.test(err.message)) return 'timeout';
  // A 200 whose body does not decode as Engine.IO packets (an HTML page at the path): engine.io-client's parser error.
  if (err.message === 'server error' && err.code === 'parser error') return 'not_socketio';
  const status = typeof err.description === 'number' ? err.description : undefined;
  // Engine.IO's own refusals (Bad request, Forbidden from allowRequest, Unsupported protocol version) by name.
  const eio = /"code":\d+,"message":"([^"]*)"/.exec(text)?.[1];
  if (status === 400 && eio !== undefined) return `connect_error_${slug(eio) || 'bad_request'}`;
  // A 4xx without an Engine.IO error body: a wrong URL or path, or not a socket.io server. A 5xx is the
  // balancer's or the server's own failure, which says nothing about what sits behind it.
  if (status !== undefined && status >= 400 && status < 500) return 'not_socketio';
  if (status !== undefined && status >= 500) return `http_${status}`;
  return `connect_error_${slug(err.message) || 'error'}`;
}

export const slug = (s: string): string => s.toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_|_$/g, '');

export function describe(v: unknown): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'string' || typeof v === 'number') return String(v);
  if (v instanceof Error) return `${v.message} ${(v as NodeJS.ErrnoException).code ?? ''}`;
  const o = v as { status?: unknown; responseText?: unknown; message?: unknown; code?: unknown };
  return [o.status, o.responseText, o.message, o.code].filter((x) => x !== undefined).map(String).join(' ');
}
