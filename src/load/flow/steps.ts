/**
 * Runs a compiled flow (compile.ts) for one client: a program counter per nested block (a small stack), the wait
 * the flow is in (an expect / on: a Waiter in the core; a think or an open loop's next iteration: `resumeAt`), and
 * nothing else. Driven by the client's wakes on the worker's timer wheel and by received frames; never a timer.
 *
 * A failed step (an expect that timed out, a send on a closed socket) counts an error under the step's name and
 * the flow goes on with the next step, as a failed check in k6 does not stop its virtual user.
 */
import type { CStep } from './compile.js';
import { matches, render, type CPayload } from './compile.js';
import type { FlowCore } from './core.js';
import { nowUs } from './stamp.js';

/** At most this many steps run per wake: a `forever` loop without a wait in it yields to the event loop each tick. */
export const MAX_STEPS_PER_WAKE = 64;

interface Block {
  steps: CStep[];
  i: number;
  /** The loop this block is the body of (undefined: the flow itself). */
  loop: (CStep & { kind: 'loop' }) | undefined;
  iter: number;
  startAt: number;
  /** Open loops: how late the current iteration started after its due time, ms (sends' intended times). */
  lateness: number;
}

export class StepRunner {
  private readonly stack: Block[];
  /** The flow may go on at this time (think, open-loop pacing, a yield). */
  private resumeAt = 0;
  /** An expect / on holds the flow. */
  private blocked = false;
  private finished = false;

  constructor(
    private readonly core: FlowCore,
    steps: CStep[],
  ) {
    this.stack = [{ steps, i: 0, loop: undefined, iter: 0, startAt: 0, lateness: 0 }];
  }

  get done(): boolean {
    return this.finished;
  }

  start(now: number): void {
    this.run(now);
  }

  wake(now: number): void {
    this.core.expire(now);
    this.run(now);
  }

  onFrame(data: Buffer, now: number): void {
    this.core.onFrame(data, now);
    this.run(now);
  }

  onPacket(raw: string): void {
    this.core.onPacket(raw);
  }

  onEvent(event: string, arg: unknown, now: number): void {
    this.core.onEvent(event, arg, now);
    this.run(now);
  }

  nextAt(): number {
    const own = this.blocked || this.finished ? Infinity : this.resumeAt;
    return Math.min(own, this.core.nextAt());
  }

  end(): void {
    this.finished = true;
    this.core.end();
  }

  private run(now: number): void {
    if (this.blocked || this.finished || this.core.ended || now < this.resumeAt) return;
    for (let n = 0; n < MAX_STEPS_PER_WAKE; n++) {
      if (this.blocked || this.finished || this.core.ended || now < this.resumeAt) return;
      const top = this.stack[this.stack.length - 1];
      if (top === undefined) {
        this.finished = true;
        return;
      }
      if (top.i < top.steps.length) {
        this.exec(top.steps[top.i++] as CStep, now, top);
        continue;
      }
      const loop = top.loop;
      if (loop === undefined) {
        this.stack.pop();
        continue;
      }
      top.iter++;
      top.i = 0;
      if (loop.count !== undefined && top.iter >= loop.count) {
        this.stack.pop();
        continue;
      }
      if (loop.everyMs !== undefined) {
        const due = top.startAt + top.iter * loop.everyMs;
        if (due > now) {
          this.resumeAt = due;
          top.lateness = 0;
          return;
        }
        // Late: this iteration starts at once; the due times that passed meanwhile are skipped, counted as the
        // echo sender counts them (send-schedule.ts), so the loop keeps its phase and its rate is never stretched.
        const skipped = Math.floor((now - due) / loop.everyMs);
        if (skipped > 0) {
          this.core.recorder.count('messagesSkipped', skipped);
          top.iter += skipped;
          if (loop.count !== undefined && top.iter >= loop.count) {
            this.stack.pop();
            continue;
          }
        }
        top.lateness = now - (top.startAt + top.iter * loop.everyMs);
      }
    }
    // A busy flow yields: it goes on at the next tick.
    this.resumeAt = now;
  }

