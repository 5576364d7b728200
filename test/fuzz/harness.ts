/**
 * The fuzz harness: listeners run as the lab runs them (forked component entries, each its own process), inputs
 * are sent over real sockets in bounded batches, and after each batch the kernel is the oracle: the process is
 * alive, a good client still gets through, its fds come back to the baseline (/proc/PID/fd, with any socket fd
 * whose inode /proc/net lists no more named as dead) and its RSS stays bounded. A failure names the seed, the
 * batch and the inputs, and WSHERD_FUZZ_SEED=<seed> replays the same inputs.
 */
import type { ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import net from 'node:net';
import { forkComponentEntry, nextReply } from '../helpers/fork-component.js';
import { Rng } from './prng.js';
import { describeInput, type WireInput } from './wire.js';

export interface Component {
  child: ChildProcess;
  port: number;
  adminPort: number;
  stderr(): string;
  stop(): Promise<void>;
}

/** Forks a component entry (dist/src/…/main.js) with its config and waits for it to be ready. */
export async function startComponent(entry: URL, config: unknown): Promise<Component> {
  const child = forkComponentEntry(entry, config);
  let err = '';
  child.stderr?.on('data', (c: Buffer) => {
    err = (err + c.toString()).slice(-4000);
  });
  const [msg] = await nextReply<{ type: string; port: number; adminPort: number; message?: string }>(child);
  if (msg.type !== 'ready') throw new Error(`${entry.pathname} did not start: ${msg.message ?? JSON.stringify(msg)}`);
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  };
  return { child, port: msg.port, adminPort: msg.adminPort, stderr: () => err, stop };
}

/** Inodes of every socket the kernel lists (TCP, UDP, Unix), in this network namespace. */
function liveSocketInodes(): Set<string> {
  const out = new Set<string>();
  const column = (file: string, col: number): void => {
    let text = '';
    try {
      text = readFileSync(file, 'latin1');
    } catch {
      return;
    }
    for (const line of text.split('\n').slice(1)) {
      const inode = line.trim().split(/\s+/)[col];
      if (inode !== undefined) out.add(inode);
    }
  };
  for (const f of ['tcp', 'tcp6', 'udp', 'udp6']) column(`/proc/net/${f}`, 9);
  column('/proc/net/unix', 6);
  return out;
}

export interface FdCount {
  total: number;
  /** Socket fds whose inode is in no /proc/net table: held by the process, with no connection behind them. */
  dead: number;
}

export function fdsOf(pid: number): FdCount {
  const live = liveSocketInodes();
  let total = 0;
  let dead = 0;
  let names: string[] = [];
  try {
    names = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return { total: -1, dead: -1 };
  }
  for (const fd of names) {
    total++;
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m !== null && !live.has(m[1] as string)) dead++;
    } catch {
      // closed while we looked
    }
  }
  return { total, dead };
}

/** Resident set size of `pid`, kB (-1 when unreadable). */
export function rssKb(pid: number): number {
  try {
    const m = /^VmRSS:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'latin1'));
    return m === null ? -1 : Number(m[1]);
  } catch {
    return -1;
  }
}

/** Sends one input over TCP and leaves as it says; resolves once the client side is closed (bounded). */
export function sendWire(port: number, input: WireInput, host = '127.0.0.1', boundMs = 800): Promise<void> {
  return new Promise((resolve) => {
    const s = net.connect({ port, host });
    const finish = (): void => {
      clearTimeout(timer);
      s.destroy();
      resolve();
    };
    const timer = setTimeout(finish, boundMs);
    s.on('error', finish);
    s.on('close', finish);
    s.on('data', () => {});
    s.once('connect', () => {
      void (async () => {
        for (const chunk of input.chunks) {
          if (s.destroyed) return;
          s.write(chunk);
          await new Promise((r) => setTimeout(r, 1));
        }
        if (s.destroyed) return;
        switch (input.leave) {
          case 'reset':
            s.resetAndDestroy();
            return;
          case 'destroy':
            finish();
            return;
          case 'end':
            s.end();
            return;
          case 'half-open':
            // FIN, then read nothing more: the server's answer backs up until the bound closes us.
            s.pause();
            s.end();
            return;
          case 'linger':
            return;
        }
      })();
    });
  });
}

export interface FuzzTarget {
  /** Listener name in messages and figures, e.g. `proxy l7 engineio-sid`. */
  name: string;
  /** The process whose fds and RSS are watched. */
  pid: () => number;
  /** Also watched (a proxy's backends): none of their fds may leak either. */
  alsoPids?: () => number[];
  /** True while the listener's process(es) run. */
  alive: () => boolean;
  /** Makes input number `i` from the shared generator. */
  generate: (rng: Rng, i: number) => WireInput | Buffer;
  /** Sends one input (TCP: sendWire; UDP: a datagram). */
  send: (input: WireInput | Buffer) => Promise<void>;
  /** A well-behaved client doing the listener's real job; rejects when it cannot. */
  good: () => Promise<void>;
  /** The listener's own account (a proxy's /stats: backends' health, errors by reason), shown when `good` fails. */
  explain?: () => Promise<string>;
  /** Inputs in flight at once. Default 16. */
  concurrency?: number;
  /** Inputs between checks. Default 500. */
  batch?: number;
  /** RSS growth allowed over the run, kB. Default 96 MiB. */
  rssSlackKb?: number;
  /** How long fds get to come back after a batch, ms. Default 30 s (engine.io and keep-alive timers). */
  settleMs?: number;
}

