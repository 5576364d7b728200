/**
 * The `lab`, `target` and `behavior` sections: defaults, ranges and the loopback rule (the proxy's optional keys
 * are read in proxy-options.ts). Each reader reports its problems into the context and returns undefined when
 * the section cannot be resolved.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { isMap, isScalar, isSeq } from 'yaml';
import type { BackendBus, BackendKind, BackendsSpec, Behavior, Closer, LabSpec, ProxyMode, ProxySpec, TargetSpec } from './types.js';
import { SOURCE_PORTS_MODES } from './types.js';
import { type Context, type Field, type Section, childPath, describe, readBool, readChoice, readDuration, readInteger, readList, readNumber, readSection, readString, reportMissing } from './context.js';
import { checkStrategyMode, readStrategy } from './strategies.js';
import { readProxyExtras } from './proxy-options.js';
import { readEngine, readSessionOptions, readWsClient } from './engine.js';
import { DEFAULT_HANDSHAKES_IN_FLIGHT } from '../load/open-gate.js';
import { readSocketIoBackend } from './socketio-backend.js';
import { readLimits } from './limits.js';
import { DEFAULT_DNS_LAB, DEFAULT_ORCHESTRATOR, readApproach, readDnsClient, readDnsLab, readOrchestrator } from './approach.js';
import { readReconnect } from './reconnect.js';
import { readHeaders } from './headers.js';
import { readQuery } from './query.js';
import { FLOW_KEYS, readDataPart, readFlowParts, templateScope } from './flow-behavior.js';

export const LAB_KEYS = ['backends', 'proxy', 'approach', 'dns', 'orchestrator'] as const;
export const BACKENDS_KEYS = ['count', 'kind', 'host', 'socketio', 'limits', 'bus', 'push_interval'] as const;
/** `lab.backends.bus`: the message bus the backends share (the lab starts it). */
export const BACKEND_BUSES: readonly BackendBus[] = ['redis'];
export const PROXY_KEYS = ['strategy', 'mode', 'host', 'options', 'tls', 'store', 'sources', 'source_ports', 'maxconn', 'workers', 'limits'] as const;
export const BEHAVIOR_KEYS = ['engine', 'ws_client', 'session', 'messages_per_second', 'payload_bytes', 'close', 'connect_timeout', 'handshake_timeout', 'message_timeout', 'lifetime', 'think_time', 'handshakes_in_flight', 'send_during_ramp', 'source_ports', 'reconnect', 'dns', 'headers', 'query', ...FLOW_KEYS] as const;

/** A connection shorter than this measures the connect path, not a WebSocket; it also bounds the events a worker plans. */
export const MIN_LIFETIME_MS = 100;

export const BACKEND_KINDS: readonly BackendKind[] = ['ws', 'socketio'];
export const PROXY_MODES: readonly ProxyMode[] = ['l4', 'l7'];
export const CLOSERS: readonly Closer[] = ['client', 'server', 'client-fin'];

/** Each backend is its own process on this machine; beyond this the lab measures the scheduler, not the balancer. */
export const MAX_BACKENDS = 256;
/** Matches the reference backend's largest accepted message. */
export const MAX_PAYLOAD_BYTES = 16 * 1024 * 1024;
/** `wsherd:m:<seq>:` with a six-digit sequence number is 16 bytes; anything smaller cannot carry the header. */
export const MIN_PAYLOAD_BYTES = 16;
export const DEFAULT_HOST = '127.0.0.1';

export const DEFAULT_BEHAVIOR: Readonly<Behavior> = {
  messagesPerSecond: 1,
  payloadBytes: 64,
  close: 'client',
  connectTimeoutMs: 5000,
  handshakeTimeoutMs: 5000,
  messageTimeoutMs: 5000,
};

/** An optional map section: absent or written as `key:` with nothing after it means "all defaults". */
function optionalSection(ctx: Context, field: Field | undefined, known: readonly string[]): Section | 'absent' | undefined {
  if (field === undefined || field.value === null || (isScalar(field.value) && field.value.value === null)) return 'absent';
  return readSection(ctx, field, known);
}

