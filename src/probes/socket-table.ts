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
import { pairsOf, parseProcNetTcp, RawSockets, type SocketFilter, type SocketPairs } from './sockets.js';

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
    const raw = await readViaSs(filter.ports, filter.signal);
    if (raw !== undefined) return { ...pairsOf(raw, filter, ssAddress), source: 'netlink', ms: performance.now() - started };
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

/** The sockets `ss -Htan` lists, or undefined when `ss` could not run (then the caller reads /proc). */
function readViaSs(ports: readonly number[] | undefined, signal?: AbortSignal): Promise<RawSockets | undefined> {
  return new Promise((resolve) => {
    const out = new RawSockets();
    let rest = '';
    let settled = false;
    const done = (v: RawSockets | undefined): void => {
      if (!settled) resolve(v);
      settled = true;
    };
    // An empty port list matches nothing (as the /proc path's filter would): no need to ask.
    if (ports !== undefined && ports.length === 0) return done(out);
    const child = spawn('ss', ['-H', '-t', '-a', '-n', ...portFilter(ports ?? [])], {
      stdio: ['ignore', 'pipe', 'ignore'],
      ...(signal === undefined ? {} : { signal }),
    });
    child.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') ssMissing = true;
      done(err.name === 'AbortError' ? out : undefined);
    });
    child.stdout.setEncoding('latin1');
    child.stdout.on('data', (chunk: string) => {
      const text = rest + chunk;
      const last = text.lastIndexOf('\n');
      if (last < 0) {
        rest = text;
        return;
      }
      parseSsLines(text, last, out);
      rest = text.slice(last + 1);
    });
    child.on('close', (code) => {
      if (rest !== '') parseSsLines(`${rest}\n`, rest.length, out);
      // ss exits 0 even with no socket; another code (an old ss rejecting the filter) falls back to /proc.
      done(code === 0 || signal?.aborted === true ? out : undefined);
    });
  });
}

/**
 * Lines `STATE RECV-Q SEND-Q LOCAL:PORT PEER:PORT`, columns padded with spaces, text[0, end) (end at a newline).
 * Exported for tests.
 */
export function parseSsLines(text: string, end: number, out: RawSockets): void {
  let start = 0;
  while (start < end) {
    let nl = text.indexOf('\n', start);
    if (nl === -1 || nl > end) nl = end;
    // Five space-separated fields; only the state and the two addresses become strings (144,000 lines a read).
    let i = start;
    let state: number | undefined;
    let fields = 0;
    for (; fields < 5 && i < nl; fields++) {
      while (i < nl && text.charCodeAt(i) === 32) i++;
      const from = i;
      while (i < nl && text.charCodeAt(i) !== 32) i++;
      if (i === from) break;
      if (fields === 0) {
        state = SS_STATES.get(text.substring(from, i));
        if (state === undefined) break;
      } else if (fields >= 3) {
        const colon = text.lastIndexOf(':', i - 1);
        if (colon < from) break;
        (fields === 3 ? out.local : out.remote).push(text.substring(from, colon));
        (fields === 3 ? out.localPort : out.remotePort).push(decimalAt(text, colon + 1, i));
      }
    }
    if (fields === 5 && state !== undefined) out.state.push(state);
    else {
      // A line cut short (or not a socket): drop what it pushed, so the columns stay aligned.
      const n = out.state.length;
      out.local.length = n;
      out.localPort.length = n;
      out.remote.length = n;
      out.remotePort.length = n;
    }
    start = nl + 1;
  }
}

/** The decimal number text[from, to), or 0 for `*` (a listener's wildcard peer) or anything not a number. */
function decimalAt(text: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) {
    const d = text.charCodeAt(i) - 48;
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
