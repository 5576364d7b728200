/** Turning a listener's bind address and port into the URLs clients and operators use. */

/** Where to connect to reach a listener bound to `host` (a wildcard bind is reached over loopback). */
export function connectHost(host: string): string {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1';
  if (host === '::') return '::1';
  return host;
}

/** `host` as it appears in a URL: IPv6 literals in brackets. */
export function urlHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

/** ws:// URL of a listener bound to `host:port`. */
export function wsUrl(host: string, port: number): string {
  return `ws://${urlHost(connectHost(host))}:${port}/`;
}

/** http:// URL of `path` on a listener bound to `host:port`. */
export function httpUrl(host: string, port: number, path: string): string {
  return `http://${urlHost(connectHost(host))}:${port}${path}`;
}

/**
 * Where a listener bound to `host:port` is, for a banner: the URL clients use, and for a wildcard bind the address it
 * really listens on first (`--host 0.0.0.0` printed as 127.0.0.1 read as a loopback-only server).
 */
export function listeningOn(host: string, port: number, url: string): string {
  if (host === '0.0.0.0' || host === '' || host === '::') {
    const every = host === '::' ? 'every IPv6 (and IPv4) interface' : 'every IPv4 interface';
    return `${urlHost(host === '' ? '0.0.0.0' : host)}:${port} (${every}; from this host: ${url})`;
  }
  return url;
}
