/**
 * The API of `behavior.script` (docs/flows.md): a module whose default export runs one client's session.
 *
 * ```js
 * // flow.mjs
 * export default async function (session) {
 *   const welcome = await session.request({ type: 'auth', token: session.data.token }, { step: 'auth' });
 *   await session.step('subscribe', async () => {
 *     session.send({ type: 'subscribe', topic: 'news' });
 *     await session.expect((m) => m.type === 'subscribed', { timeout: 2000 });
 *   });
 *   session.join('news');
 *   for (let i = 0; i < 10; i++) {
 *     await session.request({ type: 'request', data: i }, { step: 'req' });
 *     await session.sleep(100);
 *   }
 * }
 * ```
 *
 * Every wait (expect, on, request, emitWithAck, sleep) is driven by the worker's timer wheel, not a timer per
 * client. A wait that times out resolves to `undefined` and counts an error (`timeout`) under its step: like a
 * failed check in k6, it does not end the session. An exception the script lets escape is counted as
 * `script_error` under the current step (`step(name, fn)`'s name, else `script`), with the client number and the
 * message (secret data columns redacted) as the sample; the connection stays open until its planned end.
 */

/** A received frame as a script sees it: the parsed JSON when the frame is JSON, else its text (ws binary: a Buffer). */
export type FlowFrame = unknown;

/** What `expect` waits for: a predicate over the frame, or a matcher like the flow's `expect:` step. */
export type FlowMatcher =
  | ((frame: FlowFrame) => boolean)
  | {
      /** A JSON path (`$.type`); without it the whole text is tested. */
      path?: string;
      equals?: unknown;
      /** A regular expression (source or RegExp) tested against the text, or the value at the path. */
      regex?: string | RegExp;
    };

export interface FlowWaitOptions {
  /** Give up after this many ms (default: behavior.message_timeout). */
  timeout?: number;
  /** Count and time it under this step name (default: the current step(), else none). */
  step?: string;
}

export interface FlowSession {
  /** The client's number (its slot, from 0; the same across its reconnects). */
  readonly client: number;
  /** Its role with behavior.roles ('' without). */
  readonly role: string;
  /** Its row of behavior.data ({} without). */
  readonly data: Readonly<Record<string, string>>;
  /** The backend the connection was attributed to (undefined until known). */
  readonly backend: string | undefined;
  /** Sends a frame: a string as text, a Buffer as binary, anything else as JSON text. False when not open. */
  send(data: unknown): boolean;
  /** A correlated request (behavior.correlate): resolves with the parsed answer, or undefined after the timeout. */
  request(json: Record<string, unknown>, options?: FlowWaitOptions): Promise<FlowFrame | undefined>;
  /** The next received frame that matches; undefined after the timeout. */
  expect(matcher: FlowMatcher, options?: FlowWaitOptions): Promise<FlowFrame | undefined>;
  /** socketio: emits an event. */
  emit(event: string, ...args: unknown[]): boolean;
  /** socketio: emits with an acknowledgement; resolves with the ack's first argument, or undefined after the timeout. */
  emitWithAck(event: string, args: unknown[], options?: FlowWaitOptions): Promise<unknown>;
  /** socketio: the next `event`; resolves with its first argument, or undefined after the timeout. */
  on(event: string, options?: FlowWaitOptions): Promise<unknown>;
  sleep(ms: number): Promise<void>;
  /** Runs `fn` as the named step: its duration is timed, its failure counted (`script_error`) under `name`. */
  step<T>(name: string, fn: () => Promise<T> | T): Promise<T>;
  /**
   * Publishes one message to `topic`: `payload` (a string, or a JSON value whose strings may hold it) with every
   * `{{ stamp }}` replaced by a delivery stamp. ws: sent as a frame; socketio: emitted as `options.event` (default
   * `chat`). False when not open.
   */
  publish(topic: string, payload: unknown, options?: { event?: string }): boolean;
  /** The client is a member of `topic` from now on (deliveries to it are expected from the next second). */
  join(topic: string): void;
  leave(topic: string): void;
  /** Closes the connection as behavior.close says. */
  close(): void;
}

/** The default export of a `behavior.script` module. */
export type FlowScript = (session: FlowSession) => Promise<void> | void;
