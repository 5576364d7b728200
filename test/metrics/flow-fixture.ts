/**
 * Hand-built flow buckets of two workers, with every expected figure worked out by hand (below), for the
 * aggregation, accounting, threshold and report tests.
 *
 * Publishes (second, topic, publisher's backend → n): (1 news b1 2) (2 news b1 3) (2 news b2 1) (3 news b1 4)
 * (5 news b2 5) (1 chat b1 10). Memberships [topic, subscriber's backend, from, to] cover from < s < to:
 *   M1 [news b1 0 6] covers 1..5 → from b1 2+3+4 = 9, from b2 1+5 = 6
 *   M2 [news b2 2 6] joined late, covers 3..5 → from b1 4, from b2 5
 *   M3 [news b1 0 3] left early, covers 1..2 → from b1 2+3 = 5, from b2 1
 *   M4 [news b2 3 4] covers nothing
 *   M5 [chat unknown 0 2] covers 1 → from b1 10
 * A publisher on b1 published 2 of news' b1 publishes inside its own membership: selfExpected (news b1 b1) 2.
 * expected: news b1→b1 9+5−2 = 12, news b2→b1 6+1 = 7, news b1→b2 4, news b2→b2 5, chat b1→unknown 10 (38).
 * accounted: news b1→b1 12, news b2→b1 5 (2 lost), news b1→b2 3 (1 lost), news b2→b2 6 (1 extra),
 *   chat b1→unknown 10, ghost b1→b1 1 (1 extra: nothing expected) — 37; lost 3, extra 2.
 */
import type { SecondBucket } from '../../src/metrics/types.js';
import type { FlowBucket } from '../../src/metrics/flow-types.js';
import { emptyCounters } from '../../src/metrics/types.js';
import { encodeHistogram, newHistogram } from '../../src/metrics/hdr.js';
import { Aggregator } from '../../src/metrics/aggregate.js';
import { summarizeFlow } from '../../src/analysis/flow.js';
import type { FlowSummary } from '../../src/results/flow-summary.js';

export function hist(...micros: number[]): string {
  const h = newHistogram();
  for (const v of micros) h.recordValue(v);
  return encodeHistogram(h);
}

export function bucket(t: number, flow: FlowBucket): SecondBucket {
  return { t, counters: emptyCounters(), errors: {}, backendsOpened: {}, open: 0, backendsOpen: {}, lagMaxMs: 0, fds: 0, hist: {}, flow };
}

const K = (topic: string, pub: string, sub: string): string => `${topic}\t${pub}\t${sub}`;
const P = (s: number, topic: string, pub: string): string => `${s}\t${topic}\t${pub}`;

/** Worker A: publishers on b1, the b1 subscribers. */
export function workerA(): SecondBucket[] {
  return [
    bucket(1, {
      steps: { login: { ok: 3, errors: { timeout: 1 }, hist: hist(1000, 2000, 3000) } },
      frames: { received: 10, solicited: 4, unsolicited: 6, byType: { welcome: 3, message: 7 } },
      deliveries: { published: { [P(1, 'news', 'b1')]: 2, [P(1, 'chat', 'b1')]: 10 }, received: 0 },
      roles: { publisher: 1, subscriber: 2 },
    }),
    bucket(2, {
      deliveries: { published: { [P(2, 'news', 'b1')]: 3 }, received: 5, accounted: { [K('news', 'b1', 'b1')]: 5 }, hist: hist(5000, 5000, 6000, 7000, 8000) },
    }),
    bucket(3, {
      steps: { login: { ok: 1, hist: hist(4000) }, req: { ok: 2, errors: { no_match: 1, timeout: 1 }, hist: hist(10_000, 20_000) } },
      deliveries: {
        published: { [P(3, 'news', 'b1')]: 4 }, received: 8, early: 1,
        memberships: [['news', 'b1', 0, 3]],
        accounted: { [K('news', 'b1', 'b1')]: 7 },
        selfExpected: { [K('news', 'b1', 'b1')]: 2 },
      },
    }),
    bucket(6, {
      frames: { received: 5, solicited: 0, unsolicited: 5, byType: { message: 5 } },
      deliveries: {
        received: 6, self: 1, late: 1,
        memberships: [['news', 'b1', 0, 6], ['chat', 'unknown', 0, 2]],
        accounted: { [K('news', 'b2', 'b1')]: 5, [K('chat', 'b1', 'unknown')]: 10, [K('ghost', 'b1', 'b1')]: 1 },
        hist: hist(9000),
      },
    }),
  ];
}

/** Worker B: publishers on b2, the b2 subscribers (joined late, or too briefly to cover a second). */
export function workerB(): SecondBucket[] {
  return [
    bucket(2, { deliveries: { published: { [P(2, 'news', 'b2')]: 1 }, received: 0 }, roles: { subscriber: 1 } }),
    bucket(4, { deliveries: { received: 2, unaccounted: 1, stray: 1, memberships: [['news', 'b2', 3, 4]] } }),
    bucket(5, { deliveries: { published: { [P(5, 'news', 'b2')]: 5 }, received: 4, accounted: { [K('news', 'b1', 'b2')]: 3, [K('news', 'b2', 'b2')]: 1 } } }),
    bucket(6, {
      steps: { req: { ok: 1, hist: hist(30_000) } },
      frames: { received: 2, solicited: 2, unsolicited: 0 },
      deliveries: { received: 5, memberships: [['news', 'b2', 2, 6]], accounted: { [K('news', 'b2', 'b2')]: 5 }, hist: hist(2000) },
    }),
  ];
}

/** Both workers merged and summarized: summary.flow of a run that shipped workerA() and workerB(). */
export function flowFixtureSummary(): FlowSummary {
  const agg = new Aggregator();
  agg.add([...workerA(), ...workerB()]);
  const flow = agg.flow();
  if (flow === undefined) throw new Error('the fixture has a flow');
  return summarizeFlow(flow);
}
