/**
 * The resolved form of scripted sessions (`behavior.flow`, `behavior.roles`, `behavior.script` and what they use:
 * `correlate`, `frames`, `data`, `delivery_timeout`). The YAML spelling is documented in docs/flows.md; the
 * scenario loader (src/scenario/flow.ts and neighbours) turns the file into these types, the load engine
 * (src/load/flow/) runs them. Strings that may hold per-client templates (`{{ client }}`, `{{ seq }}`, `{{ uuid }}`,
 * `{{ now }}`, `{{ random A B }}`, `{{ data.COLUMN }}`, `{{ role }}`, `{{ stamp }}`, see templates.ts) are kept as
 * written: each client fills them in when it runs the step.
 */
import type { SourceLocation } from './types.js';

/**
 * A JSON path as written (`$.a.b[0]`, `$['odd key']`): the subset every tool agrees on, member names and array
 * indices only (no filters, no wildcards). `segments` is what a client walks; `source` is kept for messages.
 */
export interface JsonPath {
  source: string;
  segments: ReadonlyArray<string | number>;
}

/** What a `send` step writes (templated strings everywhere a string appears). */
export type Payload =
  /** A text frame, as written. */
  | { kind: 'text'; text: string }
  /** A text frame holding this value serialized as JSON; string leaves (and object keys) are templates. */
  | { kind: 'json'; value: unknown }
  /** A binary frame: the bytes of `base64`, or `bytes` bytes of filler. */
  | { kind: 'binary'; base64?: string; bytes?: number };

/**
 * What a received frame (ws: the frame's text; socketio: the event's first argument) must satisfy. Without
 * `path` the whole frame (its text) is tested; with it, the value at the path of the frame parsed as JSON (a frame
 * that is not JSON, or lacks the path, does not match). At most one of equals / regex; neither: the path exists.
 */
export interface Matcher {
  path?: JsonPath;
  /** Compared with the value at the path (deep equality for objects); strings are templates. */
  equals?: unknown;
  /** A JavaScript regular expression source, tested against the text (a non-string value is JSON-serialized). */
  regex?: string;
}

interface StepBase {
  /** `name:` — a named step gets its own latency histogram and counts (results `steps`, thresholds `p99(step:NAME)`). */
  name?: string;
  location: SourceLocation;
  /**
   * `join: TOPIC` — when this step completes (a send: written, or answered when correlated; an emit with ack: the
   * ack; an expect / on: matched) the client is subscribed to TOPIC (a template): deliveries published to it are
   * expected at this client from the next second on, until a `leave` or the connection's end.
   */
  join?: string;
  /** `leave: TOPIC` — when this step completes, the client's membership of TOPIC ends. */
  leave?: string;
  /**
   * `publish: TOPIC` — this send or emit publishes one message to TOPIC (a template). Its payload must hold
   * `{{ stamp }}`, which the client fills with a delivery stamp (src/load/flow/stamp.ts) that every subscriber's
   * receipt is measured by.
   */
  publish?: string;
}

export type FlowStep =
  | (StepBase & {
      kind: 'send';
      payload: Payload;
      /** With behavior.correlate and a JSON payload: the client sets an id at correlate.send and times the answer
       *  carrying it at correlate.receive. Default true when behavior.correlate is set (`correlate: false` opts out). */
      correlate: boolean;
    })
  | (StepBase & { kind: 'expect'; match: Matcher; timeoutMs: number })
  /** Pause for `ms`, or a uniformly random time in [ms, maxMs] when maxMs is set. */
  | (StepBase & { kind: 'think'; ms: number; maxMs?: number })
  | (StepBase & {
      kind: 'loop';
      /** Iterations; absent: for the connection's life (`forever: true`). */
      count?: number;
      /** Open loop: iteration i starts at loop start + i × everyMs (late iterations start at once, and the lateness
       *  is counted as in messagesSkipped: never silently stretched). Absent: each iteration starts when the last ends. */
      everyMs?: number;
      steps: FlowStep[];
    })
  /** Close the connection as behavior.close says (a planned end). */
  | (StepBase & { kind: 'close' })
  | (StepBase & {
      kind: 'emit';
      event: string;
      /** The emit's arguments (templated strings); an ack callback is added when `ack`. */
      args: unknown[];
      ack: boolean;
      /** With ack: how long to wait for it. */
      timeoutMs: number;
    })
  /** socketio: wait for `event` (optionally whose first argument matches). */
  | (StepBase & { kind: 'on'; event: string; match?: Matcher; timeoutMs: number });

export type StepKind = FlowStep['kind'];

/** `behavior.correlate`: request/response pairs matched by an id, not by arrival order. */
export interface CorrelateSpec {
  /** Where the client puts the id in what it sends (a value already there, from the template, is used as is). */
  send: JsonPath;
  /** Where the server's answer carries it back. */
  receive: JsonPath;
}

/** `behavior.frames`: how received frames are told apart in the counts. */
export interface FramesSpec {
  /** The JSON path whose value names a frame's type (counted per type, at most MAX_FRAME_TYPES, then `other`). */
  type?: JsonPath;
}

/** Beyond this many distinct frame types the rest are counted as `other` (a path that names ids, not types). */
export const MAX_FRAME_TYPES = 100;

/** `behavior.data`: a CSV or JSON file of per-client values (`{{ data.COLUMN }}`), as Artillery payload files. */
export interface DataSpec {
  /** Absolute path (resolved against the scenario's folder). */
  file: string;
  format: 'csv' | 'json';
  /** `sequential`: client n gets row n (the file must have a row per client); `random`: a row picked per client,
   *  seeded by the client's number, so a run is reproducible. Either way a client keeps its row across reconnects. */
  order: 'sequential' | 'random';
  /** Columns whose values are written as `<redacted>` in every output (error samples, frames quoted). */
  secret: string[];
  /** The columns found (CSV header, or the keys of the first JSON object). */
  columns: string[];
  /** Rows found when the scenario was loaded. */
  rows: number;
  location: SourceLocation;
}

/** `behavior.script`: a module whose default export runs each client's session (docs/flows.md, FlowScript). */
export interface ScriptSpec {
  /** Absolute path of the module (.mjs / .js). */
  module: string;
  location: SourceLocation;
}

/** One role of `behavior.roles`: a share of the clients with its own flow or script. */
export interface RoleSpec {
  name: string;
  /** 0 < share ≤ 1; the shares of all roles add up to 1. */
  share: number;
  flow?: FlowStep[];
  script?: ScriptSpec;
  location: SourceLocation;
}

/** Template forms that flows accept on top of client / client % N / group (src/scenario/templates.ts). */
export const FLOW_TEMPLATE_FORMS = ['client', 'client % N', 'group', 'seq', 'uuid', 'now', 'random A B', 'data.COLUMN', 'role', 'stamp'] as const;
