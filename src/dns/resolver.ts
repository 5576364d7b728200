/**
 * A stub resolver for the `dns` client engine. Node's own `dns` module goes through getaddrinfo (the OS
 * configuration, a thread pool of 4) or c-ares (its own retry policy and no source-address binding per
 * query), neither of which lets a load generator name the server, bind a population's source address,
 * or see exactly why a lookup failed. One UDP socket per query, closed afterwards, as a stub resolver
 * without a cache does; a random id and an exact question match guard against stray or spoofed answers,
 * which are ignored (the query then times out) rather than trusted.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import { randomInt } from 'node:crypto';
import { CLASS_IN, DnsFormatError, RCODE, TYPE_A, TYPE_AAAA, buildQuery, parseHeader, parseResponse } from './packet.js';

export type DnsErrorCode =
  | 'dns_timeout'
  | 'dns_nxdomain'
  | 'dns_refused'
  | 'dns_servfail'
  | 'dns_formerr'
  | 'dns_no_answer'
  | 'dns_bad_response'
  /** A local socket error (EMFILE, EADDRNOTAVAIL, …): the generator's problem, not the server's, so kept apart. */
  | `E${string}`;

/** A failed lookup; `code` is the error code counted per client in reports. */
export class DnsLookupError extends Error {
  constructor(
    readonly code: DnsErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'DnsLookupError';
  }
}

export interface DnsAnswer {
  addresses: string[];
  /** The smallest TTL among the answers, seconds. */
  ttlSeconds: number;
}

export interface QueryOptions {
  server: { host: string; port: number };
  /** Wait this long for an answer to each try, ms. */
  timeoutMs: number;
  /** Tries after the first (each resends the same query and waits timeoutMs again). */
  retries: number;
  /** Source address of the query (a population's address). */
  localAddress?: string;
  /** 'A' (default) or 'AAAA'. */
  type?: 'A' | 'AAAA';
}

function rcodeError(rcode: number, name: string): DnsLookupError {
  switch (rcode) {
    case RCODE.NXDOMAIN:
      return new DnsLookupError('dns_nxdomain', `${name} does not exist (NXDOMAIN)`);
    case RCODE.REFUSED:
      return new DnsLookupError('dns_refused', `the server refused to answer for ${name} (REFUSED)`);
    case RCODE.SERVFAIL:
      return new DnsLookupError('dns_servfail', `the server failed to answer for ${name} (SERVFAIL)`);
    case RCODE.FORMERR:
      return new DnsLookupError('dns_formerr', `the server could not parse the query for ${name} (FORMERR)`);
    default:
      return new DnsLookupError('dns_bad_response', `unexpected RCODE ${rcode} for ${name}`);
  }
}

export function queryA(name: string, opts: QueryOptions): Promise<DnsAnswer> {
  const qtype = opts.type === 'AAAA' ? TYPE_AAAA : TYPE_A;
  const qname = (name.endsWith('.') ? name.slice(0, -1) : name).toLowerCase();
  let query: Buffer;
  try {
    query = buildQuery(randomInt(0, 0x10000), qname, qtype);
  } catch (err) {
    return Promise.reject(new DnsLookupError('dns_bad_response', `cannot ask for "${name}": ${(err as Error).message}`));
  }
  const id = query.readUInt16BE(0);
  const { host, port } = opts.server;
  const socket = dgram.createSocket(net.isIPv6(host) ? 'udp6' : 'udp4');
  return new Promise<DnsAnswer>((resolve, reject) => {
    let tries = 0;
    let timer: NodeJS.Timeout | undefined;
    let settled = false;
    const finish = (err: DnsLookupError | undefined, answer?: DnsAnswer): void => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      try {
        socket.close();
      } catch {
        // already closed by a failed bind
      }
      if (err) reject(err);
      else resolve(answer as DnsAnswer);
    };
    const send = (): void => {
      tries++;
      socket.send(query, port, host, (err) => {
        if (err) finish(socketError(err, `cannot send the query for ${name} to ${host}:${port}`));
      });
      timer = setTimeout(() => {
        if (tries <= opts.retries) send();
        else finish(new DnsLookupError('dns_timeout', `no answer for ${name} from ${host}:${port} after ${tries} tries of ${opts.timeoutMs} ms`));
      }, opts.timeoutMs);
    };
    socket.on('message', (msg, rinfo) => {
      // Only the server we asked, with our id and question, may answer.
      if (rinfo.port !== port || !sameHost(rinfo.address, host)) return;
      const header = parseHeader(msg);
      if (!header || !header.qr || header.id !== id) return;
      let res;
      try {
        res = parseResponse(msg);
      } catch (err) {
        if (!(err instanceof DnsFormatError)) throw err;
        // A header-only error answer (FORMERR to our query) has no question to match.
        if (header.qdcount === 0 && header.rcode !== RCODE.NOERROR) return finish(rcodeError(header.rcode, name));
        return finish(new DnsLookupError('dns_bad_response', `unparseable answer for ${name}: ${err.message}`));
      }
      const q = res.questions[0];
      if (res.questions.length === 0 && header.rcode !== RCODE.NOERROR) return finish(rcodeError(header.rcode, name));
      if (res.questions.length !== 1 || !q || q.name !== qname || q.type !== qtype || q.class !== CLASS_IN) return;
      if (header.rcode !== RCODE.NOERROR) return finish(rcodeError(header.rcode, name));
      const records = res.answers.filter((r) => r.type === qtype && r.class === CLASS_IN && r.address !== undefined);
      if (records.length === 0) return finish(new DnsLookupError('dns_no_answer', `${name} has no ${opts.type ?? 'A'} records`));
      finish(undefined, { addresses: records.map((r) => r.address as string), ttlSeconds: Math.min(...records.map((r) => r.ttl)) });
    });
    socket.on('error', (err) => finish(socketError(err, `query socket for ${name}${opts.localAddress ? ` from ${opts.localAddress}` : ''}`)));
    const bindOpts = opts.localAddress === undefined ? { port: 0 } : { port: 0, address: opts.localAddress };
    socket.bind(bindOpts, send);
  });
}

function socketError(err: NodeJS.ErrnoException, what: string): DnsLookupError {
  const code = typeof err.code === 'string' && /^E[A-Z0-9]+$/.test(err.code) ? (err.code as `E${string}`) : 'dns_timeout';
  return new DnsLookupError(code, `${what}: ${err.message}`);
}

function sameHost(a: string, b: string): boolean {
  return a === b || a === `::ffff:${b}` || (b === 'localhost' && (a === '127.0.0.1' || a === '::1'));
}
