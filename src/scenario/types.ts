/**
 * The resolved scenario: what `loadScenario` returns after validation and defaults. Everything downstream
 * (lab, load engine, analysis, reports) reads this, never the raw YAML. All durations are milliseconds,
 * all sizes bytes. The YAML spelling of each field (snake_case) is documented in docs/scenario.md.
 */
import type { StrategyOptions } from '../proxy/strategies/types.js';
import type { TlsOptions } from '../proxy/tls.js';
import type { CorrelateSpec, DataSpec, FlowStep, FramesSpec, RoleSpec, ScriptSpec } from './flow-types.js';
import type { NetworkSpec, PopulationSpec } from './population-types.js';

/** Where a value came from in the scenario file, for error messages raised after loading. */
/**
 * Who picks a bound connection's source port. `kernel`: bind(address, 0), what a client or a proxy without a port
 * range does; the kernel's search for a free port grows with what is held, and a port in TIME_WAIT stays taken.
 * `named`: wsherd names it (each worker its own share of the range): no search, but the kernel lets an explicitly
 * bound port reuse a TIME_WAIT pair, so TIME_WAIT no longer depletes ports (docs/limits.md).
 */
export type SourcePortsMode = 'kernel' | 'named';
export const SOURCE_PORTS_MODES: readonly SourcePortsMode[] = ['kernel', 'named'];

export interface SourceLocation {
  file: string;
  line: number;
  col: number;
}

export type BackendKind = 'ws' | 'socketio';
export type ProxyMode = 'l4' | 'l7';

export interface BackendsSpec {
  /** Number of reference backend processes. */
  count: number;
  kind: BackendKind;
  /** Listen host for every backend (loopback unless told otherwise). Default 127.0.0.1. */
  host: string;
  /** `socketio:` — options of the socket.io backends (kind socketio only). Absent: socket.io's defaults. */
  socketio?: SocketIoBackendSpec;
  /** Resource limits applied to each backend process. */
  limits?: ComponentLimits;
  /**
   * `bus: redis` — the lab starts one redis-server and every backend joins it: socket.io rooms through
   * @socket.io/redis-adapter, ws topics through Redis pub/sub. Absent: rooms and topics are per backend.
   */
  bus?: BackendBus;
  /** `push_interval` (kind ws): every authenticated connection gets a `push` frame this often, ms. Absent: no pushes. */
  pushIntervalMs?: number;
}

export type BackendBus = 'redis';

/** Resource limits the lab applies to a component's process at start (prlimit). */
export interface ComponentLimits {
  /** Open-file limit, soft = hard (RLIMIT_NOFILE). */
  fds?: number;
}

/** Options of the reference socket.io backend (src/backend/socketio-server.ts). */
export interface SocketIoBackendSpec {
  /** engine.io path. Default `/socket.io/`. */
  path?: string;
  /** engine.io session cookie: false (default), true (named `io`) or a cookie name. */
  cookie?: boolean | string;
  /** Transports accepted. Default both. */
  transports?: Array<'polling' | 'websocket'>;
}

export interface ProxySpec {
  /** Strategy name, e.g. `round-robin`. */
  strategy: string;
  /** Resource limits applied to the proxy process (and each of its workers). */
  limits?: ComponentLimits;
  /** `l4` splices TCP; `l7` parses HTTP (cookies, query, upgrades). Default l4. */
  mode: ProxyMode;
  /** Listen host. Default 127.0.0.1. */
  host: string;
  /** `options:` — the strategy's tuning (snake_case in the file); only keys the strategy takes. Default none. */
  options?: StrategyOptions;
  /** `tls:` — terminate TLS (wss://): `self-signed`, or cert/key files resolved against the scenario's folder. */
  tls?: TlsOptions;
  /** `store:` — where sticky tables live: `memory` (default) or a `redis://host:port[/db]` URL. */
  store?: string;
  /** `sources:` — local IPv4 addresses upstream connects bind to, ranges expanded. Default: the kernel picks. */
  sourceAddresses?: string[];
  /** `source_ports:` — with sources, who picks the upstream source port: the kernel (bind to port 0, the default) or
   *  the proxy (`named`, as HAProxy's `source addr:port-range`; src/proxy/upstream.ts). */
  sourcePorts?: SourcePortsMode;
  /** `maxconn:` — open client connections above which new ones are closed at once. Default no limit. */
  maxconn?: number;
  /** `workers:` — proxy worker processes, 1..64. Absent means 1. */
  workers?: number;
}