export function readLab(ctx: Context, field: Field): LabSpec | undefined {
  const lab = readSection(ctx, field, LAB_KEYS);
  if (lab === undefined) return undefined;
  const backendsField = lab.fields.get('backends');
  let backends: BackendsSpec | undefined;
  if (backendsField === undefined) reportMissing(ctx, lab, 'backends', 'e.g. backends: {count: 3}');
  else backends = readBackends(ctx, backendsField);
  const proxy = readProxy(ctx, lab.fields.get('proxy'));
  const parts = readApproachParts(ctx, lab.fields, field.path);
  if (parts === undefined || backends === undefined || proxy === undefined) return undefined;
  if (parts.approach !== undefined && parts.approach !== 'proxy' && backends.kind !== 'ws') {
    ctx.report(lab.fields.get('approach')?.at, childPath(field.path, 'approach'), `approach: ${parts.approach} needs ws backends (its clients connect with plain WebSockets)`, 'use backends.kind: ws, or the proxy approach for socket.io');
    return undefined;
  }
  return { backends, proxy, ...parts };
}

/** `approach`, `dns`, `orchestrator` of a lab (or of a compare entry): each section only with an approach that uses it. */
export function readApproachParts(ctx: Context, fields: ReadonlyMap<string, Field>, path: string): Pick<LabSpec, 'approach' | 'dns' | 'orchestrator'> | undefined {
  const approachField = fields.get('approach');
  const approach = approachField === undefined ? undefined : readApproach(ctx, approachField);
  if (approachField !== undefined && approach === undefined) return undefined;
  const dnsField = fields.get('dns');
  const orchField = fields.get('orchestrator');
  const usesDns = approach === 'dns' || approach === 'dns-proxies';
  if (dnsField !== undefined && !usesDns) {
    ctx.report(dnsField.key ?? dnsField.at, childPath(path, 'dns'), `${childPath(path, 'dns')} applies with approach: dns or dns-proxies`, 'add approach: dns, or remove dns');
    return undefined;
  }
  const usesOrch = approach === 'orchestrator' || approach === 'proxy-orchestrator';
  if (orchField !== undefined && !usesOrch) {
    ctx.report(orchField.key ?? orchField.at, childPath(path, 'orchestrator'), `${childPath(path, 'orchestrator')} applies with approach: orchestrator or proxy-orchestrator`, 'add approach: orchestrator, or remove orchestrator');
    return undefined;
  }
  const dns = usesDns ? (dnsField === undefined ? { ...DEFAULT_DNS_LAB } : readDnsLab(ctx, dnsField)) : undefined;
  const orchestrator = usesOrch ? (orchField === undefined ? { ...DEFAULT_ORCHESTRATOR } : readOrchestrator(ctx, orchField)) : undefined;
  if ((usesDns && dns === undefined) || (usesOrch && orchestrator === undefined)) return undefined;
  return { ...(approach === undefined ? {} : { approach }), ...(dns === undefined ? {} : { dns }), ...(orchestrator === undefined ? {} : { orchestrator }) };
}

function readBackends(ctx: Context, field: Field): BackendsSpec | undefined {
  const section = readSection(ctx, field, BACKENDS_KEYS);
  if (section === undefined) return undefined;
  const f = section.fields;
  const countField = f.get('count');
  if (countField === undefined) reportMissing(ctx, section, 'count', 'the number of backend processes, e.g. count: 3');
  const count = countField && readInteger(ctx, countField, { min: 1, max: MAX_BACKENDS });
  const kindField = f.get('kind');
  const kind = kindField ? readChoice(ctx, kindField, BACKEND_KINDS) : 'ws';
  const hostField = f.get('host');
  const host = hostField ? readLoopbackHost(ctx, hostField) : DEFAULT_HOST;
  const sioField = f.get('socketio');
  const socketio = sioField && readSocketIoBackend(ctx, sioField, kind);
  if (sioField && socketio === undefined) return undefined;
  const limitsField = f.get('limits');
  const limits = limitsField && readLimits(ctx, limitsField);
  if (limitsField && limits === undefined) return undefined;
  const app = readBackendApp(ctx, f, kind);
  if (app === undefined) return undefined;
  return count !== undefined && kind !== undefined && host !== undefined ? { count, kind, host, ...(socketio ? { socketio } : {}), ...(limits?.fds === undefined ? {} : { limits }), ...app } : undefined;
}

