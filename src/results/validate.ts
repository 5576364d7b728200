/**
 * Structural validation of a parsed results.json against the required fields of schema/results.schema.json,
 * written by hand so reading a results file needs no schema library. It checks what readers rely on (presence,
 * type, integer-ness, lower bounds, enums) and, like the schema, ignores fields it does not know: within a
 * version fields are only added. Every problem carries the JSON path of the offending value.
 */

/** One problem: `path` like `summary.latency.rtt.p99` or `series[3].open` ("" for the document itself). */
export interface ResultsProblem {
  path: string;
  message: string;
}

/** `summary.latency.rtt.p99: expected a number`. */
export function formatResultsProblem(p: ResultsProblem): string {
  return `${p.path || '(document)'}: ${p.message}`;
}

type Check = (value: unknown, path: string, out: ResultsProblem[]) => void;
/** A check plus how to name what it expects, for "missing (expected …)". */
interface Rule {
  check: Check;
  expected: string;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return `a string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
  return `${typeof v} ${String(v)}`;
}

function rule(expected: string, ok: (v: unknown) => boolean): Rule {
  return { expected, check: (v, path, out) => void (ok(v) || out.push({ path, message: `expected ${expected}, found ${describe(v)}` })) };
}

const str = rule('a string', (v) => typeof v === 'string');
const bool = rule('true or false', (v) => typeof v === 'boolean');
const num = (min?: number, max?: number): Rule => {
  const range = min === undefined ? '' : max === undefined ? ` >= ${min}` : ` from ${min} to ${max}`;
  return rule(`a number${range}`, (v) => typeof v === 'number' && Number.isFinite(v) && (min === undefined || v >= min) && (max === undefined || v <= max));
};
const int = (min?: number): Rule =>
  rule(`a whole number${min === undefined ? '' : ` >= ${min}`}`, (v) => Number.isSafeInteger(v) && (min === undefined || (v as number) >= min));
const count = int(0);
const nullable = (r: Rule): Rule => ({
  expected: `${r.expected} or null`,
  check: (v, path, out) => {
    if (v === null) return;
    const mine: ResultsProblem[] = [];
    r.check(v, path, mine);
    // Name null as allowed rather than repeating the inner message.
    out.push(...mine.map((p) => (p.path === path ? { path, message: `expected ${r.expected} or null, found ${describe(v)}` } : p)));
  },
});
const oneOf = (values: readonly string[]): Rule =>
  rule(`one of ${values.map((x) => JSON.stringify(x)).join(', ')}`, (v) => typeof v === 'string' && values.includes(v));
const dateTime = rule('an ISO 8601 date-time', (v) => typeof v === 'string' && /^\d{4}-\d\d-\d\dT/.test(v) && !Number.isNaN(Date.parse(v)));

function keyPath(path: string, key: string): string {
  const part = /^[A-Za-z_$][\w$]*$/.test(key) ? key : JSON.stringify(key);
  if (part !== key) return `${path}[${part}]`;
  return path === '' ? key : `${path}.${key}`;
}

/** An object with required (and optional) fields; unknown fields are allowed. */
function obj(required: Record<string, Rule>, optional: Record<string, Rule> = {}): Rule {
  return {
    expected: 'an object',
    check: (v, path, out) => {
      if (!isObject(v)) return void out.push({ path, message: `expected an object, found ${describe(v)}` });
      for (const [key, r] of Object.entries(required)) {
        if (v[key] === undefined) out.push({ path: keyPath(path, key), message: `missing (expected ${r.expected})` });
        else r.check(v[key], keyPath(path, key), out);
      }
      for (const [key, r] of Object.entries(optional)) if (v[key] !== undefined) r.check(v[key], keyPath(path, key), out);
    },
  };
}

const anyObject = obj({});

function arr(item: Rule, length?: number): Rule {
  return {
    expected: length === undefined ? 'an array' : `an array of ${length}`,
    check: (v, path, out) => {
      if (!Array.isArray(v)) return void out.push({ path, message: `expected an array, found ${describe(v)}` });
      if (length !== undefined && v.length !== length) out.push({ path, message: `expected ${length} items, found ${v.length}` });
      v.forEach((x, i) => item.check(x, `${path}[${i}]`, out));
    },
  };
}

/** An object used as a map, e.g. counts by error code. */
function record(value: Rule): Rule {
  return {
    expected: 'an object',
    check: (v, path, out) => {
      if (!isObject(v)) return void out.push({ path, message: `expected an object, found ${describe(v)}` });
      for (const [key, x] of Object.entries(v)) value.check(x, keyPath(path, key), out);
    },
  };
}

const counters = obj(Object.fromEntries(
  ['attempted', 'established', 'failed', 'closedClean', 'dropped', 'messagesSent', 'messagesReceived', 'messagesLost', 'bytesSent', 'bytesReceived']
    .map((k) => [k, count]),
), { messagesSkipped: count, framesOther: count, portRedials: count });

const latencyStats = obj({
  count, min: num(), mean: num(), stddev: num(), p50: num(), p90: num(), p95: num(), p99: num(), p999: num(), max: num(),
});

const skewStats = obj({ peakToAverage: num(1), cv: num(0), jain: num(0, 1), minShare: num(0, 1), maxShare: num(0, 1) });

const backendResult = obj({ id: str, connections: count, share: num(0, 1) }, { sessionsSeenByBackend: count });

const groupResult = obj({ name: str, share: num(0, 1), addresses: count, clients: count, connections: count, perBackend: record(count), backendsReached: count });
const populationResult = obj({ groups: arr(groupResult), diagnosis: str }, { hottest: obj({ backend: str, group: str, connections: count, shareOfBackend: num(0, 1) }) });

const seriesPoint = obj({
  t: count, open: count, opened: count, failed: count, dropped: count, closed: count, errors: record(count),
  messagesSent: count, messagesReceived: count, rttP50: nullable(num()), rttP99: nullable(num()), connectP99: nullable(num()),
  backendsOpen: record(count), lagMaxMs: num(0), fds: count,
}, { reconnects: obj({ started: count, moved: count, returned: count }), rehomed: obj({ same: count, moved: count }), openMax: count });

const thresholdResult = obj(
  { source: str, metric: str, op: oneOf(['<', '<=', '>', '>=', '==', '!=']), value: num(), measured: nullable(num()), pass: bool },
  { note: str },
);

const environment = obj({
  wsherdVersion: str, node: str, platform: str, kernel: str, arch: str, cpus: int(1), memTotalBytes: count,
  fdLimit: count, portRange: arr(int(), 2), workers: count,
});

const workerInfo = obj({
  id: count, pid: int(), fdLimit: count, clients: count, maxFds: count, maxLagMs: num(0), cpuMs: num(0),
  maxRssBytes: count, exit: oneOf(['ok', 'crashed', 'killed']),
}, {
  stalls: arr(obj({ atMs: num(0), ms: num(0) })),
  handshakeCap: obj({ cap: int(1), held: count, maxWaitMs: num(0), waitBuckets: arr(count), dropped: count, maxInFlight: count }),
  compactions: arr(obj({ atMs: num(0), ms: num(0) })),
});

const generatorMemory = {
  coordinator: obj({ pid: int(), startRssBytes: count, maxRssBytes: count }),
  tree: obj({ startRssBytes: count, maxRssBytes: count }, { peakOpen: count, rssAtPeakOpenBytes: count, bytesPerConnection: num(0) }),
};

const labComponent = obj({ id: str, kind: oneOf(['backend', 'proxy', 'dns', 'orchestrator', 'redis']), pid: int(), host: str, port: int(), url: str, adminUrl: str });

// Loosely: readers only chart it, so the point's inner maps are not checked field by field.
const probes = obj({
  intervalMs: num(0),
  portRange: arr(int(), 2),
  series: arr(obj({ t: num(0), components: record(anyObject), pairs: arr(obj({ local: str, remote: str })) }, { socketReadMs: num(0) })),
}, { socketSource: oneOf(['netlink', 'proc']) });

const scenario = obj(
  {
    name: str,
    clients: count,
    phases: arr(obj({ kind: oneOf(['ramp_up', 'hold', 'ramp_down']), durationMs: num(0), to: count }, { rate: num() })),
    behavior: anyObject,
    thresholds: arr(anyObject),
  },
  { file: str, lab: anyObject, target: obj({}, { url: str }), out: str, workers: int(1) },
);

const results = obj(
  {
    format: oneOf(['wsherd-results']),
    version: int(1),
    status: oneOf(['complete', 'aborted', 'failed']),
    startedAt: dateTime,
    endedAt: dateTime,
    durationMs: num(0),
    scenario,
    environment,
    target: obj({ kind: oneOf(['lab', 'external']), url: str }),
    summary: obj({
      counters,
      peakOpen: count,
      openRate: obj({ mean: num(0), max: num(0) }),
      errors: obj({ total: count, rate: num(0), byCode: record(count) }, { samples: record(str), generator: count, targetRate: num(0) }),
      latency: obj({ connect: latencyStats, handshake: latencyStats, rtt: latencyStats }, { upgrade: latencyStats, ack: latencyStats, lookup: latencyStats, rtt_corrected: latencyStats, ack_corrected: latencyStats }),
    }, { sessions: obj({ attempted: count, established: count, broken: count, verdict: str, counts: record(count) }) }),
    histograms: obj({}, { connect: str, handshake: str, rtt: str, upgrade: str, ack: str, lookup: str, rtt_corrected: str, ack_corrected: str }),
    backends: obj({ perBackend: arr(backendResult), unattributed: count, skew: nullable(skewStats) }, { population: populationResult }),
    series: arr(seriesPoint),
    thresholds: arr(thresholdResult),
    generator: obj({ workers: arr(workerInfo) }, generatorMemory),
  },
  { statusReason: str, lab: obj({ components: arr(labComponent) }, { stats: anyObject }), analysis: anyObject, probes, faults: arr(obj({ atSecond: num(0), action: oneOf(['kill', 'stop', 'drain', 'add']), detail: str, ok: bool }, { appliedAt: nullable(num(0)), backend: nullable(str) })) },
);

/** Every structural problem of a parsed results document (empty when it is a valid Results). */
export function validateResults(value: unknown): ResultsProblem[] {
  const out: ResultsProblem[] = [];
  results.check(value, '', out);
  return out;
}
