/**
 * TCP sockets by state per (local address, remote address:port) pair, from /proc/net/tcp and /proc/net/tcp6.
 * This is what ephemeral-port depletion is counted in: the kernel gives each (source IP, destination IP,
 * destination port) its own port range, and a TIME_WAIT socket holds its port for 60 s on the side that closed
 * first. Like proc.ts it never throws: an unreadable file counts as no sockets.
 *
 * A pair is written from the local side. The ephemeral end loses its port (thousands of ports would otherwise
 * make thousands of one-socket pairs) and the well-known end keeps it, so a connecting socket is
 * `{ local: '127.0.0.1', remote: '127.0.0.1:9001' }` and a socket a listener accepted is
 * `{ local: '127.0.0.1:9001', remote: '127.0.0.1' }`.
 */
import { readFileSync } from 'node:fs';
import { endianness } from 'node:os';

/** Kernel TCP states by their /proc code (include/net/tcp_states.h), 01..0B. */
export const TCP_STATES = [
  'ESTABLISHED', 'SYN_SENT', 'SYN_RECV', 'FIN_WAIT1', 'FIN_WAIT2', 'TIME_WAIT', 'CLOSE', 'CLOSE_WAIT', 'LAST_ACK', 'LISTEN', 'CLOSING',
] as const;
export type TcpState = (typeof TCP_STATES)[number];

const LISTEN_CODE = 10;

export interface SocketPair {
  /** Local address, with `:port` only when the local end is the listening (well-known) one. */
  local: string;
  /** Remote address with its port (`[v6]:port` for IPv6), or without it when the remote end is the ephemeral one. */
  remote: string;
  /** Socket count per state; states with no socket are absent. */
  states: Partial<Record<TcpState, number>>;
}

export interface SocketPairs {
  /** Non-listening sockets grouped by pair, busiest first (then by local, remote). */
  pairs: SocketPair[];
  /** LISTEN sockets (matching the filter's ports, when given). */
  listening: number;
}

export interface SocketFilter {
  /** Keep only sockets whose local or remote port is one of these (e.g. the lab's listening ports). */
  ports?: number[];
  /** Read /proc/<pid>/net/tcp{,6}: the network namespace of that process instead of this one's. */
  pid?: number;
}

/** Where a reader puts each socket it reads (RawSockets keeps them; PairTally counts them). */
export interface SocketSink {
  add(state: number, local: string, localPort: number, remote: string, remotePort: number): void;
}

/**
 * The sockets read, column by column: an address stays raw (hex from /proc, text from `ss`) until a pair needs its name
 * (they repeat a lot), and no object is made per socket — at 200,000 sockets the table is read every few seconds, and
 * an object and six substrings a line cost the coordinator ~300 ms of CPU a read (a 2-core box's generator needs it).
 */
export class RawSockets implements SocketSink {
  local: string[] = [];
  remote: string[] = [];
  localPort: number[] = [];
  remotePort: number[] = [];
  state: number[] = [];
  add(state: number, local: string, localPort: number, remote: string, remotePort: number): void {
    this.state.push(state);
    this.local.push(local);
    this.localPort.push(localPort);
    this.remote.push(remote);
    this.remotePort.push(remotePort);
  }
  get length(): number {
    return this.state.length;
  }
}

/** Sockets by pair in this network namespace (or `filter.pid`'s), from /proc/net/tcp and /proc/net/tcp6. */
export function socketsByPair(filter: SocketFilter = {}): SocketPairs {
  // Synchronous and through /proc, whose read costs the kernel ~4 µs a socket (0.6 s at 144,000): for one-off reads
  // of small tables. The sampler reads over netlink without blocking (socketTable in src/probes/socket-table.ts).
  const dir = filter.pid === undefined ? '/proc/net' : `/proc/${filter.pid}/net`;
  return parseProcNetTcp([readOrEmpty(`${dir}/tcp`), readOrEmpty(`${dir}/tcp6`)], filter);
}

/** TIME_WAIT sockets per pair (only pairs that have some), most first: the ports a closing side still holds. */
export function timeWaitByPair(filter: SocketFilter = {}): Array<{ local: string; remote: string; timeWait: number }> {
  return socketsByPair(filter).pairs
    .filter((p) => (p.states.TIME_WAIT ?? 0) > 0)
    .map((p) => ({ local: p.local, remote: p.remote, timeWait: p.states.TIME_WAIT ?? 0 }))
    .sort((a, b) => b.timeWait - a.timeWait);
}