export type FaultAction = 'kill' | 'stop' | 'drain' | 'add';
export const FAULT_ACTIONS: readonly FaultAction[] = ['kill', 'stop', 'drain', 'add'];

/** One entry of `faults:`: at a second of the run, do something to a backend of the lab. */
export interface FaultSpec {
  atMs: number;
  action: FaultAction;
  /** The backend's id (b1…); absent for add, which starts the next one. */
  backend?: string;
  location: SourceLocation;
}

// Where clients come from and the run's network namespace: src/scenario/population-types.ts.
export type { AddressSet, NetworkSpec, PopulationGroup, PopulationSpec } from './population-types.js';

/** One approach of a comparison: a name and the lab proxy to run it with. */
export interface CompareEntry {
  name: string;
  proxy: ProxySpec;
  /** The approach of this entry; default the lab's. */
  approach?: Approach;
  dns?: DnsLabSpec;
  orchestrator?: OrchestratorLabSpec;
  /** The clients' reconnect policy for this entry (null: none); absent: behavior.reconnect. */
  reconnect?: ReconnectPolicy | null;
}

/**
 * How clients reach the backends in a lab (the article's approaches):
 * - `proxy`: through the reference balancer (the default);
 * - `dns`: DNS round robin — the lab's DNS server answers a name with every backend's address (each backend on its
 *   own 127.0.1.x, one port) and clients connect directly;
 * - `orchestrator`: clients ask the reference orchestrator for a backend URL, then connect directly;
 * - `dns-proxies`: the hybrid of DNS in front of several proxies, each in front of every backend;
 * - `proxy-orchestrator`: the hybrid of a proxy in front of an orchestrator-aware tier — backends register with the
 *   orchestrator and the proxy's pool follows its registry.
 */
export type Approach = 'proxy' | 'dns' | 'orchestrator' | 'dns-proxies' | 'proxy-orchestrator';
export const APPROACHES: readonly Approach[] = ['proxy', 'dns', 'orchestrator', 'dns-proxies', 'proxy-orchestrator'];

/** `lab.dns`: the reference DNS server (src/dns/server.ts). */
export interface DnsLabSpec {
  /** The name clients resolve. Default `app.wsherd.test`. */
  name: string;
  /** TTL of every answer, s. Default 30. */
  ttlSeconds: number;
  /** Health-checked DNS (an address whose port stops accepting leaves the answer). Default false, like plain DNS. */
  health: boolean;
  /** dns-proxies: how many proxies the name answers with. Default 2. */
  proxies: number;
}

export type OrchestratorStrategyName = 'least-loaded' | 'consistent-hash' | 'power-of-two-choices';

/** `lab.orchestrator`: the reference orchestrator (src/orchestrator/server.ts). */
export interface OrchestratorLabSpec {
  strategy: OrchestratorStrategyName;
  /** `memory` (default), or `redis://host:port[/db]` so that several instances share one registry. */
  store: string;
  /** Orchestrator instances; clients spread over them by slot. Several need a redis store. Default 1. */
  instances: number;
}

export interface LabSpec {
  backends: BackendsSpec;
  /** The reference balancer in front of the backends. Always present in the resolved scenario. */
  proxy: ProxySpec;
  /** How clients reach the backends. Absent: proxy. */
  approach?: Approach;
  /** With approach dns or dns-proxies. */
  dns?: DnsLabSpec;
  /** With approach orchestrator or proxy-orchestrator. */
  orchestrator?: OrchestratorLabSpec;
}