  private exec(step: CStep, now: number, block: Block): void {
    const core = this.core;
    switch (step.kind) {
      case 'send':
        return this.send(step, now, block);
      case 'expect':
      case 'on': {
        this.blocked = true;
        const match = step.match;
        core.waiters.push({
          deadline: now + step.timeoutMs,
          event: step.kind === 'on' ? step.event : undefined,
          sleep: false,
          test: match === undefined ? () => true : (f) => matches(match, f, core.vars),
          done: (t, timedOut) => {
            this.blocked = false;
            if (timedOut) {
              core.rec.stepError(step.name, 'timeout');
              return;
            }
            this.completed(step, (t - now) * 1000);
          },
        });
        return;
      }
      case 'think':
        this.resumeAt = now + (step.maxMs === undefined ? step.ms : step.ms + Math.random() * (step.maxMs - step.ms));
        return;
      case 'loop':
        if (step.count === 0) return;
        this.stack.push({ steps: step.steps, i: 0, loop: step, iter: 0, startAt: now, lateness: 0 });
        return;
      case 'close':
        this.completed(step, undefined);
        this.finished = true;
        core.transport.closeFlow();
        return;
      case 'emit':
        return this.emit(step, now, block);
    }
  }

  /** A step completed: counted when named, and its join / leave take effect. */
  private completed(step: CStep, micros: number | undefined): void {
    const core = this.core;
    if (step.named) core.rec.stepOk(step.name, micros);
    if (step.join !== undefined) core.memberships.join(render(step.join, core.vars), nowUs());
    if (step.leave !== undefined) core.memberships.leave(render(step.leave, core.vars), nowUs(), core.backend);
  }

  private failed(step: CStep): void {
    this.core.rec.stepError(step.name, this.core.transport.writable ? 'send_failed' : 'closed');
  }

  /** Fills {{ seq }} and, on a publish step, {{ stamp }} (counting the publish). */
  private prepare(step: CStep): void {
    const core = this.core;
    core.vars.seq = core.seq++;
    core.vars.stamp = step.publish === undefined ? '' : core.stampFor(render(step.publish, core.vars));
  }

  private send(step: CStep & { kind: 'send' }, now: number, block: Block): void {
    const core = this.core;
    this.prepare(step);
    const p: CPayload = step.payload;
    const correlated = p.kind === 'json' && step.correlate && core.fctx.correlate !== undefined;
    let ok: boolean;
    let id: string | undefined;
    if (p.kind === 'text') ok = core.sendText(render(p.text, core.vars));
    else if (p.kind === 'binary') ok = core.sendBinary(p.bytes);
    else if (!correlated && p.constantText !== undefined) ok = core.sendText(p.constantText);
    else ({ ok, id } = core.sendJson(p.build(core.vars), correlated));
    if (!ok) return this.failed(step);
    if (id === undefined) return this.completed(step, undefined);
    // Correlated: complete when answered (timed then, join then); a leave takes effect now.
    const join = step.join === undefined ? undefined : render(step.join, core.vars);
    core.track(id, { sentAt: now, intendedAt: now - block.lateness, step: step.name, named: step.named, ack: false, join, resolve: undefined }, core.fctx.messageTimeoutMs);
    if (step.leave !== undefined) core.memberships.leave(render(step.leave, core.vars), nowUs(), core.backend);
  }

  private emit(step: CStep & { kind: 'emit' }, now: number, block: Block): void {
    const core = this.core;
    this.prepare(step);
    const args = step.args.map((a) => a(core.vars));
    if (!step.ack) {
      if (!core.emit(step.event, args, undefined)) return this.failed(step);
      return this.completed(step, undefined);
    }
    const key = `a${core.vars.seq}`;
    if (!core.emit(step.event, args, (...values: unknown[]) => core.acked(key, values[0]))) return this.failed(step);
    const join = step.join === undefined ? undefined : render(step.join, core.vars);
    core.track(key, { sentAt: now, intendedAt: now - block.lateness, step: step.name, named: step.named, ack: true, join, resolve: undefined }, step.timeoutMs);
    if (step.leave !== undefined) core.memberships.leave(render(step.leave, core.vars), nowUs(), core.backend);
  }
}
