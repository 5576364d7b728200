import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { attributeFailures } from '../../src/analysis/forensics.js';
import type { ProxyStats } from '../../src/results/lab-types.js';
import { sampleResults } from '../results/fixture.js';

function proxyStats(errors: Record<string, number>): ProxyStats {
  return { pid: 1, strategy: 'round-robin', mode: 'l4', connectionsTotal: 0, connectionsOpen: 0, acceptsRefused: 0, errors, backends: [], process: { fds: 1000, fdLimit: 1024, rssBytes: 0, eventLoopLagMs: 0 } };
}

describe('attributeFailures', () => {
  test('the generator\'s own limits are its own; the proxy\'s counters explain resets; the rest stays with the target', () => {
    const r = sampleResults();
    r.summary.errors.byCode = { EMFILE: 3, EADDRNOTAVAIL: 2, ECONNRESET: 10, handshake_timeout: 1, unknown_sid_poll: 4 };
    r.lab = { components: [], stats: { backends: [], proxy: proxyStats({ accept_EMFILE: 8, upstream_connect_EADDRNOTAVAIL: 2 }) } };
    const got = attributeFailures(r).map((a) => [a.side, a.count, a.codes.join('+'), a.cause.split(':')[0]]);
    assert.deepEqual(got, [
      ['generator', 3, 'EMFILE', 'out of file descriptors'],
      ['generator', 2, 'EADDRNOTAVAIL', 'no free local port towards the target (ephemeral ports, TIME_WAIT)'],
      ['proxy', 8, 'ECONNRESET', 'out of file descriptors'],
      ['proxy', 2, 'ECONNRESET', 'no free local port towards a backend (upstream ports exhausted)'],
      ['proxy', 4, 'unknown_sid_poll', 'not sticky'],
      ['target', 1, 'handshake_timeout', 'not explained by the lab\'s own counters'],
    ]);
  });

  test('an L7 proxy\'s 503 with its reason header is the proxy\'s own verdict, named', () => {
    const r = sampleResults();
    r.summary.errors.byCode = { http_503: 6, ECONNRESET: 1 };
    r.summary.errors.samples = { http_503: 'HTTP 503 instead of 101 (x-wsherd-reason: upstream-ports-exhausted)' };
    r.lab = { components: [], stats: { backends: [], proxy: proxyStats({ upstream_connect_EADDRNOTAVAIL: 6 }) } };
    const got = attributeFailures(r).map((a) => [a.side, a.count, a.codes.join('+'), a.cause]);
    assert.deepEqual(got, [['proxy', 6, 'http_503', 'answered 503 (upstream-ports-exhausted)'], ['target', 1, 'ECONNRESET', 'not explained by the lab\'s own counters']]);
  });

  test('an external target: what the client saw, nothing blamed on a lab', () => {
    const r = sampleResults();
    delete r.lab;
    r.summary.errors.byCode = { ECONNREFUSED: 5, unknown_sid: 2 };
    assert.deepEqual(attributeFailures(r).map((a) => [a.side, a.count, a.codes.join('+')]), [['target', 2, 'unknown_sid'], ['target', 5, 'ECONNREFUSED']]);
  });
});