/** `behavior.dns`: how clients of the dns engine resolve and cache (per population group). */
export interface DnsClientSpec {
  /** `ttl` honours each answer's TTL; `none` asks every time; `forever` keeps the first answer (clients that ignore TTLs). */
  cache: 'ttl' | 'none' | 'forever';
  /** With `ttl`: keep using an answer this long past its TTL. Default 0. */
  staleMs: number;
  /** The answered address a client connects to: `first` (getaddrinfo + connect) or `random`. */
  pick: 'first' | 'random';
  /** On a failed connect, try the answer's next address. Default false. */
  failover: boolean;
  /** A lookup not answered within this long fails (dns_timeout). Default 2000 ms. */
  timeoutMs: number;
  /** The DNS server, host:port, against a target; in a lab run the lab's own. */
  server?: string;
}

export interface TargetSpec {
  /** Any ws:// or wss:// URL. */
  url: string;
  /**
   * `target.backends`: the backends behind the target, by the id each announces (`x-wsherd-backend`, the identity
   * contract), or only how many there are. Skew is then computed over all of them, a declared backend that got no
   * connection counts as 0 (and is named in the diagnosis) instead of vanishing. A count names the unseen ones
   * `unseen-1`, `unseen-2`, … Absent: skew over the backends seen.
   */
  backends?: string[] | number;
}

/**
 * One segment of the target-concurrency curve. Phases in the file (ramp_up, hold, ramp_down, by duration or
 * arrival rate) all resolve to linear segments: over `durationMs` the number of open clients goes from the
 * previous segment's `to` (0 at the start) to `to`. An arrival-rate ramp has its duration derived from the rate.
 */
export interface PhaseSegment {
  kind: 'ramp_up' | 'hold' | 'ramp_down';
  durationMs: number;
  /** Target open clients at the end of the segment. */
  to: number;
  /** For arrival-rate ramps: new connections per second (informational; durationMs is derived from it). */
  rate?: number;
}

/**
 * How a planned end goes. `client`: the client starts the WebSocket closing handshake; per RFC 6455 the server then
 * closes TCP first, so the server side holds TIME_WAIT. `server`: the client asks a reference backend to close.
 * `client-fin`: the client closes TCP without a closing handshake (a tab or app going away), so the client sends the
 * first FIN and holds TIME_WAIT — and a proxy relaying it closes its upstream connection first, holding TIME_WAIT on
 * its own ephemeral ports: the churn that depletes a balancer's upstream ports.
 */
export type Closer = 'client' | 'server' | 'client-fin';

/**
 * How a client talks: `ws` (a plain WebSocket, the default), `socketio` (socket.io-client as an application uses
 * it: polling, then the upgrade), `engineio` (wsherd's own Engine.IO v4 probe, attributing every request).
 */
export type EngineName = 'ws' | 'socketio' | 'engineio' | 'dns' | 'orchestrated';
/** Engines a scenario may name; `dns` and `orchestrated` follow from the lab's approach (or behavior.dns against a target). */
export const ENGINE_NAMES: readonly EngineName[] = ['ws', 'socketio', 'engineio', 'dns', 'orchestrated'];

/**
 * `behavior.ws_client`: which client the ws engine runs. `lean` (the default): wsherd's own over a raw socket
 * (src/load/ws-lean.ts), a few kB per held connection. `library`: the `ws` package's client (src/load/ws-client.ts),
 * kept as an escape hatch and as a peer to measure the lean one against.
 */
export type WsClientName = 'lean' | 'library';
export const WS_CLIENT_NAMES: readonly WsClientName[] = ['lean', 'library'];

export type TransportName = 'polling' | 'websocket';

