/**
 * The run's first limit, in one sentence and in the article's terms — generator saturated, fd exhaustion, port
 * depletion, broken stickiness, NAT skew, a backend lost — shared by the HTML header, the terminal summary and the
 * Markdown summary so all three say the same thing. The generator comes first: when wsherd itself was the
 * bottleneck, nothing else it measured can be blamed on the target.
 */
import type { Results } from '../results/types.js';
import { describeSaturation, establishedNothing, saturationOf } from './saturation.js';
import { handshakeCapSentence, rampSendingSentence } from './generator-limits.js';

export type DiagnosisKind = 'generator-saturated' | 'nothing-established' | 'fd-exhaustion' | 'port-depletion' | 'broken-stickiness' | 'nat-skew' | 'backend-lost' | 'idle-backend' | 'bus-loss' | 'delivery-loss' | 'not-echoing' | 'target-errors' | 'none';

export interface Diagnosis {
  kind: DiagnosisKind;
  sentence: string;
}

/** Skew above this (busiest / average) with a population is worth naming as the finding. */
const SKEW = 1.2;

const pct = (x: number): string => `${(x * 100).toFixed(x < 0.1 ? 1 : 0)}%`;
const int = (n: number): string => n.toLocaleString('en-US');

export function diagnose(r: Results): Diagnosis {
  const d = diagnoseTarget(r);
  // The generator's own limits on the openings, said beside whatever was found (never instead of it).
  // Failed openings during a ramp are named with what the target was doing meanwhile only where the failures are
  // the finding (not instead of a bare "the target failed"); the cap whenever it held openings back.
  const failures = d.kind === 'target-errors' || d.kind === 'nothing-established';
  const own = [failures ? rampSendingSentence(r) : undefined, handshakeCapSentence(r)].filter((x): x is string => x !== undefined);
  if (own.length === 0 || d.kind === 'generator-saturated') return d;
  return { ...d, sentence: `${d.sentence} ${own.map((x) => `${x[0]?.toUpperCase() ?? ''}${x.slice(1)}.`).join(' ')}` };
}

function diagnoseTarget(r: Results): Diagnosis {
  const codes = r.summary.errors.byCode;
  // The one definition of "saturated" (src/analysis/saturation.ts), shared with the verdict and every output.
  const saturation = saturationOf(r);
  if (saturation.saturated) {
    const fix = saturation.ownFailures > 0 ? 'spread the clients over more workers or source addresses' : 'use fewer clients per worker, a quieter host or a bigger machine';
    return { kind: 'generator-saturated', sentence: `${describeSaturation(saturation)} To measure the target: ${fix}.` };
  }
  if (establishedNothing(r)) {
    const [top, n] = topCode(codes);
    return { kind: 'nothing-established', sentence: `Nothing established: all ${int(r.summary.counters.attempted)} attempts failed, most often ${top} (${int(n)}); the target took no connection.` };
  }

  const cliff = r.analysis?.cliff;
  if (cliff?.measured != null && cliff.prediction?.resource === 'ports') return { kind: 'port-depletion', sentence: `Port depletion: ${cliff.diagnosis}` };
  if (cliff?.measured != null && cliff.prediction?.resource === 'fds' && cliff.deviation !== null && Math.abs(cliff.deviation) <= 0.1) return { kind: 'fd-exhaustion', sentence: `fd exhaustion: ${cliff.diagnosis}` };

  const s = r.summary.sessions;
  if (s !== undefined && ((s.misrouteRate ?? 0) > 0 || s.broken > 0)) return { kind: 'broken-stickiness', sentence: `Broken stickiness: ${s.verdict}` };

  // A backend the lab or the target's declaration names that got nothing: the most starved case, never hidden.
  const idle = r.backends.perBackend.filter((b) => b.connections === 0);
  const attributed = r.backends.perBackend.reduce((n, b) => n + b.connections, 0);
  if (idle.length > 0 && attributed > 0) {
    const sk = r.backends.skew;
    const names = idle.map((b) => b.id).join(', ');
    const over = sk === null ? '' : ` Over all ${r.backends.perBackend.length} backends: peak/average ${sk.peakToAverage.toFixed(2)}, Jain ${sk.jain.toFixed(3)}.`;
    const why = r.backends.population === undefined ? '' : ` ${r.backends.population.diagnosis}`;
    return { kind: 'idle-backend', sentence: `Idle backend${idle.length === 1 ? '' : 's'}: ${names} got none of the ${int(attributed)} attributed connections.${over}${why}` };
  }

  const pop = r.backends.population;
  if (pop?.hottest !== undefined && (r.backends.skew?.peakToAverage ?? 1) > SKEW) {
    return { kind: 'nat-skew', sentence: `NAT skew: the busiest backend took ${r.backends.skew?.peakToAverage.toFixed(2)}× the average. ${pop.diagnosis}` };
  }

  const lost = (r.analysis?.faults ?? []).find((f) => f.action === 'kill' || f.action === 'stop');
  if (lost !== undefined) return { kind: 'backend-lost', sentence: `A backend was lost: ${lost.sentence}` };

  const lostDeliveries = deliveryLoss(r);
  if (lostDeliveries !== undefined) return lostDeliveries;

  const silent = notEchoing(r);
  if (silent !== undefined) return silent;

  if (r.summary.errors.total > 0) {
    const [top, n] = topCode(codes);
    const first = r.analysis?.forensics?.[0];
    const where = first === undefined ? '' : ` Most were on the ${first.side}: ${first.cause}.`;
    return { kind: 'target-errors', sentence: `${int(r.summary.errors.total)} failures (${pct(r.summary.errors.rate)} of attempts), most often ${top} (${int(n)}).${where}` };
  }
  const skew = r.backends.skew;
  const when = r.status === 'complete' ? '' : ' before the run stopped';
  return { kind: 'none', sentence: `No limit hit${when}: ${int(r.summary.peakOpen)} open at the peak, no failure${skew ? `, busiest backend ${skew.peakToAverage.toFixed(2)}× the average` : ''}.` };
}

