import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { WARM_ECHOES, warmEchoPath } from '../../src/load/warm-up.js';
import { warmsUp } from '../../src/load/worker-count.js';
import { BEHAVIOR } from './helpers/harness.js';

function tcpHandles(): number {
  return process.getActiveResourcesInfo().filter((r) => r.startsWith('TCP')).length;
}

describe('the workers warm-up (warm-up.ts)', () => {
  test('only the ws engine on the echo schedule warms up', () => {
    assert.equal(warmsUp({ messagesPerSecond: 10 }), true);
    assert.equal(warmsUp({ engine: 'ws', messagesPerSecond: 0.5 }), true);
    assert.equal(warmsUp({ messagesPerSecond: 0 }), false, 'an idle hold sends nothing to warm');
    assert.equal(warmsUp({ engine: 'socketio', messagesPerSecond: 10 }), false);
    assert.equal(warmsUp({ messagesPerSecond: 10, flow: [] }), false);
  });

  test('runs the lean echo path hot against its own peer and leaves nothing open', async () => {
    const before = tcpHandles();
    const started = performance.now();
    const done = await warmEchoPath(
      (behavior, recorder, wheel, onEnd) => ({ behavior, recorder, wheel, insecure: false, sendsFrom: (n: number) => n, onEnd }),
      { ...BEHAVIOR, messagesPerSecond: 10 },
      2,
      started + 10_000,
    );
    assert.ok(done.echoes >= WARM_ECHOES, `${done.echoes} echoes`);
    assert.ok(done.ms < 10_000);
    // Its peer and its clients are gone once it returns (a destroyed socket's handle closes on a later turn).
    for (let i = 0; i < 100 && tcpHandles() > before; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(tcpHandles(), before, JSON.stringify(process.getActiveResourcesInfo()));
  });
});