/** `bus` and `push_interval`: the reference realtime app's options (docs/lab-app.md). */
function readBackendApp(ctx: Context, f: ReadonlyMap<string, Field>, kind: BackendKind | undefined): Pick<BackendsSpec, 'bus' | 'pushIntervalMs'> | undefined {
  const busField = f.get('bus');
  const bus = busField && readChoice(ctx, busField, BACKEND_BUSES);
  const pushField = f.get('push_interval');
  let pushIntervalMs: number | undefined;
  if (pushField !== undefined && kind === 'socketio') {
    ctx.report(pushField.key ?? pushField.at, pushField.path, `${pushField.path} applies to kind ws (the JSON app's pushes), but the kind is socketio`, 'remove push_interval, or use kind: ws');
    return undefined;
  }
  if (pushField !== undefined) pushIntervalMs = readDuration(ctx, pushField, { minMs: 10 });
  if ((busField && bus === undefined) || (pushField && pushIntervalMs === undefined)) return undefined;
  return { ...(bus === undefined ? {} : { bus }), ...(pushIntervalMs === undefined ? {} : { pushIntervalMs }) };
}

/** `extraKeys`: keys the caller reads itself (a compare entry's `name`), accepted here without a problem. */
export function readProxy(ctx: Context, field: Field | undefined, extraKeys: readonly string[] = []): ProxySpec | undefined {
  const section = optionalSection(ctx, field, [...PROXY_KEYS, ...extraKeys]);
  if (section === undefined) return undefined;
  if (section === 'absent') return { strategy: 'round-robin', mode: 'l4', host: DEFAULT_HOST };
  const f = section.fields;
  const strategyField = f.get('strategy');
  const strategy = strategyField ? readStrategy(ctx, strategyField) : 'round-robin';
  const modeField = f.get('mode');
  const mode = modeField ? readChoice(ctx, modeField, PROXY_MODES) : 'l4';
  const hostField = f.get('host');
  const host = hostField ? readLoopbackHost(ctx, hostField) : DEFAULT_HOST;
  const extras = readProxyExtras(ctx, f, strategy, strategyField !== undefined);
  const limitsField = f.get('limits');
  const limits = limitsField && readLimits(ctx, limitsField);
  if (limitsField && limits === undefined) return undefined;
  if (strategyField && strategy !== undefined && mode !== undefined && !checkStrategyMode(ctx, strategyField, strategy, mode, modeField !== undefined)) return undefined;
  return strategy !== undefined && mode !== undefined && host !== undefined && extras !== undefined ? { strategy, mode, host, ...extras, ...(limits?.fds === undefined ? {} : { limits }) } : undefined;
}

/** True for 127.0.0.0/8 and ::1 (in any of its spellings). */
export function isLoopback(host: string): boolean {
  if (isIPv4(host)) return host.startsWith('127.');
  // ::1 may be written with any number of zero groups (0:0:0:0:0:0:0:1, ::0:1); strip them and see what is left.
  return isIPv6(host) && host.replace(/^[0:]+/, '') === '1';
}

function readLoopbackHost(ctx: Context, field: Field): string | undefined {
  const host = readString(ctx, field);
  if (host === undefined) return undefined;
  if (isLoopback(host)) return host;
  const hint =
    host === 'localhost'
      ? 'write 127.0.0.1 or ::1: the lab binds addresses, not names'
      : 'the lab runs on this machine only: use 127.0.0.1 or another 127.x.y.z address; to load servers elsewhere, use `target` instead of `lab`';
  ctx.report(field.at, field.path, `${field.path} must be a loopback address (127.0.0.0/8 or ::1), got "${host}"`, hint);
  return undefined;
}

/** `httpAllowed`: the run uses a session engine (socketio, engineio), whose servers are addressed by http(s) URLs. */
export function readTarget(ctx: Context, field: Field, httpAllowed = false): TargetSpec | undefined {
  let urlField = field;
  let backends: string[] | number | undefined;
  let backendsBad = false;
  if (isMap(field.value)) {
    const section = readSection(ctx, field, ['url', 'backends']);
    if (section === undefined) return undefined;
    const declared = section.fields.get('backends');
    if (declared !== undefined) {
      backends = readDeclaredBackends(ctx, declared);
      backendsBad = backends === undefined;
    }
    const inner = section.fields.get('url');
    if (inner === undefined) {
      reportMissing(ctx, section, 'url', 'e.g. url: ws://127.0.0.1:8080/');
      return undefined;
    }
    urlField = inner;
  } else if (!isScalar(field.value) || typeof field.value.value !== 'string') {
    ctx.report(field.at, field.path, `${field.path} must be a ws:// or wss:// URL, got ${describe(field.value)}`, 'e.g. target: ws://127.0.0.1:8080/');
    return undefined;
  }
  const url = readString(ctx, urlField);
  const target = url === undefined ? undefined : checkUrl(ctx, urlField, url.trim(), httpAllowed);
  if (target === undefined || backendsBad) return undefined;
  return backends === undefined ? target : { ...target, backends };
}