function readOrEmpty(file: string): string {
  try {
    return readFileSync(file, 'latin1');
  } catch {
    return '';
  }
}

/**
 * Parses the text of /proc/net/tcp and/or /proc/net/tcp6 (any number of them, header lines included) into
 * pairs. Exported for tests and for files captured elsewhere.
 */
export function parseProcNetTcp(texts: string | string[], filter: Pick<SocketFilter, 'ports'> = {}): SocketPairs {
  const sockets = new RawSockets();
  for (const text of typeof texts === 'string' ? [texts] : texts) parseInto(text, sockets);
  return pairsOf(sockets, filter, decodeAddress);
}

/**
 * Groups sockets by pair. `decode` turns a raw address into its name (called once per distinct raw address); two raw
 * forms of one address (an IPv4-mapped socket in tcp6 and its IPv4 twin) join under the decoded name.
 */
export function pairsOf(sockets: RawSockets, filter: Pick<SocketFilter, 'ports'>, decode: (raw: string) => string): SocketPairs {
  // Without a filter, a local end is the well-known one when something listens on its port.
  const listenPorts = new Set<number>();
  for (let k = 0; k < sockets.length; k++) if (sockets.state[k] === LISTEN_CODE) listenPorts.add(sockets.localPort[k] as number);
  const tally = new PairTally(filter.ports, listenPorts);
  for (let k = 0; k < sockets.length; k++) {
    tally.add(sockets.state[k] as number, sockets.local[k] as string, sockets.localPort[k] as number, sockets.remote[k] as string, sockets.remotePort[k] as number);
  }
  return tally.pairs(decode);
}

/**
 * Counts sockets by pair as they are read. Which end is the well-known one must be known up front: the filter's ports,
 * or (without a filter) the ports something listens on. Raw addresses are expected to repeat as the same strings (the
 * `ss` reader makes each once), and nothing is made per socket: the sampler reads the table every second.
 */
export class PairTally implements SocketSink {
  private readonly wanted: Set<number> | undefined;
  private readonly serverPorts: Set<number>;
  private listening = 0;
  /** Raw local address → raw remote address → the well-known port (accepted: ≥ 0, connecting: −port − 1) → counts. */
  private readonly byRaw = new Map<string, Map<string, Map<number, number[]>>>();

  constructor(ports: readonly number[] | undefined, listenPorts: ReadonlySet<number> = new Set()) {
    this.wanted = ports === undefined ? undefined : new Set(ports);
    this.serverPorts = this.wanted ?? new Set(listenPorts);
  }

  add(state: number, localRaw: string, localPort: number, remoteRaw: string, remotePort: number): void {
    if (state === LISTEN_CODE) {
      if (this.wanted === undefined || this.wanted.has(localPort)) this.listening++;
      return;
    }
    // A listening port cannot also be someone's ephemeral port while the listener holds it: check local first.
    const accepted = this.serverPorts.has(localPort);
    if (!accepted && this.wanted !== undefined && !this.wanted.has(remotePort)) return;
    const port = accepted ? localPort : -remotePort - 1;
    let byRemote = this.byRaw.get(localRaw);
    if (byRemote === undefined) this.byRaw.set(localRaw, (byRemote = new Map()));
    let byPort = byRemote.get(remoteRaw);
    if (byPort === undefined) byRemote.set(remoteRaw, (byPort = new Map()));
    let counts = byPort.get(port);
    if (counts === undefined) byPort.set(port, (counts = new Array<number>(TCP_STATES.length).fill(0)));
    counts[state - 1] = (counts[state - 1] ?? 0) + 1;
  }

