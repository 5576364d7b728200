import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { renderSummary } from '../../src/report/terminal.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { renderHtml } from '../../src/report/html.js';
import { sampleResults } from '../results/fixture.js';
import type { Results } from '../../src/results/types.js';

/** The sample as a run whose worker 0 was stopped twice: stalls, skipped sends, a corrected rtt that shows them. */
function stalled(): Results {
  const r = sampleResults();
  r.summary.latency.rtt_corrected = { ...r.summary.latency.rtt, p99: 1015.8, max: 1030 };
  r.summary.counters.messagesSkipped = 374;
  const [w] = r.generator.workers;
  if (w !== undefined) w.stalls = [{ atMs: 1507, ms: 994 }, { atMs: 3500, ms: 1001 }];
  return r;
}

describe('timing figures in every output', () => {
  test('terminal: rtt_corrected row with the note, skipped beside lost, each stall with its time', () => {
    const out = renderSummary(stalled(), { color: false });
    assert.match(out, /^ {2}rtt_corrected +54,991 .* 1,016 /m);
    assert.match(out, /rtt_corrected \/ ack_corrected: from the time the schedule meant the message to leave/);
    assert.match(out, /sent; 54,991 received, 2 lost, 374 skipped$/m);
    assert.match(out, /^ {2}stalls +2 {2}of 100 ms or more: worker 0 at 1\.5 s for 994 ms, worker 0 at 3\.5 s for 1,001 ms$/m);
  });

  test('markdown and HTML say the same', () => {
    const md = renderMarkdown(stalled());
    assert.match(md, /\| rtt p50 \/ p99 \| rtt_corrected p50 \/ p99 \|/);
    assert.match(md, /374 skipped/);
    assert.match(md, /2 stalls of 100 ms or more: worker 0 at 1\.5 s for 994 ms, worker 0 at 3\.5 s for 1,001 ms/);
    const html = renderHtml(stalled());
    assert.match(html, /<th>rtt_corrected<\/th>/);
    assert.match(html, /messages sent \(2 lost, 374 skipped\)/);
    assert.match(html, /The generator had 2 stalls of 100 ms or more: worker 0 at 1\.5 s/);
  });

  test('a file from before: no corrected row, no note, no skipped or stall lines', () => {
    const out = renderSummary(sampleResults(), { color: false });
    assert.doesNotMatch(out, /rtt_corrected|skipped|stalls/);
    assert.doesNotMatch(renderMarkdown(sampleResults()), /rtt_corrected|skipped|stall/);
  });
});
