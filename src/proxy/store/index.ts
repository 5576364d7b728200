/** Opens the sticky-table store named by a URL: unset or `memory` → in-process; `redis://host:port[/db]` → Redis. */
import { WsherdError } from '../../errors.js';
import { MemoryStore } from './memory.js';
import { RedisStore, type RedisTarget } from './redis.js';
import type { OpenStoreOptions, StickyStore } from './types.js';

export type { OpenStoreOptions, StickyStore } from './types.js';
export { StoreError } from './types.js';
export { MemoryStore, type MemoryStoreOptions } from './memory.js';
export { RedisStore, type RedisTarget } from './redis.js';

const FORMS = 'Use "memory" or redis://[:password@]host[:port][/db], e.g. redis://127.0.0.1:6379/0.';

export async function openStore(url: string | undefined, opts: OpenStoreOptions = {}): Promise<StickyStore> {
  if (url === undefined || url === 'memory') return new MemoryStore();
  return RedisStore.open(parseRedisUrl(url), opts);
}

/** Parses a redis:// URL; anything else (rediss://, other schemes, bad port or db) is WSH_ERR_INVALID_INPUT. */
export function parseRedisUrl(url: string, env: NodeJS.ProcessEnv = process.env): RedisTarget {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw invalid(`Invalid store URL ${JSON.stringify(url)}: not a URL.`, FORMS);
  }
  if (u.protocol === 'rediss:') {
    throw invalid(
      `Invalid store URL ${JSON.stringify(redact(u))}: TLS to Redis (rediss://) is not supported.`,
      'Use redis:// to a Redis on a trusted network, or a local TLS tunnel (stunnel, spiped) and point redis:// at it.',
    );
  }
  if (u.protocol !== 'redis:') {
    throw invalid(`Invalid store URL ${JSON.stringify(redact(u))}: scheme ${u.protocol.replace(/:$/, '')} is not supported.`, FORMS);
  }
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
  if (host === '') throw invalid(`Invalid store URL ${JSON.stringify(redact(u))}: no host.`, FORMS);
  const port = u.port === '' ? 6379 : Number(u.port);
  const dbText = u.pathname.replace(/^\//, '');
  if (dbText !== '' && !/^\d+$/.test(dbText)) {
    throw invalid(`Invalid store URL ${JSON.stringify(redact(u))}: the path must be a database number, got "/${dbText}".`, FORMS);
  }
  const target: RedisTarget = { host, port, db: dbText === '' ? 0 : Number(dbText), display: redact(u) };
  if (u.password !== '') {
    target.password = decodeURIComponent(u.password);
    if (u.username !== '') target.username = decodeURIComponent(u.username);
  } else if (env.REDISCLI_AUTH !== undefined && env.REDISCLI_AUTH !== '') {
    // redis-cli's own variable: the password stays out of every command line (and out of `display`).
    target.password = env.REDISCLI_AUTH;
  }
  return target;
}

function redact(u: URL): string {
  if (u.password === '') return u.href.replace(/\/$/, '');
  const c = new URL(u.href);
  c.password = '***';
  return c.href.replace(/\/$/, '');
}

function invalid(message: string, hint: string): WsherdError {
  return new WsherdError('WSH_ERR_INVALID_INPUT', message, { hint });
}
