/**
 * Cliff detection: the concurrency at which failures began, set beside what the limits predict. For a proxy
 * relaying each client over two sockets, the fd cliff is (fd limit − fds in use at idle) / 2: the article's
 * arithmetic, which a run either confirms or shows something else broke first.
 */
import type { SeriesPoint } from '../results/types.js';
import { describePortCliff } from './port-cliff.js';
import { CANCELLED_CODE, GENERATOR_RESOURCE_CODES } from './saturation.js';
import type { Cliff, CliffPrediction, PortCliff } from '../results/derived.js';

/** The proxy fd cliff: two sockets per relayed client, so (limit − idle fds) / 2 clients. */
export function proxyFdPrediction(fdLimit: number, idleFds: number): CliffPrediction {
  return { component: 'proxy', resource: 'fds', at: Math.floor((fdLimit - idleFds) / 2), formula: `(${fdLimit} − ${idleFds}) / 2` };
}

/** Failures that are the generator's own (src/analysis/saturation.ts): they say nothing about where the target broke. */
const GENERATOR_CODES = [CANCELLED_CODE, ...GENERATOR_RESOURCE_CODES];
const targetFailures = (p: SeriesPoint): number => p.failed - GENERATOR_CODES.reduce((n, c) => n + (p.errors[c] ?? 0), 0);

export function findCliff(series: readonly SeriesPoint[], prediction?: CliffPrediction): Cliff {
  const sorted = [...series].sort((a, b) => a.t - b.t);
  const first = sorted.findIndex((p) => targetFailures(p) > 0);
  if (first < 0) {
    const peak = Math.max(0, ...sorted.map((p) => p.open));
    const diagnosis = prediction
      ? `No failures: the run peaked at ${fmt(peak)} open connections, below the predicted ${prediction.component} ${prediction.resource} cliff of ${fmt(prediction.at)}.`
      : `No failures: the run peaked at ${fmt(peak)} open connections.`;
    return { measured: null, atSecond: null, firstErrors: {}, ...(prediction ? { prediction } : {}), deviation: null, diagnosis };
  }
  // The most that were open up to and including the first failing second: what the target held when it refused.
  const measured = Math.max(...sorted.slice(0, first + 1).map((p) => p.open));
  const point = sorted[first] as SeriesPoint;
  const deviation = prediction && prediction.at > 0 ? measured / prediction.at - 1 : null;
  const codes = Object.entries(point.errors).filter(([c]) => !GENERATOR_CODES.includes(c)).sort((a, b) => b[1] - a[1]).map(([c]) => c).slice(0, 3).join(', ');
  const base = `Failures began at ${fmt(measured)} open connections (second ${point.t}${codes ? `: ${codes}` : ''})`;
  const diagnosis = prediction && deviation !== null
    ? `${base}; the ${prediction.component} ${prediction.resource} limit predicts ${fmt(prediction.at)} = ${prediction.formula}, ${Math.abs(deviation) <= 0.05 ? 'within 5%: the cliff is that limit' : `${(deviation * 100).toFixed(1)}% off: something else gave way first`}.`
    : `${base}.`;
  return { measured, atSecond: point.t, firstErrors: { ...point.errors }, ...(prediction ? { prediction } : {}), deviation, diagnosis };
}

/**
 * Sets the port analysis on a cliff. When the proxy ran out of upstream ports (`depleted`: its own counters say so),
 * that is the limit the run hit: the diagnosis and the deviation (ports held at the first failure / range − 1)
 * come from it, and the fd prediction stays beside it.
 */
export function withPorts(cliff: Cliff, ports: PortCliff, depleted: boolean): Cliff {
  if (!depleted) {
    const note = cliff.measured === null ? ` ${describePortCliff(ports, null, false)}` : '';
    return { ...cliff, ports, diagnosis: `${cliff.diagnosis}${note}` };
  }
  const prediction: CliffPrediction = { component: 'proxy', resource: 'ports', at: ports.range, formula: ports.formula };
  return { ...cliff, ports, prediction, deviation: ports.deviation, diagnosis: describePortCliff(ports, cliff.atSecond, true) };
}

const fmt = (n: number): string => n.toLocaleString('en-US');
