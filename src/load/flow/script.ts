/**
 * `behavior.script`: runs the module's default export once per client, after its connection opened, with a
 * FlowSession (script-api.ts) built on the same core as declarative flows (core.ts): every wait it offers is a
 * Waiter or a tracked request on the worker's timer wheel, settled by a received frame or a wake.
 */
import { performance } from 'node:perf_hooks';
import type { FlowCore, Waiter } from './core.js';
import type { FlowProgram } from './context.js';
import { redact } from './context.js';
import { compileMatcher, matches, type FrameView } from './compile.js';
import { parseJsonPath } from '../../scenario/json-path.js';
import type { FlowFrame, FlowMatcher, FlowSession, FlowWaitOptions } from './script-api.js';
import { nowUs } from './stamp.js';

const STAMP_RE = /\{\{\s*stamp\s*\}\}/g;

export class ScriptRunner {
  /** The innermost step(name) running (errors of waits without their own step are counted under it). */
  private readonly at: { current: string | undefined } = { current: undefined };
  /** Errors already counted by step(): not counted again when they escape the script. */
  private readonly counted = new WeakSet<object>();

  constructor(
    private readonly core: FlowCore,
    private readonly program: FlowProgram & { kind: 'script' },
  ) {}

  start(_now: number): void {
    const session = this.session();
    this.program.load().then(
      async (fn) => {
        if (this.core.ended) return;
        try {
          await fn(session);
        } catch (err) {
          this.uncaught(err);
        }
      },
      (err: unknown) => this.uncaught(err),
    );
  }

  wake(now: number): void {
    this.core.expire(now);
  }

  onFrame(data: Buffer, now: number): void {
    this.core.onFrame(data, now);
  }

  onPacket(raw: string): void {
    this.core.onPacket(raw);
  }

  onEvent(event: string, arg: unknown, now: number): void {
    this.core.onEvent(event, arg, now);
  }

  nextAt(): number {
    return this.core.nextAt();
  }

  end(): void {
    this.core.end();
  }

  private uncaught(err: unknown): void {
    if (typeof err === 'object' && err !== null && this.counted.has(err)) return;
    this.error(this.at.current ?? 'script', err);
  }

  private error(step: string, err: unknown): void {
    const message = err instanceof Error ? err.message : String(err);
    const sample = redact(`client ${this.core.slot}: ${message}`, this.core.fctx.secretsOf(this.core.slot));
    this.core.rec.stepError(step, 'script_error', sample);
  }

  private stepOf(o: FlowWaitOptions | undefined): { name: string; named: boolean } {
    return o?.step !== undefined ? { name: o.step, named: true } : { name: this.at.current ?? 'script', named: false };
  }

  /** A wait on the wheel: resolves with what matched, or undefined (an error `timeout` counted) at the deadline. */
  private wait(event: string | undefined, test: (f: FrameView) => boolean, o: FlowWaitOptions | undefined): Promise<FlowFrame | undefined> {
    const core = this.core;
    const { name, named } = this.stepOf(o);
    const start = performance.now();
    return new Promise((resolve) => {
      const w: Waiter = {
        deadline: start + (o?.timeout ?? core.fctx.messageTimeoutMs),
        event,
        sleep: false,
        test,
        done: (now, timedOut, f) => {
          if (timedOut) {
            core.rec.stepError(name, 'timeout');
            resolve(undefined);
            return;
          }
          if (named) core.rec.stepOk(name, (now - start) * 1000);
          resolve(f === undefined ? undefined : event === undefined ? (f.json() ?? f.text()) : f.json());
        },
      };
      core.waiters.push(w);
      core.transport.reschedule();
    });
  }

