import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { summarizeSessions } from '../../src/analysis/sessions.js';

describe('summarizeSessions', () => {
  test('sessions that stayed together: rates and a green sentence', () => {
    const s = summarizeSessions({ attempted: 100, established: 100, req_poll: 300, req_post: 300, req_upgrade: 100, upgrade_attempted: 100, upgraded: 100, ended_websocket: 100, reconnect: 10, reconnect_same_backend: 10 });
    assert.equal(s.misrouteRate, 0);
    assert.equal(s.brokenRate, 0);
    assert.equal(s.upgradeRate, 1);
    assert.equal(s.affinityRate, 1);
    assert.equal(s.verdict, 'Sessions stayed together: every one of 700 requests reached its session\'s backend; 100 of 100 upgrades completed, 100.0% of reconnects returned to the same backend.');
  });

  test('misroutes by kind, broken sessions, and the sentence that names them', () => {
    const s = summarizeSessions({ attempted: 10, established: 10, broken: 7, req_poll: 20, misroute_poll: 5, req_post: 20, req_upgrade: 3, misroute_upgrade: 2, upgrade_attempted: 3, upgraded: 1 });
    assert.equal(s.misrouteRate, 7 / 43);
    assert.equal(s.misrouteRateByKind.poll, 0.25);
    assert.equal(s.misrouteRateByKind.post, 0);
    assert.equal(s.misrouteRateByKind.upgrade, 2 / 3);
    assert.match(s.verdict, /^Sessions broke: 5 of 20 polls, 2 of 3 upgrades reached a backend that did not issue their session id; 7 of 10 sessions \(70\.0%\) ended broken; 1 of 3 upgrades completed\.$/);
  });

  test('misrouted upgrades alone: sessions held on polling, not broken; refusals and unanswered requests counted', () => {
    const s = summarizeSessions({ attempted: 30, established: 30, req_poll: 200, req_post: 210, req_upgrade: 30, misroute_upgrade: 20, upgrade_attempted: 30, upgraded: 10, upgrade_refused: 20, upgrade_failed: 20, unanswered_poll: 2 });
    assert.equal(s.broken, 0);
    assert.equal(s.upgradesRefused, 20);
    assert.equal(s.upgradesFailed, 20);
    assert.deepEqual(s.unanswered, { poll: 2, post: 0, upgrade: 0 });
    assert.equal(s.misrouteRate, 20 / 440);
    assert.equal(s.verdict, 'Sessions held on polling, upgrades misrouted: 20 of 30 upgrades reached a backend that did not issue their session id; 0 of 30 sessions (0.0%) ended broken; 10 of 30 upgrades completed, 20 refused (20 sessions carried on on polling).');
  });

  test('no request counts: misroute rate is null, not 0', () => {
    const s = summarizeSessions({ attempted: 5, established: 5 });
    assert.equal(s.misrouteRate, null);
    assert.equal(s.verdict, 'Sessions stayed together: no session broke.');
    assert.equal(summarizeSessions({ attempted: 5 }).verdict, 'No session opened: all 5 attempts failed before the handshake completed.');
  });
});
