/**
 * A client's whole process tree, read from /proc: the root a bench started plus every descendant (wsherd's
 * coordinator and its forked workers, Artillery's workers), found by walking the ppid field of every /proc/[pid]/stat. RSS and CPU are
 * summed over the tree, so a client is charged for everything it runs, not just the process the bench forked.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { descendantsOf } from './proc.js';

/** RSS pages are 4 KiB on this platform (x86-64 / arm64 Linux defaults); clock ticks are 100 per second. */
const PAGE = 4096;
const TICK_MS = 10;

export interface TreeSample {
  t: number;
  rssBytes: number;
  cpuMs: number;
  pids: number;
  /** CPU ms of each process in the tree, by pid (TreeSampler keeps the last value of processes that exited). */
  perPid?: Map<number, number>;
}

/** Epoch milliseconds with sub-ms precision: the bench and its server time events on the same clock. */
export const nowMs = (): number => performance.timeOrigin + performance.now();

interface Stat { pid: number; ppid: number; cpuTicks: number; rssPages: number }

function readStat(pid: string): Stat | undefined {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after "(comm) ": state is [0], ppid [1], utime [11], stime [12], rss [21] (man 5 proc, 1-based 3, 4, 14, 15, 24).
    const f = s.slice(s.lastIndexOf(') ') + 2).split(' ');
    return { pid: Number(pid), ppid: Number(f[1]), cpuTicks: Number(f[11]) + Number(f[12]), rssPages: Number(f[21]) };
  } catch {
    return undefined; // exited between readdir and read
  }
}

/** One sample of the tree rooted at `root`: RSS and utime+stime summed over it. */
export function sampleTree(root: number): TreeSample {
  const t = nowMs();
  const byParent = new Map<number, Stat[]>();
  let rootStat: Stat | undefined;
  for (const name of readdirSync('/proc')) {
    if (name.charCodeAt(0) < 48 || name.charCodeAt(0) > 57) continue;
    const st = readStat(name);
    if (st === undefined) continue;
    if (st.pid === root) rootStat = st;
    const list = byParent.get(st.ppid);
    if (list) list.push(st);
    else byParent.set(st.ppid, [st]);
  }
  if (rootStat === undefined) return { t, rssBytes: 0, cpuMs: 0, pids: 0 };
  let rss = 0;
  let cpu = 0;
  let pids = 0;
  const perPid = new Map<number, number>();
  const stack: Stat[] = [rootStat];
  while (stack.length > 0) {
    const st = stack.pop() as Stat;
    rss += st.rssPages * PAGE;
    cpu += st.cpuTicks * TICK_MS;
    perPid.set(st.pid, st.cpuTicks * TICK_MS);
    pids++;
    for (const c of byParent.get(st.pid) ?? []) stack.push(c);
  }
  return { t, rssBytes: rss, cpuMs: cpu, pids, perPid };
}

/** The pids of the tree (root first), to signal every process of a client when it is stopped. */
export function treePids(root: number): number[] {
  return [root, ...descendantsOf(root)];
}

/**
 * Samples the tree every `everyMs` and keeps them all (a run is seconds long: a few hundred samples), so the bench can
 * pick "the last sample before the server saw the first connection" after the fact, on the shared clock.
 */
export class TreeSampler {
  readonly samples: TreeSample[] = [];
  private timer: NodeJS.Timeout;
  /**
   * Last CPU seen of every process ever in the tree: a process that exits (a worker, a probe's helper) takes its
   * utime+stime out of /proc (the kernel adds it to the parent's cutime only once reaped, and not to its utime), so
   * the tree's CPU is the sum over every pid seen, never a sum that drops when one exits.
   */
  private cpuByPid = new Map<number, number>();

  constructor(readonly root: number, everyMs = 100) {
    this.take();
    this.timer = setInterval(() => this.take(), everyMs);
  }

  private take(): TreeSample {
    const s = sampleTree(this.root);
    for (const [pid, ms] of s.perPid ?? []) this.cpuByPid.set(pid, Math.max(ms, this.cpuByPid.get(pid) ?? 0));
    let cpu = 0;
    for (const ms of this.cpuByPid.values()) cpu += ms;
    const kept: TreeSample = { t: s.t, rssBytes: s.rssBytes, cpuMs: cpu, pids: s.pids };
    if (s.pids > 0 || this.samples.length === 0) this.samples.push(kept);
    return kept;
  }

  /** The last sample taken strictly before `t` (epoch ms); the first sample when none was. */
  before(t: number): TreeSample {
    let pick = this.samples[0] as TreeSample;
    for (const s of this.samples) if (s.t < t) pick = s;
    return pick;
  }

  /** A fresh sample now (kept too). */
  now(): TreeSample {
    return this.take();
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
