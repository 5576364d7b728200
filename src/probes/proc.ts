/**
 * /proc readers for a process's own limits and usage (Linux). Each returns a best-effort value and never
 * throws: a probe must not break a run on a platform without /proc; callers get -1 or a default instead.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** Number of open fds of `pid` (default: this process), or -1 when /proc cannot be read. */
export function openFds(pid: number | 'self' = 'self'): number {
  try {
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
