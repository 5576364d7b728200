/**
 * Local ports chosen by wsherd rather than the kernel, for connections bound to a source address with
 * `source_ports: named`: the lean ws client's (population.addresses, the lab's sources; src/load/ws-lean.ts) and the
 * reference proxy's upstream connects (src/proxy/upstream.ts). Shared by both, so it lives outside either.
 *
 * Why: binding to an address with port 0 — what Node's `localAddress` does, since it cannot set
 * IP_BIND_ADDRESS_NO_PORT — makes the kernel search the ephemeral range for a port that no socket on that address
 * holds, walking the ports already bound. The search grows with what is held: in a network namespace with 1,300
 * ports × 16 source addresses, 19,900 connections cost 4.4 s of kernel time with port 0 against 1.3 s with named
 * ports, the last third (the range 64–96% taken) ~340 µs each against ~66 µs; at 130,000 held on this 2-core box the
 * generator opened ~200 connections/s, its processes almost all in the kernel (docs/scale.md). Binding a named port
 * is one lookup.
 *
 * Each worker takes its own residue class of the range (lo + workerId, lo + workerId + workerCount, …, less the
 * reserved ports), so workers never name the same port. A port stays taken until its connection ends; the cursor
 * goes round the share as the kernel's own search does, so a port just freed (perhaps in TIME_WAIT) is the last to
 * be named again. When an address's share is all taken, take() answers 0 and the kernel picks, as before: running
 * out of ports is still the kernel's EADDRINUSE / EADDRNOTAVAIL. A named port another process holds towards the same
 * destination fails the connect; the caller then dials again with port 0, so a collision costs a retry, never an
 * error the target is blamed for. The price of naming: the kernel lets an explicitly bound port reuse a pair still in
 * TIME_WAIT, so TIME_WAIT no longer depletes ports — why `kernel` stays the default (docs/limits.md).
 */
import { readFileSync } from 'node:fs';

/** The kernel's default ephemeral range, when /proc cannot be read. */
const DEFAULT_RANGE: readonly [number, number] = [32768, 60999];

interface Share {
  readonly taken: Uint8Array;
  cursor: number;
  free: number;
}

export class SourcePorts {
  private readonly shares: Share[] = [];
  private readonly byAddress = new Map<string, number>();

  /** `ports`: this worker's share of the range, ascending. */
  constructor(private readonly ports: Uint16Array) {}

  /** Worker `workerId` of `workerCount`: its residue class of the ephemeral range, reserved ports left out. */
  static forWorker(workerId: number, workerCount: number, range = ephemeralRange(), reserved = reservedPorts()): SourcePorts {
    const [lo, hi] = range;
    const mine: number[] = [];
    for (let p = lo + workerId; p <= hi; p += Math.max(1, workerCount)) if (!reserved.has(p)) mine.push(p);
    return new SourcePorts(Uint16Array.from(mine));
  }

  /** How many ports this worker may name on each address. */
  get size(): number {
    return this.ports.length;
  }

  /**
   * A lease on a free port of `address`'s share: a positive number to pass to portOf() and release(); 0 when the
   * share is all taken (the caller lets the kernel pick).
   */
  take(address: string): number {
    let index = this.byAddress.get(address);
    if (index === undefined) {
      index = this.shares.length;
      this.shares.push({ taken: new Uint8Array(this.ports.length), cursor: 0, free: this.ports.length });
      this.byAddress.set(address, index);
    }
    const share = this.shares[index] as Share;
    const n = share.taken.length;
    if (share.free === 0) return 0;
    for (let tries = 0; tries < n; tries++) {
      const at = share.cursor;
      share.cursor = at + 1 === n ? 0 : at + 1;
      if (share.taken[at] === 0) {
        share.taken[at] = 1;
        share.free--;
        // Packed in one small integer, so a connection keeps its lease in one field: share × 65,536 + position + 1.
        return index * 65536 + at + 1;
      }
    }
    return 0;
  }

  /** The port a lease names. */
  portOf(lease: number): number {
    return this.ports[(lease - 1) % 65536] as number;
  }

  /** The connection holding `lease` ended (or its port collided): the port is free again. */
  release(lease: number): void {
    if (lease <= 0) return;
    const share = this.shares[Math.floor((lease - 1) / 65536)];
    const at = (lease - 1) % 65536;
    if (share === undefined || share.taken[at] === 0) return;
    share.taken[at] = 0;
    share.free++;
  }
}

/** net.ipv4.ip_local_port_range (it governs IPv6 too). */
export function ephemeralRange(text = readProc('/proc/sys/net/ipv4/ip_local_port_range')): [number, number] {
  const [lo, hi] = (text ?? '').trim().split(/\s+/).map(Number);
  if (lo === undefined || hi === undefined || !Number.isInteger(lo) || !Number.isInteger(hi) || lo < 1 || hi > 65535 || lo > hi) return [...DEFAULT_RANGE];
  return [lo, hi];
}

/** net.ipv4.ip_local_reserved_ports: "8080,9000-9010" — ports the kernel never picks, so neither do we. */
export function reservedPorts(text = readProc('/proc/sys/net/ipv4/ip_local_reserved_ports')): Set<number> {
  const out = new Set<number>();
  for (const part of (text ?? '').trim().split(',')) {
    if (part === '') continue;
    const [a, b] = part.split('-').map(Number);
    if (a === undefined || !Number.isInteger(a)) continue;
    const end = b !== undefined && Number.isInteger(b) ? b : a;
    for (let p = a; p <= end && p <= 65535; p++) out.add(p);
  }
  return out;
}

function readProc(path: string): string | undefined {
  try {
    return readFileSync(path, 'latin1');
  } catch {
    return undefined;
  }
}
