/**
 * The one entry point an engine's client uses: start the slot's program (its role's steps or script) once the
 * connection is open, then hand it wakes and received frames, ask it when to wake next, and end it with the
 * connection.
 */
import type { Recorder } from '../../metrics/recorder.js';
import type { FlowContext } from './context.js';
import { FlowCore, type FlowTransport } from './core.js';
import { StepRunner } from './steps.js';
import { ScriptRunner } from './script.js';

export interface FlowDriver {
  wake(now: number): void;
  /** ws: a received frame (not the reference backend's hello). */
  onFrame(data: Buffer, now: number): void;
  /** socketio: a received packet's text, as it arrives (delivery stamps are counted here). */
  onPacket(raw: string): void;
  /** socketio: a received event (not `hello`). */
  onEvent(event: string, arg: unknown, now: number): void;
  /** When to wake next (Infinity: only a frame can move it). */
  nextAt(): number;
  /** The connection ended (requests in flight lost, memberships end). */
  end(): void;
}

export function startFlow(fctx: FlowContext, recorder: Recorder, slot: number, transport: FlowTransport, now: number): FlowDriver {
  // behavior.send_during_ramp: false — a flow opened during a ramp up starts when the ramp ends.
  const from = fctx.sendsFrom?.(now) ?? now;
  if (from > now) return delayedFlow(from, (at) => startFlow({ ...fctx, sendsFrom: undefined }, recorder, slot, transport, at));
  const core = new FlowCore(fctx, recorder, slot, transport);
  const role = fctx.roleOf(slot);
  if (role !== undefined) core.rec.roleStarted(role);
  const program = fctx.programOf(slot);
  const driver = program.kind === 'steps' ? new StepRunner(core, program.steps) : new ScriptRunner(core, program);
  driver.start(now);
  return driver;
}

/** A flow that starts at `from`: until then it only asks to be woken then (frames before it are not the flow's). */
function delayedFlow(from: number, begin: (at: number) => FlowDriver): FlowDriver {
  let real: FlowDriver | undefined;
  let ended = false;
  return {
    wake(now) {
      if (real === undefined && !ended && now >= from) real = begin(now);
      else real?.wake(now);
    },
    onFrame: (data, now) => real?.onFrame(data, now),
    onPacket: (raw) => real?.onPacket(raw),
    onEvent: (event, arg, now) => real?.onEvent(event, arg, now),
    nextAt: () => (real === undefined ? (ended ? Infinity : from) : real.nextAt()),
    end() {
      ended = true;
      real?.end();
    },
  };
}