/** Most backends a target may declare: skew statistics over more are still cheap, but a typo'd 10000 is not meant. */
const MAX_DECLARED_BACKENDS = 1000;
const BACKENDS_HINT = 'e.g. backends: [w1, w2, w3, w4] (the ids the servers send in x-wsherd-backend) or backends: 4';

/** `target.backends`: a list of distinct ids, or a count. */
function readDeclaredBackends(ctx: Context, field: Field): string[] | number | undefined {
  if (isScalar(field.value) && typeof field.value.value === 'number') return readInteger(ctx, field, { min: 1, max: MAX_DECLARED_BACKENDS });
  if (!isSeq(field.value)) {
    ctx.report(field.at, field.path, `${field.path} must be a list of backend ids or a count, got ${describe(field.value)}`, BACKENDS_HINT);
    return undefined;
  }
  const ids = readList(ctx, field, MAX_DECLARED_BACKENDS, 'backend ids', BACKENDS_HINT, (item) => {
    const id = isScalar(item.value) && (typeof item.value.value === 'string' || typeof item.value.value === 'number') ? String(item.value.value).trim() : undefined;
    if (id === undefined || id === '' || id === 'unknown') {
      ctx.report(item.at, item.path, `${item.path} must be a backend id (a name such as w1), got ${describe(item.value)}`, BACKENDS_HINT);
      return undefined;
    }
    return id;
  });
  if (ids === undefined) return undefined;
  const seen = new Set<string>();
  let ok = true;
  if (isSeq(field.value)) {
    field.value.items.forEach((item, i) => {
      const id = ids[i] as string;
      if (seen.has(id)) {
        ok = false;
        ctx.report(ctx.deref(item) ?? field.at, childPath(field.path, i), `${childPath(field.path, i)} repeats the backend id "${id}"`, 'list each backend once');
      }
      seen.add(id);
    });
  }
  return ok ? ids : undefined;
}

function checkUrl(ctx: Context, field: Field, url: string, httpAllowed: boolean): TargetSpec | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    ctx.report(field.at, field.path, `${field.path} is not a valid URL ("${url}")`, 'e.g. ws://127.0.0.1:8080/');
    return undefined;
  }
  if (parsed.protocol === 'ws:' || parsed.protocol === 'wss:') return { url };
  if (httpAllowed && (parsed.protocol === 'http:' || parsed.protocol === 'https:')) return { url };
  const scheme = parsed.protocol.slice(0, -1);
  const swap: Readonly<Record<string, string>> = { http: 'ws', https: 'wss' };
  const better = swap[scheme];
  const hint =
    better === undefined
      ? 'e.g. ws://127.0.0.1:8080/ or wss://example.com/socket'
      : `use ${better}:// instead: "${better}${url.slice(scheme.length)}"; wsherd makes the HTTP upgrade request itself`;
  ctx.report(field.at, field.path, `${field.path} must use ws:// or wss://, got ${scheme}://`, hint);
  return undefined;
}