/** Options of the session engines (socketio, engineio); ignored by ws. */
export interface SessionOptions {
  /** Engine.IO path on the server. Default `/socket.io/`. */
  path: string;
  /** Transports in order of use. Default polling then websocket (socket.io's default). */
  transports: TransportName[];
  /** engineio: polls (GET) and posts made before the upgrade, so a session makes several HTTP requests. Default 3. */
  pollsBeforeUpgrade: number;
  /** Upgrade to WebSocket after polling. Default true. */
  upgrade: boolean;
  /** When a session ends as planned, open one more with the same cookies and address and check it lands on the same backend. Default false. */
  reconnectCheck: boolean;
}

export const DEFAULT_SESSION: Readonly<SessionOptions> = { path: '/socket.io/', transports: ['polling', 'websocket'], pollsBeforeUpgrade: 3, upgrade: true, reconnectCheck: false };

/**
 * `behavior.reconnect`: what a slot does when its connection fails or drops before its planned end while the
 * schedule still has it open. `none` (the default) waits for the next planned opening; `immediate` reopens at the
 * worker's next tick; `backoff` waits min(maxMs, baseMs × 2^attempt) with AWS-style jitter (`full`: uniform in
 * [0, d]; `equal`: d/2 + uniform in [0, d/2]; `none`: d). Never past the end of the slot's open interval.
 */
export type ReconnectPolicyName = 'none' | 'immediate' | 'backoff';
export type ReconnectJitter = 'full' | 'equal' | 'none';

export interface ReconnectPolicy {
  policy: ReconnectPolicyName;
  /** backoff: the first delay before jitter, ms. Default 100. */
  baseMs: number;
  /** backoff: the cap on the delay before jitter, ms. Default 10000. */
  maxMs: number;
  /** backoff: how the delay is randomised. Default full. */
  jitter: ReconnectJitter;
  /** Reconnects per outage (the count resets once a connection is established). Absent: until the interval ends. */
  maxAttempts?: number;
}

export interface Behavior {
  /** Client engine. Default ws. */
  engine?: EngineName;
  /** Session engines' options (socketio, engineio). */
  session?: SessionOptions;
  /** Engine ws: which client (absent: lean). */
  wsClient?: WsClientName;
  /** The dns engine's resolving and caching. */
  dns?: DnsClientSpec;
  /** Messages per second each client sends while open (0 = idle connections). */
  messagesPerSecond: number;
  /** Bytes per message (UTF-8 text frame including wsherd's small header). */
  payloadBytes: number;
  /** How a connection's planned end goes (see Closer). */
  close: Closer;
  /** Churn: each connection of a slot lives this long, then the slot connects again (after thinkTimeMs). Absent: one connection per open period. */
  lifetimeMs?: number;
  /** With lifetimeMs: the pause between a connection's end and the slot's next connect. Default 0. */
  thinkTimeMs?: number;
  /** `handshakes_in_flight:` — at most this many openings of the run have their connect + handshake under way at once
   *  (split across workers); the rest wait in the generator, first come first served. Absent: 1000. */
  handshakesInFlight?: number;
  /** `send_during_ramp:` — false: a client opened during a ramp up starts sending (echo sender, flows) only when the
   *  ramp ends (tcpkali's --delay-send). Absent: true. */
  sendDuringRamp?: boolean;
  /** `source_ports:` — clients bound to source addresses (population, lab sources): who picks the source port, the
   *  kernel (bind to port 0, the default) or the worker (`named`, src/net/source-ports.ts). */
  sourcePorts?: SourcePortsMode;
  /** TCP connect timeout. Default 5000 ms. */
  connectTimeoutMs: number;
  /** WebSocket handshake timeout (from TCP connected to 101). Default 5000 ms. */
  handshakeTimeoutMs: number;
  /** A message not echoed within this time is counted lost. Default 5000 ms. */
  messageTimeoutMs: number;
  /** Reopening a slot after an unplanned end. Absent: policy none (wait for the next planned opening). */
  reconnect?: ReconnectPolicy;
  /**
   * `headers:` — extra HTTP headers every client sends: on its WebSocket handshake, and with the session engines
   * on every long-polling request too (a Cookie is merged with the session's cookie jar; Sec-WebSocket-Protocol
   * goes on handshakes only, as the subprotocols offered). Name as written → value. Absent: none. Values of
   * Authorization, Proxy-Authorization and Cookie are written to results as `<redacted>`.
   */
  headers?: Record<string, string>;
  /**
   * `query:` — parameters appended (URL-encoded) to every connection URL: the ws handshake, every engine.io poll
   * and upgrade, the URL a dns or orchestrated client connects to. Name → value as written. Absent: none.
   * Header and query values may hold per-client templates, `{{ client }}`, `{{ client % N }}`, `{{ group }}`
   * (src/scenario/templates.ts), kept here and in results as written; each client fills them in when it starts.
   */
  query?: Record<string, string>;
  /**
   * Scripted sessions (docs/flows.md). `flow:` — each client's steps (send, expect, think, loop, close, emit, on),
   * run once the connection is open; with a flow (or roles, or a script) the echo sender (messages_per_second) is off.
   */
  flow?: FlowStep[];
  /** `roles:` — shares of the clients (publishers, subscribers, …), each with its own flow or script. */
  roles?: RoleSpec[];
  /** `script:` — a module whose default export runs each client's session (FlowScript, src/load/flow/script-api.ts). */
  script?: ScriptSpec;
  /** `correlate:` — request/response latency by an id the client puts in and the server echoes back. */
  correlate?: CorrelateSpec;
  /** `frames:` — received frames counted per type. */
  frames?: FramesSpec;
  /** `data:` — a CSV or JSON file of per-client values, `{{ data.COLUMN }}`. */
  data?: DataSpec;
  /** `delivery_timeout:` — a delivery received later than this after its stamp is `late`; the window at a member's
   *  leave within which publishes are not expected of it. Default: messageTimeoutMs. */
  deliveryTimeoutMs?: number;
}

