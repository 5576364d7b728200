/**
 * A client's whole process tree, read from /proc: the root a bench started plus every descendant (wsherd's
 * coordinator and its forked workers, Artillery's workers), found by walking the ppid field of every /proc/[pid]/stat. RSS and CPU are
 * summed over the tree, so a client is charged for everything it runs, not just the process the bench forked.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

/** RSS pages are 4 KiB on this platform (x86-64 / arm64 Linux defaults); clock ticks are 100 per second. */
const PAGE = 4096;
const TICK_MS = 10;

export interface TreeSample { t: number; rssBytes: number; cpuMs: number; pids: number }

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
  const stack: Stat[] = [rootStat];
  while (stack.length > 0) {
    const st = stack.pop() as Stat;
    rss += st.rssPages * PAGE;
    cpu += st.cpuTicks * TICK_MS;
    pids++;
    for (const c of byParent.get(st.pid) ?? []) stack.push(c);
  }
  return { t, rssBytes: rss, cpuMs: cpu, pids };
}

/** The pids of the tree (root first), to signal every process of a client when it is stopped. */
export function treePids(root: number): number[] {
  const byParent = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (name.charCodeAt(0) < 48 || name.charCodeAt(0) > 57) continue;
    const st = readStat(name);
    if (st === undefined) continue;
    const list = byParent.get(st.ppid);
    if (list) list.push(st.pid);
    else byParent.set(st.ppid, [st.pid]);
  }
  const out: number[] = [];
  const stack = [root];
  while (stack.length > 0) {
    const p = stack.pop() as number;
    out.push(p);
    stack.push(...(byParent.get(p) ?? []));
  }
  return out;
}

/**
 * Samples the tree every `everyMs` and keeps them all (a run is seconds long: a few hundred samples), so the bench can
 * pick "the last sample before the server saw the first connection" after the fact, on the shared clock.
 */
export class TreeSampler {
  readonly samples: TreeSample[] = [];
  private timer: NodeJS.Timeout;

  constructor(readonly root: number, everyMs = 100) {
    this.samples.push(sampleTree(root));
    this.timer = setInterval(() => {
      const s = sampleTree(root);
      if (s.pids > 0) this.samples.push(s);
    }, everyMs);
  }

  /** The last sample taken strictly before `t` (epoch ms); the first sample when none was. */
  before(t: number): TreeSample {
    let pick = this.samples[0] as TreeSample;
    for (const s of this.samples) if (s.t < t) pick = s;
    return pick;
  }

  /** A fresh sample now (kept too). */
  now(): TreeSample {
    const s = sampleTree(this.root);
    if (s.pids > 0) this.samples.push(s);
    return s;
  }

  /** The last sample with the tree alive (its CPU when it exits is the last one seen). */
  last(): TreeSample {
    return this.samples[this.samples.length - 1] as TreeSample;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