/** `where`: what behavior.query and the templates are checked against (the target's URL, whether a population exists). */
export function readBehavior(ctx: Context, field: Field | undefined, where: { targetUrl?: string; population: boolean } = { population: false }): Behavior | undefined {
  const section = optionalSection(ctx, field, BEHAVIOR_KEYS);
  if (section === undefined) return undefined;
  if (section === 'absent') return { ...DEFAULT_BEHAVIOR };
  const f = section.fields;
  const d = DEFAULT_BEHAVIOR;
  const read = <T>(key: string, fallback: T, reader: (field: Field) => T | undefined): T | undefined => {
    const value = f.get(key);
    return value === undefined ? fallback : reader(value);
  };
  const behavior = {
    messagesPerSecond: read('messages_per_second', d.messagesPerSecond, (v) => readNumber(ctx, v, { min: 0, max: 10_000 })),
    payloadBytes: read('payload_bytes', d.payloadBytes, (v) =>
      readInteger(ctx, v, {
        min: MIN_PAYLOAD_BYTES,
        max: MAX_PAYLOAD_BYTES,
        hint: `a payload holds the wsherd:m:<seq>: header, so at least ${MIN_PAYLOAD_BYTES} bytes; at most 16 MiB = ${MAX_PAYLOAD_BYTES}`,
      }),
    ),
    close: read('close', d.close, (v) => readChoice(ctx, v, CLOSERS)),
    connectTimeoutMs: read('connect_timeout', d.connectTimeoutMs, (v) => readDuration(ctx, v)),
    handshakeTimeoutMs: read('handshake_timeout', d.handshakeTimeoutMs, (v) => readDuration(ctx, v)),
    messageTimeoutMs: read('message_timeout', d.messageTimeoutMs, (v) => readDuration(ctx, v)),
  };
  const dnsField = f.get('dns');
  const dns = dnsField === undefined ? null : readDnsClient(ctx, dnsField);
  const lifetimeField = f.get('lifetime');
  const thinkField = f.get('think_time');
  const lifetimeMs = lifetimeField === undefined ? null : readDuration(ctx, lifetimeField, { minMs: MIN_LIFETIME_MS });
  const thinkTimeMs = thinkField === undefined ? null : readDuration(ctx, thinkField, { allowZero: true });
  if (thinkField !== undefined && lifetimeField === undefined) {
    ctx.report(thinkField.at, thinkField.path, `${thinkField.path} applies between connections of a slot, which needs behavior.lifetime`, 'add behavior.lifetime (e.g. lifetime: 2s), or remove think_time');
  }
  const capField = f.get('handshakes_in_flight');
  const handshakesInFlight = capField === undefined ? null : readInteger(ctx, capField, { min: 1, max: 1_000_000, hint: `openings whose handshake may be under way at once (the whole run, split across workers); default ${DEFAULT_HANDSHAKES_IN_FLIGHT}` });
  const rampField = f.get('send_during_ramp');
  const sendDuringRamp = rampField === undefined ? null : readBool(ctx, rampField);
  const portsField = f.get('source_ports');
  const sourcePorts = portsField === undefined ? null : readChoice(ctx, portsField, SOURCE_PORTS_MODES);
  const reconnect = readReconnect(ctx, f.get('reconnect'));
  const engine = readEngine(ctx, f.get('engine'));
  const wsClient = readWsClient(ctx, f.get('ws_client'), engine);
  // data first: header, query and flow templates may name its columns.
  const data = readDataPart(ctx, f);
  const scope = templateScope(f, where.population, data);
  const headers = readHeaders(ctx, f.get('headers'), scope);
  const query = readQuery(ctx, f.get('query'), { ...where, session: engine === 'socketio' || engine === 'engineio', templates: scope });
  const sessionField = f.get('session');
  const session = engine === 'ws' && sessionField === undefined ? null : readSessionOptions(ctx, sessionField, engine);
  const flow = data === undefined ? undefined : readFlowParts(ctx, f, engine, scope, data);
  if (handshakesInFlight === undefined || sendDuringRamp === undefined || sourcePorts === undefined) return undefined;
  if (engine === undefined || wsClient === undefined || session === undefined || lifetimeMs === undefined || thinkTimeMs === undefined || dns === undefined || reconnect === undefined || headers === undefined || query === undefined) return undefined;
  if (Object.values(behavior).some((v) => v === undefined) || (thinkField !== undefined && lifetimeField === undefined) || flow === undefined) return undefined;
  return {
    ...(behavior as Behavior),
    ...flow,
    ...(engine === 'ws' ? {} : { engine }),
    ...(wsClient === null ? {} : { wsClient }),
    ...(session === null ? {} : { session }),
    ...(lifetimeMs === null ? {} : { lifetimeMs }),
    ...(thinkTimeMs === null ? {} : { thinkTimeMs }),
    ...(handshakesInFlight === null ? {} : { handshakesInFlight }),
    ...(sendDuringRamp === null ? {} : { sendDuringRamp }),
    ...(sourcePorts === null ? {} : { sourcePorts }),
    ...(dns === null ? {} : { dns }),
    ...(reconnect === null ? {} : { reconnect }),
    ...(headers === null ? {} : { headers }),
    ...(query === null ? {} : { query }),
  };
}
