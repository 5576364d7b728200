/**
 * The delivery accounting (the rule is in src/metrics/flow-types.ts): from every publish of the run (by second,
 * topic and publisher's backend) and every membership (topic, subscriber's backend, from, to), what each
 * (topic, publisher's backend, subscriber's backend) should have received —
 *
 *   expected = Σ over memberships (topic, subB, from, to) of Σ_{from<s<to} published(s, topic, pubB) − selfExpected
 *
 * — set beside what was accounted: lost = max(0, expected − accounted) and extra = max(0, accounted − expected), per
 * key, then summed per topic, per backend pair, same/cross backend and in total (so lost − extra = expected −
 * accounted everywhere). Range sums come from prefix sums of publishes per (topic, publisher's backend) over the
 * run's seconds: O(seconds) to build each, O(1) per membership and publisher backend.
 */
import type { PairKey } from '../metrics/flow-types.js';
import type { DeliveryTally, KeyTally, PairTally, TopicTally } from '../results/flow-summary.js';

export interface DeliveryAccounting {
  total: DeliveryTally;
  byTopic: TopicTally[];
  byPair: PairTally[];
  sameBackend: DeliveryTally;
  crossBackend: DeliveryTally;
  byKey: KeyTally[];
}

export interface DeliveryInputs {
  published: Record<string, number>;
  memberships: ReadonlyArray<readonly [string, string, number, number]>;
  accounted: Record<PairKey, number>;
  selfExpected: Record<PairKey, number>;
}

const UNKNOWN = 'unknown';

export const pairKey = (topic: string, pubBackend: string, subBackend: string): PairKey => `${topic}\t${pubBackend}\t${subBackend}`;

function splitKey(key: string): [string, string, string] {
  // The topic may itself contain a tab in theory: the two backends are the last two fields.
  const b = key.lastIndexOf('\t');
  const a = key.lastIndexOf('\t', b - 1);
  return [key.slice(0, a), key.slice(a + 1, b), key.slice(b + 1)];
}

/** Prefix sums of one (topic, publisher backend): at[i] = publishes in seconds < base + i. */
interface Prefix {
  base: number;
  at: Float64Array;
}

function buildPrefixes(published: Record<string, number>): Map<string, Map<string, Prefix>> {
  const perSeries = new Map<string, Map<string, Array<[number, number]>>>();
  for (const [key, n] of Object.entries(published)) {
    const i = key.indexOf('\t');
    const second = Number(key.slice(0, i));
    const b = key.lastIndexOf('\t');
    const topic = key.slice(i + 1, b);
    const pub = key.slice(b + 1);
    let byPub = perSeries.get(topic);
    if (byPub === undefined) perSeries.set(topic, (byPub = new Map()));
    let list = byPub.get(pub);
    if (list === undefined) byPub.set(pub, (list = []));
    list.push([second, n]);
  }
  const out = new Map<string, Map<string, Prefix>>();
  for (const [topic, byPub] of perSeries) {
    const m = new Map<string, Prefix>();
    for (const [pub, list] of byPub) {
      let lo = Infinity;
      let hi = -Infinity;
      for (const [s] of list) { lo = Math.min(lo, s); hi = Math.max(hi, s); }
      const counts = new Float64Array(hi - lo + 1);
      for (const [s, n] of list) counts[s - lo] = (counts[s - lo] ?? 0) + n;
      const at = new Float64Array(counts.length + 1);
      for (let k = 0; k < counts.length; k++) at[k + 1] = (at[k] ?? 0) + (counts[k] ?? 0);
      m.set(pub, { base: lo, at });
    }
    out.set(topic, m);
  }
  return out;
}

/** Publishes in seconds s with from < s < to. */
function rangeSum(p: Prefix, from: number, to: number): number {
  if (to - from < 2) return 0;
  const idx = (x: number): number => Math.max(0, Math.min(p.at.length - 1, x - p.base));
  return (p.at[idx(to)] ?? 0) - (p.at[idx(from + 1)] ?? 0);
}

const tally = (expected: number, accounted: number, lost: number, extra: number): DeliveryTally =>
  ({ expected, accounted, lost, extra, loss: expected > 0 ? lost / expected : null });

class Sum {
  expected = 0;
  accounted = 0;
  lost = 0;
  extra = 0;
  add(e: number, a: number): void {
    this.expected += e;
    this.accounted += a;
    this.lost += Math.max(0, e - a);
    this.extra += Math.max(0, a - e);
  }
  tally(): DeliveryTally {
    return tally(this.expected, this.accounted, this.lost, this.extra);
  }
}

export function accountDeliveries(input: DeliveryInputs): DeliveryAccounting {
  const prefixes = buildPrefixes(input.published);
  const expected = new Map<string, number>();
  for (const [topic, sub, from, to] of input.memberships) {
    const byPub = prefixes.get(topic);
    if (byPub === undefined) continue;
    for (const [pub, p] of byPub) {
      const n = rangeSum(p, from, to);
      if (n === 0) continue;
      const key = pairKey(topic, pub, sub);
      expected.set(key, (expected.get(key) ?? 0) + n);
    }
  }
  for (const [key, n] of Object.entries(input.selfExpected)) expected.set(key, (expected.get(key) ?? 0) - n);
  const keys = new Set<string>([...expected.keys(), ...Object.keys(input.accounted)]);
  const total = new Sum();
  const same = new Sum();
  const cross = new Sum();
  const topics = new Map<string, Sum>();
  const pairs = new Map<string, { from: string; to: string; sum: Sum }>();
  const byKey: KeyTally[] = [];
  for (const key of keys) {
    // Never below 0: more self-publishes subtracted than expected would be a bookkeeping fault, not negative traffic.
    const e = Math.max(0, expected.get(key) ?? 0);
    const a = input.accounted[key] ?? 0;
    if (e === 0 && a === 0) continue;
    const [topic, from, to] = splitKey(key);
    byKey.push({ topic, from, to, expected: e, accounted: a });
    total.add(e, a);
    let t = topics.get(topic);
    if (t === undefined) topics.set(topic, (t = new Sum()));
    t.add(e, a);
    const pk = `${from}\t${to}`;
    let p = pairs.get(pk);
    if (p === undefined) pairs.set(pk, (p = { from, to, sum: new Sum() }));
    p.sum.add(e, a);
    if (from !== UNKNOWN && to !== UNKNOWN) (from === to ? same : cross).add(e, a);
  }
  byKey.sort((x, y) => x.topic.localeCompare(y.topic) || x.from.localeCompare(y.from) || x.to.localeCompare(y.to));
  const byTopic = [...topics].map(([topic, s]) => ({ topic, ...s.tally() }))
    .sort((x, y) => y.lost - x.lost || y.expected - x.expected || x.topic.localeCompare(y.topic));
  const byPair = [...pairs.values()].map(({ from, to, sum }) => ({
    from, to, crossBackend: from === UNKNOWN || to === UNKNOWN ? null : from !== to, ...sum.tally(),
  })).sort((x, y) => x.from.localeCompare(y.from) || x.to.localeCompare(y.to));
  return { total: total.tally(), byTopic, byPair, sameBackend: same.tally(), crossBackend: cross.tally(), byKey };
}
