/**
 * The socket table without blocking the caller: over netlink (sock_diag) through iproute2's `ss`, in a child process
 * whose output is parsed as it streams in; /proc/net/tcp{,6}, read asynchronously, when `ss` is missing or the sockets
 * live in another network namespace.
 *
 * Why not /proc: the kernel prints /proc/net/tcp a page at a time and costs ~4 µs of its own CPU a socket (0.58 s at
 * 144,000 sockets on the 2-core box this was measured on, 5 min of wall time for `wc -l` at ~280,000 while the box was
 * opening connections), and a synchronous read froze the coordinator for as long. `ss` asks the kernel for a binary
 * dump, filtered by port in the kernel: 0.26 s for two ports' 18,000 sockets among those 144,000.
 */
import { spawn } from 'node:child_process';
import { readFile, readlink } from 'node:fs/promises';
import { PairTally, pairsOf, parseProcNetTcp, RawSockets, type SocketFilter, type SocketPairs, type SocketSink } from './sockets.js';

export interface SocketTableRead extends SocketPairs {
  /** Where the table came from: `netlink` (`ss`) or `proc` (/proc/net/tcp{,6}). */
  source: 'netlink' | 'proc';
  /** Wall time the read took, ms. */
  ms: number;
}

// `ss` prints the kernel's states with dashes (ESTAB for ESTABLISHED, UNCONN for CLOSE); codes as in TCP_STATES.
const SS_STATES = new Map<string, number>([
  ['ESTAB', 1], ['SYN-SENT', 2], ['SYN-RECV', 3], ['FIN-WAIT-1', 4], ['FIN-WAIT-2', 5], ['TIME-WAIT', 6],
  ['UNCONN', 7], ['CLOSE-WAIT', 8], ['LAST-ACK', 9], ['LISTEN', 10], ['CLOSING', 11],
]);

/** Set once `ss` could not be started, so a missing binary is looked for once, not on every read. */
let ssMissing = false;

/** Sockets by pair (as socketsByPair) read without blocking. Never rejects: an unreadable table has no sockets. */
export async function socketTable(filter: SocketFilter & { signal?: AbortSignal } = {}): Promise<SocketTableRead> {
  const started = performance.now();
  const ownNamespace = filter.pid === undefined || (await sameNetNamespace(filter.pid));
  if (ownNamespace && !ssMissing) {
    // With ports, which end is the well-known one is known up front: sockets are counted as they stream in.
    if (filter.ports !== undefined) {
      const tally = new PairTally(filter.ports);
      if (await readViaSs(filter.ports, tally, filter.signal)) return { ...tally.pairs(ssAddress), source: 'netlink', ms: performance.now() - started };
    } else {
      const raw = new RawSockets();
      if (await readViaSs(undefined, raw, filter.signal)) return { ...pairsOf(raw, filter, ssAddress), source: 'netlink', ms: performance.now() - started };
    }
  }
  const dir = filter.pid === undefined ? '/proc/net' : `/proc/${filter.pid}/net`;
  const texts = await Promise.all(['tcp', 'tcp6'].map((f) => readFile(`${dir}/${f}`, 'latin1').catch(() => '')));
  return { ...parseProcNetTcp(texts, filter), source: 'proc', ms: performance.now() - started };
}

async function sameNetNamespace(pid: number): Promise<boolean> {
  const [own, theirs] = await Promise.all([readlink('/proc/self/ns/net').catch(() => ''), readlink(`/proc/${pid}/ns/net`).catch(() => '?')]);
  return own === theirs;
}

/** The kernel-side filter: a socket with one of the ports at either end (ss(8) FILTER syntax). */
export function portFilter(ports: readonly number[]): string[] {
  if (ports.length === 0) return [];
  return [`( ${ports.map((p) => `sport = :${p} or dport = :${p}`).join(' or ')} )`];
}