  private session(): FlowSession {
    const core = this.core;
    // The session's methods are plain functions a script may pass around: they close over the runner.
    const runner = { stepOf: this.stepOf.bind(this), wait: this.wait.bind(this), error: this.error.bind(this), counted: this.counted, at: this.at };
    const vars = core.vars;
    const send = (data: unknown): boolean => {
      vars.seq = core.seq++;
      if (typeof data === 'string') return core.sendText(data);
      if (Buffer.isBuffer(data)) return core.sendBinary(data);
      return core.sendJson(data, false).ok;
    };
    /** A request or an emit with ack that left (`key`) or could not (undefined): resolves with its answer. */
    const answer = (key: string | undefined, now: number, ack: boolean, o: FlowWaitOptions | undefined): Promise<unknown> => {
      const { name, named } = runner.stepOf(o);
      if (key === undefined) {
        core.rec.stepError(name, core.transport.writable ? 'send_failed' : 'closed');
        return Promise.resolve(undefined);
      }
      return new Promise((resolve) => {
        core.track(key, { sentAt: now, intendedAt: now, step: name, named, ack, join: undefined, resolve }, o?.timeout ?? core.fctx.messageTimeoutMs);
        core.transport.reschedule();
      });
    };
    return {
      client: core.slot,
      role: vars.role ?? '',
      data: vars.data ?? {},
      get backend() {
        return core.transport.backend;
      },
      send,
      request(json, o) {
        if (core.fctx.correlate === undefined) return Promise.reject(new Error('request() needs behavior.correlate (where the id goes and where the answer carries it)'));
        vars.seq = core.seq++;
        const now = performance.now();
        const { ok, id } = core.sendJson(json, true);
        return answer(ok ? id : undefined, now, false, o);
      },
      expect(matcher, o) {
        return runner.wait(undefined, tester(matcher, core), o);
      },
      emit(event, ...args) {
        vars.seq = core.seq++;
        return core.emit(event, args, undefined);
      },
      emitWithAck(event, args, o) {
        vars.seq = core.seq++;
        const key = `a${vars.seq}`;
        const now = performance.now();
        const sent = core.emit(event, args, (...values: unknown[]) => core.acked(key, values[0]));
        return answer(sent ? key : undefined, now, true, o);
      },
      on(event, o) {
        return runner.wait(event, () => true, o);
      },
      sleep(ms) {
        return new Promise((resolve) => {
          core.waiters.push({ deadline: performance.now() + ms, event: undefined, sleep: true, test: () => false, done: () => resolve() });
          core.transport.reschedule();
        });
      },
      async step(name, fn) {
        const previous = runner.at.current;
        runner.at.current = name;
        const start = performance.now();
        try {
          const r = await fn();
          core.rec.stepOk(name, (performance.now() - start) * 1000);
          return r;
        } catch (err) {
          runner.error(name, err);
          if (typeof err === 'object' && err !== null) runner.counted.add(err);
          throw err;
        } finally {
          runner.at.current = previous;
        }
      },
      publish(topic, payload, o) {
        vars.seq = core.seq++;
        const stamp = core.stampFor(topic);
        const filled = fill(payload, stamp);
        if (core.transport.kind === 'socketio') return core.emit(o?.event ?? 'chat', [filled], undefined);
        return typeof filled === 'string' ? core.sendText(filled) : core.sendJson(filled, false).ok;
      },
      join(topic) {
        core.memberships.join(topic, nowUs());
      },
      leave(topic) {
        core.memberships.leave(topic, nowUs(), core.backend);
      },
      close() {
        core.transport.closeFlow();
      },
    };
  }
}

/** `payload` with every {{ stamp }} in its strings replaced. */
function fill(payload: unknown, stamp: string): unknown {
  if (typeof payload === 'string') return payload.replace(STAMP_RE, stamp);
  if (Array.isArray(payload)) return payload.map((x) => fill(x, stamp));
  if (payload !== null && typeof payload === 'object') return Object.fromEntries(Object.entries(payload).map(([k, v]) => [k, fill(v, stamp)]));
  return payload;
}

function tester(m: FlowMatcher, core: FlowCore): (f: FrameView) => boolean {
  if (typeof m === 'function') {
    return (f) => {
      try {
        return m(f.json() ?? f.text()) === true;
      } catch {
        return false;
      }
    };
  }
  const path = m.path === undefined ? undefined : parseJsonPath(m.path);
  if (path !== undefined && 'error' in path) throw new Error(`expect(): path ${m.path} ${path.error}`);
  const cm = compileMatcher({
    ...(path === undefined ? {} : { path }),
    ...(m.equals === undefined ? {} : { equals: m.equals }),
    ...(m.regex === undefined ? {} : { regex: typeof m.regex === 'string' ? m.regex : m.regex.source }),
  });
  return (f) => matches(cm!, f, core.vars);
}
