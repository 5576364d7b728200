/**
 * The lab's reference authoritative DNS server, so DNS round robin can be measured as a balancing approach
 * next to the proxy's strategies: every name answers with all of its backends' addresses, rotated by one on
 * each query (BIND's default `rrset-order cyclic`), with a fixed TTL. Like plain DNS it does no health checks
 * unless asked; `health` adds TCP-connect checks as health-checked DNS services do (Route53, NS1), including
 * their fail-open rule: when every address of a name is down, all of them are answered (an empty answer would
 * take the whole service down on a checker glitch). Runtime record changes let a scenario inject faults.
 *
 * Answers are limited to what fits in 512 bytes (about 29 IPv4 addresses): no EDNS, no TCP.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import { WsherdError } from '../errors.js';
import {
  CLASS_IN, DnsFormatError, RCODE, TYPE_A, TYPE_AAAA, buildHeaderOnlyResponse, buildResponse, encodeName, parseHeader, parseQuery,
  type DnsQuery, type Rcode,
} from './packet.js';

export interface ZoneEntry {
  /** The name clients resolve, e.g. `app.lab.test` (case-insensitive, trailing dot optional). */
  name: string;
  /** IPv4 addresses answer A queries, IPv6 ones AAAA queries. */
  addresses: string[];
  /** The backends' shared port, used only by health checks. */
  port?: number;
}

export interface DnsHealthOptions {
  /** Time between two checks of one address, ms. */
  intervalMs: number;
  /** A TCP connect not established within this many ms fails the check. */
  timeoutMs: number;
  /** Consecutive successful checks that bring a down address back. */
  rise: number;
  /** Consecutive failed checks that take an address out of the answers. */
  fall: number;
}

export interface DnsServerOptions {
  /** UDP listen address (default 127.0.0.1). */
  host?: string;
  /** UDP port; 0 (default) picks a free one. */
  port?: number;
  zone: ZoneEntry[];
  /** TTL of every answer, seconds (default 30). */
  ttlSeconds?: number;
  /** The zone apex: names under it that are not in the zone get NXDOMAIN, names elsewhere REFUSED.
   *  Default: the longest common parent of the zone's names (`app.lab.test` → `lab.test`). */
  origin?: string;
  /** TCP-connect health checks to address:port (off by default, as in plain DNS). */
  health?: DnsHealthOptions;
}

export type DnsHealthState = 'up' | 'down' | 'unchecked';

export interface DnsAddressStats {
  /** Answers that had this address first (what a getaddrinfo+connect client uses). */
  first: number;
  health: DnsHealthState;
  /** false once removed from the name (its counts are kept). */
  inZone: boolean;
}

export interface DnsServerStats {
  /** Messages with a readable header that were not responses. */
  queries: number;
  /** NOERROR responses (with or without answers). */
  answered: number;
  nxdomain: number;
  refused: number;
  formerr: number;
  notimp: number;
  names: Record<string, { queries: number; addresses: Record<string, DnsAddressStats> }>;
}

export interface DnsServer {
  readonly host: string;
  readonly port: number;
  /** The addresses a query for `name` would get now (before rotation). */
  inRotation(name: string): string[];
  /** Each returns the name's addresses after the change. */
  removeAddress(name: string, address: string): string[];
  addAddress(name: string, address: string): string[];
  setAddresses(name: string, addresses: string[]): string[];
  stats(): DnsServerStats;
  close(): Promise<void>;
}

interface AddrState {
  first: number;
  inZone: boolean;
  up: boolean;
  checked: boolean;
  okRun: number;
  badRun: number;
  probe: net.Socket | undefined;
}

interface NameRecord {
  name: string;
  port: number | undefined;
  addresses: string[];
  /** Per qtype: queries answered so far, the rotation offset. */
  rotation: Map<number, number>;
  queries: number;
  state: Map<string, AddrState>;
}

function invalid(message: string, hint?: string): WsherdError {
  return new WsherdError('WSH_ERR_INVALID_INPUT', `dns: ${message}`, hint === undefined ? {} : { hint });
}

export function normalizeName(name: string): string {
  const n = (name.endsWith('.') ? name.slice(0, -1) : name).toLowerCase();
  try {
    encodeName(n);
  } catch (err) {
    throw invalid((err as Error).message, 'Use a DNS name such as app.lab.test.');
  }
  return n;
}

function checkAddresses(name: string, addresses: readonly string[]): void {
  for (const a of addresses) {
    if (net.isIP(a) === 0) throw invalid(`"${a}" for ${name} is not an IP address`, 'List backend addresses such as 127.0.0.2.');
  }
}