export interface FuzzFigures {
  name: string;
  seed: number;
  inputs: number;
  ms: number;
  fdsBefore: number;
  fdsAfter: number;
  /** Total fds of `alsoPids` before/after (a proxy's backends). */
  alsoFdsBefore?: number;
  alsoFdsAfter?: number;
  rssBeforeKb: number;
  rssAfterKb: number;
  rssMaxKb: number;
}

function totalFds(pids: number[]): number {
  return pids.reduce((sum, p) => sum + fdsOf(p).total, 0);
}

async function waitFor(check: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}

/** Runs `count` inputs against `t` from `seed`; throws with the seed and the inputs on any failure. */
export async function fuzz(t: FuzzTarget, count: number, seed: number): Promise<FuzzFigures> {
  const rng = new Rng(seed);
  const concurrency = t.concurrency ?? 16;
  const batchSize = t.batch ?? 500;
  const settleMs = t.settleMs ?? 30_000;
  const fail = (why: string, inputs: Array<WireInput | Buffer>): Error => {
    const shown = inputs.slice(-8).map((x) => `  ${describeInput(x)}`).join('\n');
    return new Error(`fuzz ${t.name}: ${why}\n  seed ${seed} (reproduce: WSHERD_FUZZ_SEED=${seed} WSHERD_FUZZ_COUNT=${count})\n  last inputs:\n${shown}`);
  };
  // Baseline after one good client: lazily opened things (a keep-alive pool, a registry) are part of it.
  await t.good();
  const stable = (pids: number[]): Promise<number> =>
    new Promise((resolve) => {
      let last = -1;
      let same = 0;
      const tick = (): void => {
        const n = totalFds(pids);
        same = n === last ? same + 1 : 0;
        last = n;
        if (same >= 5) resolve(n);
        else setTimeout(tick, 100);
      };
      tick();
    });
  const also = (): number[] => t.alsoPids?.() ?? [];
  const fdsBefore = await stable([t.pid()]);
  const alsoBefore = also().length > 0 ? await stable(also()) : undefined;
  const rssBeforeKb = rssKb(t.pid());
  let rssMaxKb = rssBeforeKb;
  const started = Date.now();
  let sent = 0;
  while (sent < count) {
    const batch: Array<WireInput | Buffer> = [];
    for (let i = 0; i < Math.min(batchSize, count - sent); i++) batch.push(t.generate(rng, sent + i));
    let next = 0;
    const inFlight: Array<WireInput | Buffer> = [];
    const worker = async (): Promise<void> => {
      while (next < batch.length) {
        const input = batch[next++] as WireInput | Buffer;
        inFlight.push(input);
        if (inFlight.length > 32) inFlight.shift();
        await t.send(input);
        if (!t.alive()) throw fail('the listener process died', inFlight);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    sent += batch.length;
    rssMaxKb = Math.max(rssMaxKb, rssKb(t.pid()));
    if (!t.alive()) throw fail('the listener process died', inFlight);
    try {
      await t.good();
    } catch (err) {
      const account = t.explain === undefined ? '' : `\n  the listener's account: ${await t.explain().catch((e: unknown) => `unavailable (${String(e)})`)}`;
      throw fail(`a good client failed after ${sent} inputs: ${(err as Error).message}${account}`, batch);
    }
    const back = await waitFor(() => fdsOf(t.pid()).total <= fdsBefore && (alsoBefore === undefined || totalFds(also()) <= alsoBefore), settleMs);
    if (!back) {
      const now = fdsOf(t.pid());
      const alsoNow = also().map((p) => `${p}: ${JSON.stringify(fdsOf(p))}`).join(', ');
      throw fail(`fds did not return to the baseline within ${settleMs} ms after ${sent} inputs: ${now.total} (${now.dead} dead) vs ${fdsBefore}${alsoBefore === undefined ? '' : `; watched ${alsoNow} vs ${alsoBefore} together`}`, batch);
    }
    const rss = rssKb(t.pid());
    if (rss > rssBeforeKb + (t.rssSlackKb ?? 96 * 1024)) throw fail(`RSS grew from ${rssBeforeKb} kB to ${rss} kB`, batch);
  }
  return {
    name: t.name,
    seed,
    inputs: sent,
    ms: Date.now() - started,
    fdsBefore,
    fdsAfter: fdsOf(t.pid()).total,
    ...(alsoBefore === undefined ? {} : { alsoFdsBefore: alsoBefore, alsoFdsAfter: totalFds(also()) }),
    rssBeforeKb,
    rssAfterKb: rssKb(t.pid()),
    rssMaxKb,
  };
}

/** One line of figures, for the test's diagnostics and the full run's report. */
export function figuresLine(f: FuzzFigures): string {
  const also = f.alsoFdsBefore === undefined ? '' : `, backends' fds ${f.alsoFdsBefore} → ${f.alsoFdsAfter}`;
  return `${f.name}: ${f.inputs} inputs in ${(f.ms / 1000).toFixed(1)} s (seed ${f.seed}); fds ${f.fdsBefore} → ${f.fdsAfter}${also}; RSS ${Math.round(f.rssBeforeKb / 1024)} → ${Math.round(f.rssAfterKb / 1024)} MiB (max ${Math.round(f.rssMaxKb / 1024)})`;
}