/**
 * Deliveries lost (summary.flow): when the loss is all across backends while deliveries within one backend all
 * arrived, the bus between backends (a Redis adapter, a broker) is the part that loses them.
 */
function deliveryLoss(r: Results): Diagnosis | undefined {
  const d = r.summary.flow?.deliveries;
  if (d === undefined || d.lost === 0) return undefined;
  const { sameBackend: same, crossBackend: cross } = d;
  if (cross.lost > 0 && same.lost === 0 && same.expected > 0) {
    return {
      kind: 'bus-loss',
      sentence: `Messages lost between backends: ${int(cross.lost)} of ${int(cross.expected)} cross-backend deliveries (${pct(cross.loss ?? 0)}) never arrived, ` +
        `while all ${int(same.expected)} within one backend did: the bus between backends loses messages.`,
    };
  }
  const top = d.byTopic[0];
  const where = top === undefined || top.lost === 0 ? '' : `, most on topic ${top.topic} (${int(top.lost)})`;
  return { kind: 'delivery-loss', sentence: `Deliveries lost: ${int(d.lost)} of ${int(d.expected)} expected (${pct(d.loss ?? 0)})${where}.` };
}

/**
 * The echo sender's messages never came back (under 1% did) from a target that does not echo: an application with
 * a protocol of its own, which the default measurement cannot time. Not for flows, which say what to expect.
 */
function notEchoing(r: Results): Diagnosis | undefined {
  const k = r.summary.counters;
  if (r.summary.flow !== undefined || k.messagesSent < 10 || k.messagesReceived >= k.messagesSent * 0.01) return undefined;
  const other = k.framesOther ?? 0;
  const arrived = other > 0 ? `, while ${int(other)} other frames arrived (a welcome, pushes, replies of its own protocol)` : ' and nothing else arrived';
  return {
    kind: 'not-echoing',
    sentence: `The target does not echo: ${int(k.messagesReceived)} of ${int(k.messagesSent)} messages came back${arrived}. ` +
      'wsherd\'s default sender times echoes; describe the application\'s protocol with behavior.flow (docs/flows.md).',
  };
}

/** The most frequent failure code and its count. */
function topCode(codes: Readonly<Record<string, number>>): [string, number] {
  return Object.entries(codes).sort((a, b) => b[1] - a[1])[0] ?? ['?', 0];
}
