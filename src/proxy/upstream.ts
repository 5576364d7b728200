/**
 * Limits of the proxy's own resources: the pool of local source addresses for upstream connects (ephemeral
 * ports run out per (source address, backend address, backend port), so several sources multiply the
 * connections one backend can take), and the back-off applied when the process runs out of fds.
 */
import cluster from 'node:cluster';
import net from 'node:net';
import os from 'node:os';
import { WsherdError } from '../errors.js';
import { SourcePorts } from '../net/source-ports.js';
import type { BackendState } from './pool.js';

/** Key of `ports` for upstream connects that let the kernel choose the source address. */
export const DEFAULT_SOURCE = 'default';

/** Bind options of an upstream connect: the source address, and the port when the pool named one. */
export interface UpstreamBind {
  localAddress?: string;
  localPort?: number;
}

/**
 * Picks the source address for each upstream connect: the one with the fewest ports in use towards that
 * backend (ports are a per-(source, backend) resource), ties broken round-robin so load spreads evenly.
 *
 * By default the kernel picks the port (bind to port 0), as for HAProxy's plain `source addr`: a port in TIME_WAIT
 * stays taken, so churn depletes the ports as the article describes. But the kernel's search for a free port walks
 * what is held: in the 100,000-through-the-proxy run every proxy worker spent ~11 ms of kernel time per upstream bind
 * at ~56,000 held and stopped accepting (docs/scale.md). With `named` (proxy `source_ports: named`) the pool names the
 * port, as HAProxy does with `source addr:port-range`: each cluster worker its own residue class (source-ports.ts);
 * the kernel then lets an explicitly bound port reuse a TIME_WAIT pair, so TIME_WAIT no longer depletes ports.
 */
export class SourcePool {
  private next = 0;
  private readonly ports: SourcePorts | undefined;

  constructor(readonly sources: readonly string[], workers = 1, named = false) {
    // cluster.worker.id counts from 1 and grows when a worker is replaced: a replacement may share a residue with a
    // live worker, which costs a redial on a collision (never a failure).
    const id = cluster.isWorker && cluster.worker !== undefined ? (cluster.worker.id - 1) % Math.max(1, workers) : 0;
    this.ports = sources.length === 0 || !named ? undefined : SourcePorts.forWorker(id, Math.max(1, workers));
  }

  /** A lease on a named port of `address` (0: none, the kernel picks). Release it when the socket closes. */
  lease(address: string | undefined): number {
    return address === undefined || this.ports === undefined ? 0 : this.ports.take(address);
  }

  /** net.connect's bind options for `address` and `lease`. */
  bind(address: string | undefined, lease: number): UpstreamBind {
    if (address === undefined) return {};
    return lease === 0 || this.ports === undefined ? { localAddress: address } : { localAddress: address, localPort: this.ports.portOf(lease) };
  }

  release(lease: number | undefined): void {
    if (lease !== undefined && lease !== 0) this.ports?.release(lease);
  }

  /** The source to bind to, or undefined to let the kernel pick (no pool configured). */
  pick(backend: BackendState): string | undefined {
    const n = this.sources.length;
    if (n === 0) return undefined;
    let best: string | undefined;
    let bestUsed = Infinity;
    for (let i = 0; i < n; i++) {
      const s = this.sources[(this.next + i) % n] as string;
      const used = backend.ports.get(s) ?? 0;
      if (used < bestUsed) {
        best = s;
        bestUsed = used;
      }
    }
    this.next = (this.next + 1) % n;
    return best;
  }
}

/** A named source port already held towards the same backend (bind or connect): dial again, the kernel picking. */
export function isPortCollision(lease: number | undefined, code: string): boolean {
  return lease !== undefined && lease !== 0 && (code === 'EADDRINUSE' || code === 'EADDRNOTAVAIL');
}

export function portAcquire(backend: BackendState, source: string): void {
  backend.ports.set(source, (backend.ports.get(source) ?? 0) + 1);
}

export function portRelease(backend: BackendState, source: string): void {
  const n = (backend.ports.get(source) ?? 0) - 1;
  if (n > 0) backend.ports.set(source, n);
  else backend.ports.delete(source);
}

/**
 * `--source` values: `127.0.0.2`, or a range within one /24 such as `127.0.0.2-127.0.0.9` or `127.0.0.2-9`.
 * Every address must be IPv4 and local (127/8, which Linux routes to loopback, or on a local interface).
 */
export function parseSourceArgs(texts: readonly string[]): string[] {
  const out: string[] = [];
  for (const text of texts) {
    for (const part of text.split(',')) out.push(...parseRange(part.trim()));
  }
  assertLocalSources(out);
  return [...new Set(out)];
}

function parseRange(text: string): string[] {
  const bad = (why: string): WsherdError =>
    new WsherdError('WSH_ERR_INVALID_INPUT', `--source "${text}" is not a valid source address: ${why}.`, {
      hint: 'Write an IPv4 address or a range within one /24, e.g. --source 127.0.0.2-127.0.0.9 (or repeat --source).',
    });
  const [from, to, ...rest] = text.split('-');
  if (from === undefined || rest.length > 0 || !net.isIPv4(from)) throw bad('expected a.b.c.d or a.b.c.d-a.b.c.e');
  if (to === undefined) return [from];
  const prefix = from.slice(0, from.lastIndexOf('.') + 1);
  const first = Number(from.slice(prefix.length));
  let last: number;
  if (/^\d{1,3}$/.test(to)) last = Number(to);
  else if (net.isIPv4(to) && to.startsWith(prefix)) last = Number(to.slice(prefix.length));
  else throw bad('both ends of a range must be in the same /24');
  if (last < first || last > 255) throw bad('the range must go upwards and end at .255 at most');
  const list: string[] = [];
  for (let i = first; i <= last; i++) list.push(`${prefix}${i}`);
  return list;
}

/** Throws WSH_ERR_INVALID_INPUT naming every address that is not IPv4 or not local to this host. */
export function assertLocalSources(sources: readonly string[]): void {
  const local = new Set(Object.values(os.networkInterfaces()).flatMap((l) => (l ?? []).map((a) => a.address)));
  const wrong = sources.filter((s) => !net.isIPv4(s) || !(s.startsWith('127.') || local.has(s)));
  if (wrong.length > 0) {
    throw new WsherdError('WSH_ERR_INVALID_INPUT', `Source address${wrong.length > 1 ? 'es' : ''} ${wrong.join(', ')} not local IPv4: the proxy can only bind addresses of this host.`, {
      hint: 'Use loopback addresses (127.0.0.2-127.0.0.9) or an IPv4 address of a local interface.',
    });
  }
}

/**
 * Exponential back-off while the process is out of fds: each EMFILE/ENFILE doubles the pause (10 ms → 1 s);
 * a pause that passes without a new one resets it. While paused, new clients are closed at once, which frees
 * their fd instead of spending two more on an upstream connect that would fail.
 */
export class FdBackoff {
  private delay = 0;
  private until = 0;

  constructor(
    private readonly minMs = 10,
    private readonly maxMs = 1000,
  ) {}

  hit(now: number): void {
    // A hit long after the last pause ended starts over from minMs.
    if (now > this.until + this.maxMs) this.delay = 0;
    this.delay = this.delay === 0 ? this.minMs : Math.min(this.delay * 2, this.maxMs);
    this.until = now + this.delay;
  }

  paused(now: number): boolean {
    return now < this.until;
  }
}
