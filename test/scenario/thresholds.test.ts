import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { KNOWN_METRICS, THRESHOLD_OPS, metricDoc, parseThreshold } from '../../src/scenario/thresholds.js';

describe('parseThreshold', () => {
  test('latencies: ms, s, us and bare numbers all come back in ms', () => {
    assert.deepEqual(parseThreshold('p99(connect) < 50ms'), { metric: 'p99(connect)', op: '<', value: 50 });
    assert.deepEqual(parseThreshold('p999(rtt)<=2s'), { metric: 'p999(rtt)', op: '<=', value: 2000 });
    assert.deepEqual(parseThreshold('mean(handshake) > 250us'), { metric: 'mean(handshake)', op: '>', value: 0.25 });
    assert.deepEqual(parseThreshold('  max(rtt) != 12.5  '), { metric: 'max(rtt)', op: '!=', value: 12.5 });
    assert.deepEqual(parseThreshold('generator.lag_max < 0.1s'), { metric: 'generator.lag_max', op: '<', value: 100 });
  });

  test('fractions accept % and stay within 0..1', () => {
    assert.deepEqual(parseThreshold('errors.rate < 1%'), { metric: 'errors.rate', op: '<', value: 0.01 });
    assert.deepEqual(parseThreshold('errors.rate == 0'), { metric: 'errors.rate', op: '==', value: 0 });
    assert.deepEqual(parseThreshold('messages.lost_rate <= 0.001'), { metric: 'messages.lost_rate', op: '<=', value: 0.001 });
    assert.deepEqual(parseThreshold('backends.max_share < 40%'), { metric: 'backends.max_share', op: '<', value: 0.4 });
    assert.deepEqual(parseThreshold('errors.rate < 101%'), {
      error: 'errors.rate is a fraction between 0 and 1, got 101%',
      hint: 'write a fraction such as 0.01, or a percentage such as 1%',
    });
  });

  test('counts and ratios take bare numbers only', () => {
    assert.deepEqual(parseThreshold('connections.dropped == 0'), { metric: 'connections.dropped', op: '==', value: 0 });
    assert.deepEqual(parseThreshold('backends.jain >= 0.99'), { metric: 'backends.jain', op: '>=', value: 0.99 });
    assert.deepEqual(parseThreshold('messages.sent > 1e4'), { metric: 'messages.sent', op: '>', value: 10_000 });
    assert.deepEqual(parseThreshold('backends.cv < 5ms'), {
      error: 'unit "ms" does not apply to backends.cv',
      hint: 'this metric has no unit; write a bare number',
    });
  });

  test('every operator parses', () => {
    for (const op of THRESHOLD_OPS) assert.deepEqual(parseThreshold(`errors.count ${op} 3`), { metric: 'errors.count', op, value: 3 });
  });

  test('unknown metrics get the closest name, or a summary of the names', () => {
    assert.deepEqual(parseThreshold('p99(conect) < 5'), { error: 'unknown metric "p99(conect)"', hint: 'did you mean "p99(connect)"?' });
    assert.deepEqual(parseThreshold('erors.rate < 0.1'), { error: 'unknown metric "erors.rate"', hint: 'did you mean "errors.rate"?' });
    const far = parseThreshold('throughput > 5');
    assert.ok('error' in far);
    assert.equal(far.error, 'unknown metric "throughput"');
    assert.match(far.hint, /^known metrics: .*see docs\/scenario\.md/);
  });

  test('malformed expressions', () => {
    assert.deepEqual(parseThreshold('errors.rate = 0'), { error: 'not of the form <metric> <op> <number>[unit]', hint: 'use == to compare for equality' });
    assert.deepEqual(parseThreshold('p99(rtt) < fast'), {
      error: 'expected a number after "<", got "fast"',
      hint: 'write <metric> <op> <number>[unit], e.g. "p99(connect) < 50ms"; ops are < <= > >= == !=',
    });
    assert.ok('error' in parseThreshold(''));
    assert.ok('error' in parseThreshold('p99(rtt) <'));
  });
});

describe('KNOWN_METRICS', () => {
  test('holds every latency statistic of connect, handshake, rtt, upgrade, ack and lookup, and the named metrics, once each', () => {
    const names = KNOWN_METRICS.map((m) => m.name);
    assert.equal(new Set(names).size, names.length);
    for (const stat of ['p50', 'p90', 'p95', 'p99', 'p999', 'min', 'max', 'mean']) {
      for (const subject of ['connect', 'handshake', 'rtt', 'upgrade', 'ack', 'lookup', 'rtt_corrected', 'rtt_uncorrected', 'ack_corrected', 'ack_uncorrected', 'delivery']) assert.equal(metricDoc(`${stat}(${subject})`)?.kind, 'latency');
    }
    for (const name of [
      'errors.rate', 'errors.count', 'connections.attempted', 'connections.established', 'connections.failed', 'connections.dropped',
      'connections.peak_open', 'messages.sent', 'messages.received', 'messages.lost', 'messages.lost_rate', 'messages.skipped', 'backends.peak_to_average',
      'backends.cv', 'backends.jain', 'backends.min_share', 'backends.max_share', 'generator.lag_max',
      'sessions.misroute_rate', 'sessions.broken_rate', 'sessions.upgrade_rate', 'sessions.affinity_rate',
      'delivery.loss', 'delivery.lost', 'delivery.expected', 'delivery.received', 'frames.received', 'frames.solicited', 'frames.unsolicited',
    ]) {
      assert.ok(metricDoc(name), name);
    }
    assert.equal(names.length, 88 + 18 + 10 + 2 + 7);
    assert.ok(KNOWN_METRICS.every((m) => m.description.length > 10));
  });
});
