/**
 * Turns any client failure into a short stable code, the key of `SecondBucket.errors` and of the report's
 * error table. Codes by family:
 * - socket errors: the errno code as Node reports it (ECONNREFUSED, ECONNRESET, ETIMEDOUT, EADDRNOTAVAIL,
 *   EADDRINUSE, EMFILE, ENFILE, EHOSTUNREACH, ENETUNREACH, EPIPE, …);
 * - wsherd's own timeouts: `connect_timeout`, `handshake_timeout`;
 * - a refused upgrade: `http_<status>` (e.g. http_503);
 * - an unexpected close: `close_<code>` (1006 = abnormal: no close frame);
 * - TLS failures: `tls_<code>` (e.g. tls_DEPTH_ZERO_SELF_SIGNED_CERT);
 * - ws protocol violations: the ws code (WS_ERR_*); HTTP parse errors: `http_parse_error`;
 * - `cancelled`: the client's planned end (or a stop) came before it was established;
 * - anything else: `other`.
 */

export const CONNECT_TIMEOUT = 'connect_timeout';
export const HANDSHAKE_TIMEOUT = 'handshake_timeout';
export const CANCELLED = 'cancelled';
export const OTHER = 'other';

/** OpenSSL certificate-verification codes Node puts on `err.code` (see tls docs, "X509 certificate error codes"). */
const CERT_CODES = new Set([
  'UNABLE_TO_GET_ISSUER_CERT', 'UNABLE_TO_GET_CRL', 'UNABLE_TO_DECRYPT_CERT_SIGNATURE',
  'UNABLE_TO_DECRYPT_CRL_SIGNATURE', 'UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY', 'CERT_SIGNATURE_FAILURE',
  'CRL_SIGNATURE_FAILURE', 'CERT_NOT_YET_VALID', 'CERT_HAS_EXPIRED', 'CRL_NOT_YET_VALID', 'CRL_HAS_EXPIRED',
  'ERROR_IN_CERT_NOT_BEFORE_FIELD', 'ERROR_IN_CERT_NOT_AFTER_FIELD', 'ERROR_IN_CRL_LAST_UPDATE_FIELD',
  'ERROR_IN_CRL_NEXT_UPDATE_FIELD', 'OUT_OF_MEM', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'CERT_CHAIN_TOO_LONG', 'CERT_REVOKED',
  'INVALID_CA', 'PATH_LENGTH_EXCEEDED', 'INVALID_PURPOSE', 'CERT_UNTRUSTED', 'CERT_REJECTED', 'HOSTNAME_MISMATCH',
]);

function codeOf(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && code.length > 0 ? code : undefined;
}

function messageOf(err: unknown): string {
  if (err instanceof Error) return err.message;
  return typeof err === 'string' ? err : '';
}

/** Classify an error object (socket, TLS, ws, http) into a stable code. */
export function classifyError(err: unknown): string {
  const code = codeOf(err);
  if (code !== undefined) {
    if (code === 'ERR_SOCKET_CONNECTION_TIMEOUT') return CONNECT_TIMEOUT;
    if (CERT_CODES.has(code)) return `tls_${code}`;
    if (code.startsWith('ERR_TLS_') || code.startsWith('ERR_SSL_')) return `tls_${code}`;
    if (/^E[A-Z0-9]+$/.test(code)) return code;
    if (code.startsWith('WS_ERR_')) return code;
    if (code.startsWith('HPE_')) return 'http_parse_error';
  }
  const msg = messageOf(err);
  // ws reports a refused upgrade this way when no 'unexpected-response' listener is attached.
  const status = /^Unexpected server response: (\d{3})/.exec(msg);
  if (status) return `http_${status[1]}`;
  if (msg === 'Opening handshake has timed out') return HANDSHAKE_TIMEOUT;
  if (/certificate|SSL routines|TLS/i.test(msg)) return 'tls_other';
  return OTHER;
}

/** A refused WebSocket upgrade: the HTTP status the server answered instead of 101. */
export function classifyHttpStatus(status: number | undefined): string {
  return status === undefined ? 'http_unknown' : `http_${status}`;
}

/** An unexpected close: the WebSocket close code (1006 when the connection ended without a close frame). */
export function classifyClose(code: number): string {
  return `close_${code}`;
}
