/**
 * behavior.send_during_ramp: false (tcpkali's --delay-send). A client opened during a ramp up starts its sends (the
 * echo sender of every engine, and flows) only when that ramp ends — the end of the run of consecutive rising
 * segments it opened in — so the handshakes of a ramp are measured alone, not against a target already busy
 * echoing. True (the default): sends start at once. Engines ask through ClientContext.sendsFrom.
 */
import type { Behavior, PhaseSegment } from '../scenario/types.js';

/** Run-ms windows [from, to) in which the curve rises (consecutive rising segments merged). */
export function rampWindows(phases: readonly PhaseSegment[]): [number, number][] {
  const out: [number, number][] = [];
  let t = 0;
  let level = 0;
  for (const p of phases) {
    const dur = Math.max(0, Math.round(p.durationMs));
    const to = Math.max(0, Math.round(p.to));
    if (to > level && dur > 0) {
      const last = out[out.length - 1];
      if (last !== undefined && last[1] === t) last[1] = t + dur;
      else out.push([t, t + dur]);
    }
    t += dur;
    level = to;
  }
  return out;
}

/**
 * The function a worker puts in ClientContext.sendsFrom: given performance.now() at a client's open, the
 * performance.now() time its sends may begin (never earlier than `nowPerf`). `origin`: performance.now() at second 0.
 */
export function sendsFromFor(behavior: Behavior, phases: readonly PhaseSegment[], origin: number): (nowPerf: number) => number {
  if (behavior.sendDuringRamp !== false) return (nowPerf) => nowPerf;
  const windows = rampWindows(phases);
  return (nowPerf) => {
    const t = nowPerf - origin;
    for (const [from, to] of windows) if (t >= from && t < to) return origin + to;
    return nowPerf;
  };
}