export type ThresholdOp = '<' | '<=' | '>' | '>=' | '==' | '!=';

export interface ThresholdSpec {
  /** The text as written, e.g. `p99(connect) < 50ms`. */
  source: string;
  /** Metric name, e.g. `p99(connect)`, `errors.rate`, `backends.peak_to_average`. */
  metric: string;
  op: ThresholdOp;
  /** Value in the metric's base unit (ms for latencies, a fraction for rates). */
  value: number;
  location: SourceLocation;
}

export interface Scenario {
  name: string;
  /** Absolute path of the scenario file, when loaded from one. */
  file?: string;
  /** Exactly one of `lab` and `target` is set. */
  lab?: LabSpec;
  target?: TargetSpec;
  /** `wsherd compare`: the approaches to run one after another on fresh labs (the lab's proxy, varied). */
  compare?: CompareEntry[];
  /** Run everything (lab and clients) in a private network namespace with its own port range and TIME_WAIT reuse. */
  network?: NetworkSpec;
  /** Peak number of concurrent clients (client slots). */
  clients: number;
  /** `faults:` — kills, stops, drains and additions of backends at given seconds (lab runs). */
  faults?: FaultSpec[];
  /** Source addresses of the clients, by group. Absent: the OS picks (one address). */
  population?: PopulationSpec;
  phases: PhaseSegment[];
  behavior: Behavior;
  thresholds: ThresholdSpec[];
  /** Output folder for results.json, index.html. Default `wsherd-results/<name>-<timestamp>`. */
  out?: string;
  /** Generator worker processes; default derived from fd limit and cores. */
  workers?: number;
  /** `baseline:` — tolerances for `wsherd report --baseline` when this run is the new one. */
  baseline?: BaselineSpec;
}

/** Relative tolerances (fractions: 0.1 = 10%) before a change in the worse direction counts as a regression. */
export interface BaselineSpec {
  /** Every metric; default 10%. */
  tolerance?: number;
  /** Per metric name (threshold spelling, e.g. `p99(connect)`), overriding `tolerance`. */
  metrics?: Record<string, number>;
}