  pairs(decode: (raw: string) => string): SocketPairs {
    const names = new Map<string, string>();
    const name = (raw: string): string => {
      let n = names.get(raw);
      if (n === undefined) names.set(raw, (n = decode(raw)));
      return n;
    };
    // Keyed by decoded names, so an IPv4-mapped socket in tcp6 joins its IPv4 twin from tcp.
    const byKey = new Map<string, { local: string; remote: string; counts: number[] }>();
    for (const [localRaw, byRemote] of this.byRaw) {
      for (const [remoteRaw, byPort] of byRemote) {
        for (const [port, counts] of byPort) {
          const local = withPort(name(localRaw), port >= 0 ? port : -1);
          const remote = withPort(name(remoteRaw), port >= 0 ? -1 : -port - 1);
          const key = `${local} ${remote}`;
          const entry = byKey.get(key);
          if (entry === undefined) byKey.set(key, { local, remote, counts: [...counts] });
          else counts.forEach((c, i) => (entry.counts[i] = (entry.counts[i] ?? 0) + c));
        }
      }
    }
    const pairs: Array<SocketPair & { total: number }> = [];
    for (const e of byKey.values()) {
      const states: Partial<Record<TcpState, number>> = {};
      let total = 0;
      e.counts.forEach((c, i) => {
        const state = TCP_STATES[i];
        if (c > 0 && state !== undefined) {
          states[state] = c;
          total += c;
        }
      });
      pairs.push({ local: e.local, remote: e.remote, states, total });
    }
    pairs.sort((a, b) => b.total - a.total || cmp(a.local, b.local) || cmp(a.remote, b.remote));
    return { pairs: pairs.map(({ local, remote, states }) => ({ local, remote, states })), listening: this.listening };
  }
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function withPort(address: string, port: number): string {
  if (port < 0) return address;
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

/**
 * Line layout (net/ipv4/tcp_ipv4.c get_tcp4_sock): `  sl: LLLLLLLL:PPPP RRRRRRRR:PPPP ST …`; tcp6 has 32 hex
 * digits per address. Fields are found by scanning for spaces: no regex, since the file can hold tens of
 * thousands of lines and is read every second.
 */
function parseInto(text: string, out: RawSockets): void {
  let start = text.indexOf('\n') + 1; // skip the header
  if (start === 0) return;
  const end = text.length;
  while (start < end) {
    let nl = text.indexOf('\n', start);
    if (nl === -1) nl = end;
    let i = text.indexOf(':', start) + 1; // past "sl:"
    if (i > 0 && i < nl) {
      i = skipSpaces(text, i);
      const localEnd = text.indexOf(' ', i);
      const remoteStart = skipSpaces(text, localEnd);
      const remoteEnd = text.indexOf(' ', remoteStart);
      const stateStart = skipSpaces(text, remoteEnd);
      const lc = text.lastIndexOf(':', localEnd);
      const rc = text.lastIndexOf(':', remoteEnd);
      const state = hexAt(text, stateStart, stateStart + 2);
      if (localEnd > 0 && remoteEnd > 0 && remoteEnd < nl && lc > i && rc > remoteStart && state >= 1 && state <= TCP_STATES.length) {
        out.local.push(text.substring(i, lc));
        out.localPort.push(hexAt(text, lc + 1, localEnd));
        out.remote.push(text.substring(remoteStart, rc));
        out.remotePort.push(hexAt(text, rc + 1, remoteEnd));
        out.state.push(state);
      }
    }
    start = nl + 1;
  }
}

/** The hex number text[from, to): no substring, no parseInt (-1 on a character that is not hex). */
function hexAt(text: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    const d = c >= 48 && c <= 57 ? c - 48 : c >= 65 && c <= 70 ? c - 55 : c >= 97 && c <= 102 ? c - 87 : -1;
    if (d < 0) return -1;
    n = n * 16 + d;
  }
  return n;
}

function skipSpaces(text: string, i: number): number {
  while (text.charCodeAt(i) === 32) i++;
  return i;
}

// The kernel prints each 32-bit word of an address with %08X of its in-memory value, so on a little-endian
// machine the bytes of every word come out reversed.
const LITTLE_ENDIAN = endianness() === 'LE';

function wordBytes(hex: string, at: number, into: number[]): void {
  const b = [0, 2, 4, 6].map((o) => parseInt(hex.substring(at + o, at + o + 2), 16));
  into.push(...(LITTLE_ENDIAN ? b.reverse() : b));
}

/** `0100007F` → `127.0.0.1`; 32 hex digits → a compressed IPv6 address, IPv4-mapped ones as IPv4. */
export function decodeAddress(hex: string): string {
  const bytes: number[] = [];
  for (let at = 0; at + 8 <= hex.length; at += 8) wordBytes(hex, at, bytes);
  if (bytes.length === 4) return bytes.join('.');
  if (bytes.length !== 16) return hex;
  if (bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff) return bytes.slice(12).join('.');
  const groups: number[] = [];
  for (let g = 0; g < 8; g++) groups.push(((bytes[2 * g] ?? 0) << 8) | (bytes[2 * g + 1] ?? 0));
  return formatIpv6(groups);
}

/** RFC 5952: lowercase, no leading zeros, the longest run of two or more zero groups (first if tied) as `::`. */
export function formatIpv6(groups: readonly number[]): string {
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hexes = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hexes.join(':');
  return `${hexes.slice(0, bestStart).join(':')}::${hexes.slice(bestStart + bestLen).join(':')}`;
}
