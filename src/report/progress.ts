/**
 * Live progress: a subscriber to the run's events (the engine never prints). On a terminal one status block
 * is redrawn in place each second; on a pipe (CI logs) a plain line every 5 seconds, so logs stay readable.
 */
import { Chalk, type ChalkInstance } from 'chalk';
import type { Progress, RunEvents } from '../run-events.js';
import type { LabComponent } from '../results/lab-types.js';
import { fmtClock, fmtInt, fmtMs } from './format.js';

export interface ProgressOptions {
  color: boolean;
  /** Seconds between plain lines when the stream is not a TTY. Default 5. */
  plainEverySeconds?: number;
}

export type ProgressStream = NodeJS.WritableStream & { isTTY?: boolean };

const TOP_CODES = 3;
const BAR = 24;

/** Subscribes progress output to `events`; returns a function that unsubscribes. */
export function attachProgress(events: RunEvents, out: ProgressStream, opts: ProgressOptions): () => void {
  const c = new Chalk({ level: opts.color ? 1 : 0 });
  const tty = out.isTTY === true;
  const every = (opts.plainEverySeconds ?? 5) * 1000;
  const errorsSoFar: Record<string, number> = {};
  let blockLines = 0;
  let lastPlainSlot = -1;
  let last: Progress | undefined;

  /** Erases the status block so a message can be printed above it. */
  const clearBlock = (): void => {
    if (tty && blockLines > 0) out.write(`\u001b[${blockLines}F\u001b[J`);
    blockLines = 0;
  };
  const say = (line: string): void => {
    clearBlock();
    out.write(line + '\n');
    if (tty && last) draw(last);
  };
  const draw = (p: Progress): void => {
    const lines = statusBlock(p, errorsSoFar, c);
    clearBlock();
    out.write(lines.join('\n') + '\n');
    blockLines = lines.length;
  };

  const onLab = (components: LabComponent[]): void => {
    say(`${c.dim('lab')} up: ${components.map((x) => `${x.id} ${x.url}`).join(', ')}`);
  };
  const onStart = (info: { workers: number; clients: number; url: string; plannedMs: number }): void => {
    say(`${c.bold('wsherd')} ${fmtInt(info.clients)} clients on ${info.workers} worker${info.workers === 1 ? '' : 's'} → ${info.url} ` +
      `(planned ${fmtClock(info.plannedMs)})`);
  };
  const onWarning = (message: string): void => say(`${c.yellow('warning')} ${message}`);
  const onNotice = (message: string): void => say(`${c.cyan('·')} ${message}`);
  const onProgress = (p: Progress): void => {
    for (const [code, n] of Object.entries(p.second.errors)) errorsSoFar[code] = (errorsSoFar[code] ?? 0) + n;
    last = p;
    if (tty) {
      draw(p);
      return;
    }
    const slot = Math.floor(p.elapsedMs / every);
    if (slot !== lastPlainSlot) {
      lastPlainSlot = slot;
      out.write(plainLine(p, errorsSoFar) + '\n');
    }
  };

  events.on('lab', onLab);
  events.on('start', onStart);
  events.on('warning', onWarning);
  events.on('notice', onNotice);
  events.on('progress', onProgress);
  return () => {
    events.off('lab', onLab);
    events.off('start', onStart);
    events.off('warning', onWarning);
    events.off('notice', onNotice);
    events.off('progress', onProgress);
  };
}

function topCodes(errors: Record<string, number>): string {
  const e = Object.entries(errors).filter(([, n]) => n > 0).sort((a, b) => b[1] - a[1]);
  const shown = e.slice(0, TOP_CODES).map(([code, n]) => `${code} ${fmtInt(n)}`);
  if (e.length > TOP_CODES) shown.push(`+${e.length - TOP_CODES} more`);
  return shown.join(', ');
}

/** The in-place block (TTY). */
export function statusBlock(p: Progress, errorsSoFar: Record<string, number>, c: ChalkInstance): string[] {
  const frac = p.plannedMs > 0 ? Math.min(1, p.elapsedMs / p.plannedMs) : 0;
  const filled = Math.round(frac * BAR);
  const bar = c.cyan('█'.repeat(filled)) + c.dim('░'.repeat(BAR - filled));
  const s = p.second;
  const failures = p.totals.failed + p.totals.dropped;
  const codes = topCodes(errorsSoFar);
  return [
    `${c.bold(fmtClock(p.elapsedMs))} / ${fmtClock(p.plannedMs)}  ${bar} ${Math.round(frac * 100)}%  ${c.bold(p.phase)}`,
    `  open      ${c.bold(fmtInt(s.open))} / ${fmtInt(p.targetOpen)} target   new ${fmtInt(s.opened)}/s   ` +
      `closed ${fmtInt(s.closed)}/s`,
    `  failures  ${failures > 0 ? c.red(fmtInt(failures)) : '0'} total, ${fmtInt(s.failed + s.dropped)}/s` +
      (codes ? `   ${c.dim(codes)}` : ''),
    `  messages  ${fmtInt(s.messagesSent)}/s sent, ${fmtInt(s.messagesReceived)}/s received   ` +
      `rtt p50 ${fmtMs(s.rttP50)} ms  p99 ${fmtMs(s.rttP99)} ms`,
    ...(s.flow === undefined ? [] : [`  flow      ${fmtInt(s.flow.deliveries)}/s deliveries   ` +
      `step errors ${s.flow.stepErrors > 0 ? c.red(`${fmtInt(s.flow.stepErrors)}/s`) : '0/s'}`]),
  ];
}

/** One line for pipes and CI logs. */
export function plainLine(p: Progress, errorsSoFar: Record<string, number>): string {
  const s = p.second;
  const failures = p.totals.failed + p.totals.dropped;
  const codes = topCodes(errorsSoFar);
  return `[${fmtClock(p.elapsedMs)}/${fmtClock(p.plannedMs)}] ${p.phase} open=${s.open}/${p.targetOpen} new/s=${s.opened} ` +
    `failures=${failures}${codes ? ` (${codes})` : ''} msgs/s=${s.messagesSent} ` +
    `rtt_p50=${fmtMs(s.rttP50)}ms rtt_p99=${fmtMs(s.rttP99)}ms` +
    (s.flow === undefined ? '' : ` deliveries/s=${s.flow.deliveries} step_errors/s=${s.flow.stepErrors}`);
}
