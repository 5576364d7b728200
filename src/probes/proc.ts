/**
 * /proc readers for a process's own limits and usage (Linux). Each returns a best-effort value and never
 * throws: a probe must not break a run on a platform without /proc; callers get -1 or a default instead.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';

/** Number of open fds of `pid` (default: this process), or -1 when /proc cannot be read. */
export function openFds(pid: number | 'self' = 'self'): number {
  try {
    // Linux ≥ 6.2 gives the count as the directory's size, without listing 20,000 entries (~1.7 µs each, every
    // second, per component); older kernels say 0 there, and a process always has an fd while /proc can be read.
    const size = statSync(`/proc/${pid}/fd`).size;
    if (size > 0) return size;
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return -1;
  }
}

/** Soft RLIMIT_NOFILE of `pid`, or -1 when unknown ('unlimited' is reported as Number.MAX_SAFE_INTEGER). */
export function fdLimit(pid: number | 'self' = 'self'): number {
  return nofile(pid, 0);
}

/** Hard RLIMIT_NOFILE of `pid` (the most a non-privileged process may raise its soft limit to), or -1. */
export function fdHardLimit(pid: number | 'self' = 'self'): number {
  return nofile(pid, 1);
}

function nofile(pid: number | 'self', column: 0 | 1): number {
  try {
    const text = readFileSync(`/proc/${pid}/limits`, 'utf8');
    const line = text.split('\n').find((l) => l.startsWith('Max open files'));
    const value = line?.slice('Max open files'.length).trim().split(/\s+/)[column];
    if (value === undefined) return -1;
    return value === 'unlimited' ? Number.MAX_SAFE_INTEGER : Number(value);
  } catch {
    return -1;
  }
}

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ): 100 on every Linux build Node runs on. */
const USER_HZ = 100;

/**
 * CPU time (user + system) of `pid` and all its descendants (a proxy's worker processes), seconds; -1 when unreadable.
 * Descendants are found through /proc/<pid>/task/<tid>/children, so exited ones are not counted: sample while they run.
 */
export function cpuSeconds(pid: number): number {
  const own = cpuOf(pid);
  if (own < 0) return -1;
  let total = own;
  for (const child of childrenOf(pid)) {
    const c = cpuSeconds(child);
    if (c > 0) total += c;
  }
  return total;
}

function cpuOf(pid: number): number {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count fields after its closing parenthesis.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    return Number.isFinite(utime) && Number.isFinite(stime) ? (utime + stime) / USER_HZ : -1;
  } catch {
    return -1;
  }
}

function childrenOf(pid: number): number[] {
  try {
    const out: number[] = [];
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const text = readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim();
      if (text !== '') for (const c of text.split(/\s+/)) out.push(Number(c));
    }
    return out;
  } catch {
    return [];
  }
}

/** Resident set size of `pid` in bytes, or -1. */
export function rssBytes(pid: number | 'self' = 'self'): number {
  try {
    const text = readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(text);
    return m ? Number(m[1]) * 1024 : -1;
  } catch {
    return -1;
  }
}

/** net.ipv4.ip_local_port_range of this network namespace; the kernel default when unreadable. */
export function portRange(): [number, number] {
  try {
    const [lo, hi] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (lo !== undefined && hi !== undefined && Number.isFinite(lo) && Number.isFinite(hi)) return [lo, hi];
  } catch {
    // fall through to the kernel default
  }
  return [32768, 60999];
}

/** net.ipv4.tcp_tw_reuse of this network namespace (0 off, 1 on, 2 loopback only); the kernel default 2 when unreadable. */
export function twReuse(): 0 | 1 | 2 {
  try {
    const v = Number(readFileSync('/proc/sys/net/ipv4/tcp_tw_reuse', 'utf8').trim());
    if (v === 0 || v === 1 || v === 2) return v;
  } catch {
    // fall through to the kernel default
  }
  return 2;
}

/** Kernel release (uname -r) from /proc, or '' when unreadable. */
export function kernelRelease(): string {
  try {
    return readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim();
  } catch {
    return '';
  }
}
