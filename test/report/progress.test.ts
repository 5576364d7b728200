import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { attachProgress } from '../../src/report/terminal.js';
import { RunEvents, type Progress } from '../../src/run-events.js';
import { emptyCounters } from '../../src/metrics/types.js';

class Capture extends Writable {
  chunks: string[] = [];
  constructor(readonly isTTY: boolean) {
    super();
  }
  override _write(chunk: Buffer, _enc: string, cb: () => void): void {
    this.chunks.push(chunk.toString());
    cb();
  }
  get text(): string {
    return this.chunks.join('');
  }
}

function progress(elapsedMs: number, errors: Record<string, number> = {}): Progress {
  const failed = Object.values(errors).reduce((a, b) => a + b, 0);
  return {
    elapsedMs, plannedMs: 60_000, phase: 'ramp_up', targetOpen: 1000,
    totals: { ...emptyCounters(), attempted: 500, established: 480, failed },
    second: {
      t: Math.floor(elapsedMs / 1000) - 1, open: 480, opened: 100, failed, dropped: 0, closed: 0, errors,
      messagesSent: 470, messagesReceived: 468, rttP50: 1.25, rttP99: 7.5, connectP99: 3, backendsOpen: {}, lagMaxMs: 2, fds: 500,
    },
  };
}

/* eslint-disable no-control-regex -- these tests are about terminal escape codes */
const ANSI = /\u001b\[/;

describe('attachProgress', () => {
  test('pipe: one plain line every 5 s, no escape codes, stops after detach', () => {
    const events = new RunEvents();
    const out = new Capture(false);
    const detach = attachProgress(events, out, { color: false });
    events.emit('start', { workers: 2, clients: 1000, url: 'ws://127.0.0.1:9000/', plannedMs: 60_000, startAt: Date.now() });
    for (let s = 1; s <= 12; s++) events.emit('progress', progress(s * 1000, s === 3 ? { ECONNREFUSED: 4, http_503: 1 } : {}));
    detach();
    events.emit('progress', progress(15_000));
    events.emit('warning', 'ignored after detach');
    assert.doesNotMatch(out.text, ANSI);
    assert.deepEqual(out.text.split('\n'), [
      'wsherd 1,000 clients on 2 workers → ws://127.0.0.1:9000/ (planned 1:00)',
      '[0:01/1:00] ramp_up open=480/1000 new/s=100 failures=0 msgs/s=470 rtt_p50=1.25ms rtt_p99=7.50ms',
      '[0:05/1:00] ramp_up open=480/1000 new/s=100 failures=0 (ECONNREFUSED 4, http_503 1) msgs/s=470 rtt_p50=1.25ms rtt_p99=7.50ms',
      '[0:10/1:00] ramp_up open=480/1000 new/s=100 failures=0 (ECONNREFUSED 4, http_503 1) msgs/s=470 rtt_p50=1.25ms rtt_p99=7.50ms',
      '',
    ]);
  });

  test('TTY: one block redrawn in place each second; warnings print above it', () => {
    const events = new RunEvents();
    const out = new Capture(true);
    const detach = attachProgress(events, out, { color: true });
    events.emit('progress', progress(1000));
    const first = out.chunks.length;
    assert.doesNotMatch(out.chunks.join(''), /\u001b\[\d+F/, 'nothing to erase the first time');
    events.emit('progress', progress(2000, { ECONNREFUSED: 2 }));
    const redraw = out.chunks.slice(first).join('');
    assert.ok(redraw.startsWith('\u001b[4F\u001b[J'), JSON.stringify(redraw.slice(0, 20)));
    assert.match(redraw, /0:02.*\/ 1:00/);
    assert.match(redraw, /open {6}.*480.* \/ 1,000 target {3}new 100\/s/);
    assert.match(redraw, /ECONNREFUSED 2/);
    assert.match(redraw, /rtt p50 1\.25 ms {2}p99 7\.50 ms/);
    const before = out.chunks.length;
    events.emit('warning', 'worker count adjusted to 3');
    const warn = out.chunks.slice(before).join('');
    assert.match(warn, /^\u001b\[4F\u001b\[J.*warning.* worker count adjusted to 3\n/);
    assert.match(warn, /0:02/, 'the block is drawn again under the warning');
    detach();
    assert.equal(events.listenerCount('progress'), 0);
    assert.equal(events.listenerCount('warning'), 0);
  });
});

describe('progress with a flow', () => {
  test('the status block and the plain line show deliveries and step errors per second', async () => {
    const { statusBlock, plainLine } = await import('../../src/report/progress.js');
    const { Chalk } = await import('chalk');
    const p = progress(3000);
    assert.ok(!plainLine(p, {}).includes('deliveries'), 'no flow, no flow figures');
    p.second.flow = { deliveries: 1234, stepErrors: 2 };
    assert.ok(plainLine(p, {}).endsWith(' deliveries/s=1234 step_errors/s=2'), plainLine(p, {}));
    const block = statusBlock(p, {}, new Chalk({ level: 0 }));
    assert.equal(block.at(-1), '  flow      1,234/s deliveries   step errors 2/s');
  });
});