/** The sockets `ss -Htan` lists, into `out`; false when `ss` could not run (then the caller reads /proc). */
function readViaSs(ports: readonly number[] | undefined, out: SocketSink, signal?: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    const names = new AddressNames();
    let rest: Buffer | undefined;
    let settled = false;
    const done = (v: boolean): void => {
      if (!settled) resolve(v);
      settled = true;
    };
    // An empty port list matches nothing (as the /proc path's filter would): no need to ask.
    if (ports !== undefined && ports.length === 0) return done(true);
    const child = spawn('ss', ['-H', '-t', '-a', '-n', ...portFilter(ports ?? [])], {
      stdio: ['ignore', 'pipe', 'ignore'],
      ...(signal === undefined ? {} : { signal }),
    });
    child.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') ssMissing = true;
      done(err.name === 'AbortError');
    });
    // Bytes, not text: a sample of 10,000 sockets is ~1 MB of output a second, and decoding it into strings (joined
    // across chunks, cut into fields) kept enough alive across scavenges that V8 grew the coordinator's young
    // generation and old space by 20-30 MB while it held 10,000 idle connections (issue 17: the whole tree's bytes per
    // connection). Parsed in place, only a line cut by a chunk's end is copied.
    child.stdout.on('data', (chunk: Buffer) => {
      const buf = rest === undefined ? chunk : Buffer.concat([rest, chunk]);
      const last = buf.lastIndexOf(10);
      if (last < 0) {
        rest = buf;
        return;
      }
      parseSsBytes(buf, last, out, names);
      rest = last + 1 < buf.length ? Buffer.from(buf.subarray(last + 1)) : undefined;
    });
    child.on('close', (code) => {
      if (rest !== undefined) parseSsBytes(Buffer.concat([rest, Buffer.from('\n')]), rest.length, out, names);
      // ss exits 0 even with no socket; another code (an old ss rejecting the filter) falls back to /proc.
      done(code === 0 || signal?.aborted === true);
    });
  });
}

/**
 * Lines `STATE RECV-Q SEND-Q LOCAL:PORT PEER:PORT`, columns padded with spaces, buf[0, end) (end at a newline).
 * States and addresses are the same few strings over and over (sources × backends): each is made once per read (AddressNames).
 */
export function parseSsBytes(buf: Buffer, end: number, out: SocketSink, names: AddressNames = new AddressNames()): void {
  let start = 0;
  while (start < end) {
    let nl = buf.indexOf(10, start);
    if (nl === -1 || nl > end) nl = end;
    // Five space-separated fields; a socket is added only once its fifth (the peer) is read, so a line cut short or
    // not a socket adds nothing.
    let i = start;
    let state = 0;
    let local = '';
    let localPort = 0;
    let fields = 0;
    for (; fields < 5 && i < nl; fields++) {
      while (i < nl && buf[i] === 32) i++;
      const from = i;
      while (i < nl && buf[i] !== 32) i++;
      if (i === from) break;
      if (fields === 0) {
        // The state's name is one of a few strings, made once per read like the addresses.
        const code = SS_STATES.get(names.of(buf, from, i));
        if (code === undefined) break;
        state = code;
      } else if (fields >= 3) {
        const colon = buf.lastIndexOf(58, i - 1);
        if (colon < from) break;
        if (fields === 3) {
          local = names.of(buf, from, colon);
          localPort = decimalAt(buf, colon + 1, i);
        } else out.add(state, local, localPort, names.of(buf, from, colon), decimalAt(buf, colon + 1, i));
      }
    }
    start = nl + 1;
  }
}

/** Strings of byte ranges, each distinct one made once: looked up by a hash of the bytes, then compared byte by byte. */
export class AddressNames {
  private readonly byHash = new Map<number, string[]>();

  of(buf: Buffer, from: number, to: number): string {
    const h = fnv1a(buf, from, to);
    let bucket = this.byHash.get(h);
    if (bucket !== undefined) {
      for (const s of bucket) if (sameBytes(s, buf, from, to)) return s;
    } else this.byHash.set(h, (bucket = []));
    const s = buf.toString('latin1', from, to);
    bucket.push(s);
    return s;
  }
}

/** FNV-1a over buf[from, to). */
function fnv1a(buf: Uint8Array, from: number, to: number): number {
  let h = 0x811c9dc5;
  for (let i = from; i < to; i++) h = Math.imul(h ^ (buf[i] as number), 0x01000193);
  return h >>> 0;
}

function sameBytes(s: string, buf: Buffer, from: number, to: number): boolean {
  if (s.length !== to - from) return false;
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) !== buf[from + i]) return false;
  return true;
}

/** The decimal number buf[from, to), or 0 for `*` (a listener's wildcard peer) or anything not a number. */
function decimalAt(buf: Uint8Array, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) {
    const d = (buf[i] as number) - 48;
    if (d < 0 || d > 9) return 0;
    n = n * 10 + d;
  }
  return n;
}

/** `[::ffff:127.0.0.1]` → `127.0.0.1`, `[::1]` → `::1`, `127.0.0.53%lo` → `127.0.0.53`: the names /proc's path gives. */
export function ssAddress(raw: string): string {
  let a = raw;
  const scope = a.indexOf('%');
  if (scope >= 0) {
    a = a.substring(0, scope);
    if (a.startsWith('[') && !a.endsWith(']')) a += ']';
  }
  if (a.startsWith('[') && a.endsWith(']')) a = a.substring(1, a.length - 1);
  if (a.toLowerCase().startsWith('::ffff:') && a.includes('.')) a = a.substring(7);
  return a;
}
