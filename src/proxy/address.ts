/** Parsing `host:port` addresses from the command line, with errors that show the bad value and the form. */
import net from 'node:net';
import { WsherdError } from '../errors.js';
import type { BackendTarget } from './pool.js';

export interface HostPort {
  host: string;
  port: number;
}

/**
 * `host:port`, `[ipv6]:port`. `what` names the flag in the error, e.g. `--listen`. Port 0 is accepted only
 * when `allowZero` (a listener may take an ephemeral port; a backend address may not).
 */
export function parseHostPort(text: string, what: string, allowZero = true): HostPort {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text.trim());
  const host = m?.[1] ?? m?.[2];
  const port = Number(m?.[3]);
  const problem =
    !m || host === undefined
      ? 'expected host:port, e.g. 127.0.0.1:8080 or [::1]:8080'
      : m[1] !== undefined && net.isIPv6(host) === false
        ? `"${host}" is not an IPv6 address`
        : port > 65535 || (port === 0 && !allowZero)
          ? `port must be ${allowZero ? '0' : '1'}..65535`
          : undefined;
  if (problem !== undefined || host === undefined) {
    throw new WsherdError('WSH_ERR_INVALID_INPUT', `${what} "${text}" is not a valid address: ${problem ?? 'no host'}.`, {
      hint: 'Write the address as host:port, e.g. 127.0.0.1:9001.',
    });
  }
  return { host, port };
}

/**
 * `[id=]host:port` or `[id=]ws://host:port[/]` for `--backend`; the id defaults to `b<index+1>`, matching the
 * lab's backend ids. A URL path is refused: an L4 proxy relays the client's request line as it is.
 */
export function parseBackendArg(text: string, index: number): BackendTarget {
  const eq = text.indexOf('=');
  const id = eq >= 0 ? text.slice(0, eq).trim() : `b${index + 1}`;
  if (id === '') {
    throw new WsherdError('WSH_ERR_INVALID_INPUT', `--backend "${text}" has an empty id.`, { hint: 'Write id=host:port or just host:port.' });
  }
  const rest = (eq >= 0 ? text.slice(eq + 1) : text).trim();
  const { host, port } = parseHostPort(/^[a-z][a-z0-9+.-]*:\/\//i.test(rest) ? urlHostPort(rest) : rest, '--backend', false);
  return { id, host, port };
}

/** `ws://host:port[/]` → `host:port` (brackets kept for IPv6), so parseHostPort reports any problem in one place. */
function urlHostPort(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new WsherdError('WSH_ERR_INVALID_INPUT', `--backend "${text}" is not a valid URL.`, { hint: 'Write ws://host:port, e.g. ws://127.0.0.1:9001.' });
  }
  const problem =
    url.protocol !== 'ws:' && url.protocol !== 'wss:'
      ? `the scheme must be ws: or wss:, not ${url.protocol}`
      : (url.pathname !== '/' && url.pathname !== '') || url.search !== '' || url.username !== ''
        ? 'only ws://host:port is allowed (no path, query or credentials)'
        : undefined;
  if (problem !== undefined) {
    throw new WsherdError('WSH_ERR_INVALID_INPUT', `--backend "${text}": ${problem}.`, { hint: 'Write ws://host:port, e.g. ws://127.0.0.1:9001.' });
  }
  // WHATWG URL drops the scheme's default port; an L4 relay of wss:// passes TLS through untouched.
  const port = url.port !== '' ? url.port : url.protocol === 'wss:' ? '443' : '80';
  return `${url.hostname}:${port}`;
}
