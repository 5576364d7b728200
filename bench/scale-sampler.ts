/**
 * What the scale bench (bench/scale.ts) reads from /proc while a `wsherd run` works: its process tree sorted into
 * tiers by each process's entry file, each tier's RSS, CPU seconds and fds, once a second; and, once the open count
 * has settled at the hold, the kernel's ESTABLISHED count to the backends' listening ports over netlink (the oracle).
 */
import { readFileSync } from 'node:fs';
import { countEstablished, cpuOf, descendantsOf, fdsOf, portOfEnd, rssOf, socketInodesOf, tcpRows } from './proc.js';

export type Tier = 'generator' | 'backends' | 'proxy' | 'dns' | 'other';
export const TIERS: readonly Tier[] = ['generator', 'backends', 'proxy', 'dns', 'other'];

export interface TierSample { processes: number; rss: number; cpuS: number; fds: number; maxFds: number }
export interface Sample { atMs: number; tiers: Record<Tier, TierSample> }

/** Every pid sampled in a run, by tier: what must be gone when the bench ends. */
export type SeenPids = Record<Tier, Set<number>>;

function cmdlineOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'latin1').replace(/\0/g, ' ');
  } catch {
    return '';
  }
}

/** The tier of a process of the run, by the entry file it runs (the coordinator is bin/run.js). */
export function tierOf(cmdline: string): Tier {
  if (/backend\/(socketio-)?main\.js/.test(cmdline)) return 'backends';
  if (/proxy\/(main|cluster-worker)\.js/.test(cmdline)) return 'proxy';
  if (/dns\/main\.js/.test(cmdline)) return 'dns';
  if (/load\/worker-main\.js|bin\/run\.js/.test(cmdline)) return 'generator';
  return 'other';
}

/** The run's processes by tier (the root, `wsherd run`, is the coordinator). */
export function processesByTier(root: number): Record<Tier, number[]> {
  const out: Record<Tier, number[]> = { generator: [root], backends: [], proxy: [], dns: [], other: [] };
  for (const pid of descendantsOf(root)) out[tierOf(cmdlineOf(pid))].push(pid);
  return out;
}

export function sample(root: number, t0: number, seen?: SeenPids): Sample {
  const by = processesByTier(root);
  if (seen !== undefined) for (const t of TIERS) for (const p of by[t]) seen[t].add(p);
  const tiers = {} as Record<Tier, TierSample>;
  for (const t of TIERS) {
    const s: TierSample = { processes: 0, rss: 0, cpuS: 0, fds: 0, maxFds: 0 };
    for (const pid of by[t]) {
      const rss = rssOf(pid);
      if (rss === 0) continue;
      const fds = fdsOf(pid);
      s.processes++;
      s.rss += rss;
      s.cpuS += cpuOf(pid);
      s.fds += fds;
      s.maxFds = Math.max(s.maxFds, fds);
    }
    tiers[t] = s;
  }
  return { atMs: Date.now() - t0, tiers };
}

/**
 * The oracle: ESTABLISHED sockets held by the backend processes whose local port is one the backends LISTEN on,
 * each connection once (deduplicated by address pair: a dump taken while the table changes can list a socket twice).
 * Also returns the listening ports found.
 */
export function establishedToBackends(backendPids: readonly number[]): { established: number; ports: number[] } {
  const inodes = new Set<string>();
  for (const p of backendPids) socketInodesOf(p, inodes);
  const rows = tcpRows(inodes);
  const ports = new Set<number>();
  for (const r of rows) if (r.state === 'LISTEN') ports.add(portOfEnd(r.local));
  return { established: countEstablished(rows, ports), ports: [...ports].sort((a, b) => a - b) };
}
