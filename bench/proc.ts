/** /proc readings for the scale benches: RSS of a process (or its tree), CPU seconds; sockets by state and port over netlink. */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';

/** Resident set of one process, bytes (VmRSS); 0 when it is gone. */
export function rssOf(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** utime + stime of one process, seconds (USER_HZ = 100 on Linux). */
export function cpuOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return 0;
  }
}

/** Every descendant of `pid` (children, grandchildren, …), from /proc/<pid>/task/<tid>/children. */
export function descendantsOf(pid: number): number[] {
  const out: number[] = [];
  const walk = (p: number): void => {
    let tasks: string[] = [];
    try {
      tasks = readdirSync(`/proc/${p}/task`);
    } catch {
      return;
    }
    for (const t of tasks) {
      let kids = '';
      try {
        kids = readFileSync(`/proc/${p}/task/${t}/children`, 'utf8');
      } catch {
        continue;
      }
      for (const k of kids.trim().split(/\s+/)) {
        if (k === '') continue;
        out.push(Number(k));
        walk(Number(k));
      }
    }
  };
  walk(pid);
  return out;
}

/** RSS of `pid` and all its descendants, bytes. */
export function treeRss(pid: number): number {
  return [pid, ...descendantsOf(pid)].reduce((t, p) => t + rssOf(p), 0);
}

/** CPU seconds of `pid` and its live descendants. */
export function treeCpu(pid: number): number {
  return [pid, ...descendantsOf(pid)].reduce((t, p) => t + cpuOf(p), 0);
}

/** Inodes of the sockets a process holds (its /proc/<pid>/fd links `socket:[inode]`). */
export function socketInodesOf(pid: number, into = new Set<string>()): Set<string> {
  let fds: string[] = [];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return into;
  }
  for (const fd of fds) {
    try {
      const link = readlinkSync(`/proc/${pid}/fd/${fd}`);
      if (link.startsWith('socket:[')) into.add(link.slice(8, -1));
    } catch {
      // closed meanwhile
    }
  }
  return into;
}

/**
 * ESTABLISHED TCP sockets whose LOCAL port is one of `ports` (the servers' side of each connection, once per
 * connection), from the kernel's table over netlink: not wsherd's bookkeeping. With `owners`, only sockets those
 * processes hold: on a shared box another process's client socket can have the same local port number.
 */
export function establishedTo(ports: readonly number[], owners?: readonly number[]): number {
  const inodes = owners === undefined ? undefined : owners.reduce((s, p) => socketInodesOf(p, s), new Set<string>());
  return countEstablished(tcpRows(inodes), new Set(ports));
}

export interface TcpRow {
  /** As `ss` names it: ESTAB, LISTEN, TIME-WAIT, … */
  state: string;
  /** `address:port` ([v6]:port) of each end. */
  local: string;
  peer: string;
  inode: string;
}

/**
 * Every TCP socket, from `ss -Htane` (sock_diag over netlink), only those whose socket inode is in `inodes` when given.
 * Not /proc/net/tcp: the kernel prints that a page at a time at ~4 µs of its CPU a socket, seconds at 200,000 sockets,
 * and minutes of wall time on a box busy opening them.
 */
export function tcpRows(inodes?: ReadonlySet<string>): TcpRow[] {
  const res = spawnSync('ss', ['-H', '-t', '-a', '-n', '-e'], { encoding: 'latin1', maxBuffer: 1 << 30 });
  if (res.error !== undefined) throw new Error(`ss (iproute2) could not run: ${res.error.message}`);
  const rows: TcpRow[] = [];
  for (const line of res.stdout.split('\n')) {
    const cols = line.trim().split(/\s+/);
    const inode = cols.find((c) => c.startsWith('ino:'))?.slice(4);
    if (cols.length < 5 || inode === undefined || (inodes !== undefined && !inodes.has(inode))) continue;
    rows.push({ state: cols[0] as string, local: cols[3] as string, peer: cols[4] as string, inode });
  }
  return rows;
}

/** The port of an `address:port` end (0 for `*`). */
export const portOfEnd = (end: string): number => Number(end.slice(end.lastIndexOf(':') + 1)) || 0;

/**
 * ESTABLISHED rows whose local port is in `ports`, each connection once (by its address pair: a dump taken while the
 * table changes can list a socket twice).
 */
export function countEstablished(rows: readonly TcpRow[], ports: ReadonlySet<number>): number {
  const seen = new Set<string>();
  for (const r of rows) if (r.state === 'ESTAB' && ports.has(portOfEnd(r.local))) seen.add(`${r.local}>${r.peer}`);
  return seen.size;
}

/** Open fds of a process (entries of /proc/<pid>/fd; its size on Linux ≥ 6.2, without listing them); 0 when it is gone. */
export function fdsOf(pid: number): number {
  try {
    return statSync(`/proc/${pid}/fd`).size || readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return 0;
  }
}

/** Kernel limits that bound a scale run: name → value (or 'absent'). */
export function kernelLimits(): Record<string, string> {
  const read = (p: string): string => {
    try {
      return readFileSync(p, 'utf8').trim().replace(/\s+/g, ' ');
    } catch {
      return 'absent';
    }
  };
  return {
    'net.core.somaxconn': read('/proc/sys/net/core/somaxconn'),
    'net.ipv4.tcp_max_syn_backlog': read('/proc/sys/net/ipv4/tcp_max_syn_backlog'),
    'net.ipv4.ip_local_port_range': read('/proc/sys/net/ipv4/ip_local_port_range'),
    'fs.file-max': read('/proc/sys/fs/file-max'),
    'fs.nr_open': read('/proc/sys/fs/nr_open'),
    'fs.file-nr (open, free, max)': read('/proc/sys/fs/file-nr'),
    'net.netfilter.nf_conntrack_max': read('/proc/sys/net/netfilter/nf_conntrack_max'),
    // 0 with the module loaded: no netfilter hook tracks connections here, so the table bounds nothing.
    'net.netfilter.nf_conntrack_count': read('/proc/sys/net/netfilter/nf_conntrack_count'),
    'net.ipv4.tcp_mem (pages)': read('/proc/sys/net/ipv4/tcp_mem'),
    'fd limit of this process (soft/hard)': fdLimit(),
    MemTotal: /MemTotal:\s+(\d+ kB)/.exec(read('/proc/meminfo'))?.[1] ?? 'unknown',
  };
}

function fdLimit(): string {
  try {
    const m = /Max open files\s+(\S+)\s+(\S+)/.exec(readFileSync('/proc/self/limits', 'utf8'));
    return m ? `${m[1]}/${m[2]}` : 'unknown';
  } catch {
    return 'unknown';
  }
}