function defaultOrigin(names: string[]): string {
  const parents = names.map((n) => n.split('.').slice(1));
  let common = parents[0] ?? [];
  for (const p of parents) {
    let k = 0;
    while (k < common.length && k < p.length && common[common.length - 1 - k] === p[p.length - 1 - k]) k++;
    common = common.slice(common.length - k);
  }
  return common.join('.');
}

function under(name: string, origin: string): boolean {
  return origin === '' || name === origin || name.endsWith(`.${origin}`);
}

function freshState(): AddrState {
  return { first: 0, inZone: true, up: true, checked: false, okRun: 0, badRun: 0, probe: undefined };
}

export async function startDnsServer(opts: DnsServerOptions): Promise<DnsServer> {
  const host = opts.host ?? '127.0.0.1';
  const ttl = opts.ttlSeconds ?? 30;
  if (!Number.isInteger(ttl) || ttl < 0) throw invalid(`ttlSeconds must be a whole number ≥ 0, got ${ttl}`);
  const records = new Map<string, NameRecord>();
  for (const entry of opts.zone) {
    const name = normalizeName(entry.name);
    if (records.has(name)) throw invalid(`${name} is listed twice in the zone`);
    checkAddresses(name, entry.addresses);
    if (opts.health && entry.port === undefined) throw invalid(`${name} has no port to health-check`, 'Give each zone name a port, or drop health.');
    const state = new Map<string, AddrState>();
    for (const a of entry.addresses) state.set(a, freshState());
    records.set(name, { name, port: entry.port, addresses: [...new Set(entry.addresses)], rotation: new Map(), queries: 0, state });
  }
  const origin = opts.origin === undefined ? defaultOrigin([...records.keys()]) : normalizeName(opts.origin);
  const counts = { queries: 0, answered: 0, nxdomain: 0, refused: 0, formerr: 0, notimp: 0 };
  const health = opts.health;

  const rotationSet = (rec: NameRecord): string[] => {
    const up = rec.addresses.filter((a) => rec.state.get(a)?.up !== false);
    // Fail open, as Route53 does: all unhealthy means the checks are the likelier fault.
    return up.length > 0 ? up : [...rec.addresses];
  };

  const answer = (rec: NameRecord, qtype: number): string[] => {
    if (qtype !== TYPE_A && qtype !== TYPE_AAAA) return [];
    const family = qtype === TYPE_A ? 4 : 6;
    const list = rotationSet(rec).filter((a) => net.isIP(a) === family);
    if (list.length === 0) return [];
    const n = rec.rotation.get(qtype) ?? 0;
    rec.rotation.set(qtype, n + 1);
    const k = n % list.length;
    const rotated = [...list.slice(k), ...list.slice(0, k)];
    const st = rec.state.get(rotated[0] as string);
    if (st) st.first++;
    return rotated;
  };

  const resolve = (query: DnsQuery): { rcode: Rcode; addresses?: string[] } => {
    if (query.header.opcode !== 0) return { rcode: RCODE.NOTIMP };
    // RFC 9619: a query has exactly one question.
    if (query.questions.length !== 1) return { rcode: RCODE.FORMERR };
    const q = query.questions[0] as (typeof query.questions)[0];
    if (q.class !== CLASS_IN) return { rcode: RCODE.REFUSED };
    const rec = records.get(q.name);
    if (rec) {
      rec.queries++;
      return { rcode: RCODE.NOERROR, addresses: answer(rec, q.type) };
    }
    if (!under(q.name, origin)) return { rcode: RCODE.REFUSED };
    // The apex and empty non-terminals (lab.test, x.lab.test above a.x.lab.test) exist, with no data.
    if (q.name === origin || [...records.keys()].some((n) => n.endsWith(`.${q.name}`))) return { rcode: RCODE.NOERROR };
    return { rcode: RCODE.NXDOMAIN };
  };

  const tally = (rcode: number): void => {
    if (rcode === RCODE.NOERROR) counts.answered++;
    else if (rcode === RCODE.NXDOMAIN) counts.nxdomain++;
    else if (rcode === RCODE.REFUSED) counts.refused++;
    else if (rcode === RCODE.FORMERR) counts.formerr++;
    else if (rcode === RCODE.NOTIMP) counts.notimp++;
  };

  const socket = dgram.createSocket(net.isIPv6(host) ? 'udp6' : 'udp4');
  socket.on('message', (msg, rinfo) => {
    const header = parseHeader(msg);
    // Too short to answer, or a response (answering responses invites loops): dropped.
    if (!header || header.qr) return;
    counts.queries++;
    let reply: Buffer;
    try {
      const query = parseQuery(msg);
      const { rcode, addresses } = resolve(query);
      tally(rcode);
      // AA only where the server speaks for the zone: data, no data, or a name that does not exist.
      const aa = rcode === RCODE.NOERROR || rcode === RCODE.NXDOMAIN;
      reply = buildResponse(msg, query, { rcode, aa, addresses: addresses ?? [], ttlSeconds: ttl });
    } catch (err) {
      if (!(err instanceof DnsFormatError)) throw err;
      tally(RCODE.FORMERR);
      reply = buildHeaderOnlyResponse(header, RCODE.FORMERR);
    }
    socket.send(reply, rinfo.port, rinfo.address, () => undefined);
  });
  // Send errors (a client gone) are per datagram; nothing to do for the server.
  socket.on('error', () => undefined);
  const port = await new Promise<number>((resolvePort, reject) => {
    const onError = (err: NodeJS.ErrnoException): void =>
      reject(invalid(`cannot listen on udp ${host}:${opts.port ?? 0}: ${err.code ?? err.message}`, 'Pick another port, or 0 for an ephemeral one.'));
    socket.once('error', onError);
    socket.bind(opts.port ?? 0, host, () => {
      socket.off('error', onError);
      resolvePort(socket.address().port);
    });
  });

  let closed = false;
  const probe = (rec: NameRecord, address: string, st: AddrState, h: DnsHealthOptions): void => {
    const sock = net.connect({ host: address, port: rec.port as number });
    st.probe = sock;
    const timer = setTimeout(() => done(false), h.timeoutMs);
    const done = (ok: boolean): void => {
      clearTimeout(timer);
      if (st.probe !== sock) return;
      st.probe = undefined;
      sock.destroy();
      if (closed) return;
      st.checked = true;
      if (ok) {
        st.okRun++;
        st.badRun = 0;
        if (!st.up && st.okRun >= h.rise) st.up = true;
      } else {
        st.badRun++;
        st.okRun = 0;
        if (st.up && st.badRun >= h.fall) st.up = false;
      }
    };
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
    // A probe destroyed by a record change or close() ends here, which also clears its timer.
    sock.once('close', () => done(false));
  };
  const checkAll = (): void => {
    if (!health) return;
    for (const rec of records.values()) {
      for (const a of rec.addresses) {
        const st = rec.state.get(a);
        if (st && st.probe === undefined) probe(rec, a, st, health);
      }
    }
  };
  const interval = health ? setInterval(checkAll, health.intervalMs) : undefined;
  checkAll();

  const recordOf = (name: string): NameRecord => {
    const rec = records.get(normalizeName(name));
    if (!rec) throw invalid(`${name} is not in the zone`, `Known names: ${[...records.keys()].join(', ')}.`);
    return rec;
  };
  const setOn = (rec: NameRecord, addresses: string[]): string[] => {
    checkAddresses(rec.name, addresses);
    const next = [...new Set(addresses)];
    for (const a of rec.addresses) {
      if (next.includes(a)) continue;
      const st = rec.state.get(a);
      if (!st) continue;
      st.inZone = false;
      st.probe?.destroy();
      st.probe = undefined;
    }
    for (const a of next) {
      const st = rec.state.get(a);
      // A returning address starts fresh and healthy, like a new one: the checks judge it from now on.
      if (!st) rec.state.set(a, freshState());
      else if (!st.inZone) Object.assign(st, { ...freshState(), first: st.first });
    }
    rec.addresses = next;
    return [...next];
  };

  return {
    host,
    port,
    inRotation: (name) => rotationSet(recordOf(name)),
    removeAddress: (name, address) => {
      const rec = recordOf(name);
      return setOn(rec, rec.addresses.filter((a) => a !== address));
    },
    addAddress: (name, address) => {
      const rec = recordOf(name);
      return setOn(rec, [...rec.addresses, address]);
    },
    setAddresses: (name, addresses) => setOn(recordOf(name), addresses),
    stats: () => {
      const names: DnsServerStats['names'] = {};
      for (const rec of records.values()) {
        const addresses: Record<string, DnsAddressStats> = {};
        for (const [a, st] of rec.state) {
          addresses[a] = { first: st.first, inZone: st.inZone, health: !health || !st.checked ? 'unchecked' : st.up ? 'up' : 'down' };
        }
        names[rec.name] = { queries: rec.queries, addresses };
      }
      return { ...counts, names };
    },
    close: async () => {
      if (closed) return;
      closed = true;
      if (interval) clearInterval(interval);
      for (const rec of records.values()) for (const st of rec.state.values()) st.probe?.destroy();
      await new Promise<void>((r) => socket.close(() => r()));
    },
  };
}
