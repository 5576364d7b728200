/**
 * The flow panel in every output, from the hand-built buckets of test/metrics/flow-fixture.ts (figures worked out
 * there): the terminal summary, the Markdown summary and the HTML report, the latter read in headless Chromium.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { renderSummary } from '../../src/report/summary.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { renderHtml, writeHtmlReport } from '../../src/report/html.js';
import { sampleResults } from '../results/fixture.js';
import { flowFixtureSummary } from '../metrics/flow-fixture.js';
import { Browser, SKIP } from '../helpers/chromium.js';

function flowRun() {
  const r = sampleResults();
  r.summary.flow = flowFixtureSummary();
  return r;
}

describe('flow panel, text outputs', () => {
  test('terminal: steps, frames, roles, deliveries with same/cross backend and the clock note', () => {
    const out = renderSummary(flowRun(), { color: false });
    const lines = out.split('\n');
    const at = lines.indexOf('Flow');
    assert.ok(at > 0, out);
    assert.match(lines[at + 1] ?? '', /step\s+ok\s+errors\s+error rate\s+p50 ms\s+p99 ms/);
    assert.match(lines[at + 2] ?? '', /^ {2}login\s+4\s+1\s+20\.00%\s+\S+\s+\S+\s+timeout 1$/);
    assert.match(lines[at + 3] ?? '', /^ {2}req\s+3\s+2\s+40\.00%\s+\S+\s+\S+\s+no_match 1, timeout 1$/);
    assert.ok(out.includes('frames  17 received: 6 solicited, 11 unsolicited; by type message 12, welcome 3'), out);
    assert.ok(out.includes('roles   publisher 1, subscriber 3 clients started'), out);
    assert.ok(out.includes('Deliveries  25 published, 30 received; latency p50'), out);
    assert.match(out, /\n {2}all\s+38\s+37\s+3\s+7\.89%\s+2\n/);
    assert.match(out, /\n {2}same backend\s+17\s+19\s+0\s+0\.00%\s+2\n/);
    assert.match(out, /\n {2}cross backend\s+11\s+8\s+3\s+27\.27%\s+0\n/);
    assert.ok(out.includes("delivery latency: publisher and subscriber on one host's clock"));
    assert.ok(!renderSummary(sampleResults(), { color: false }).includes('Flow'), 'no flow, no panel');
  });

  test('Markdown: the step table and the deliveries table', () => {
    const md = renderMarkdown(flowRun());
    assert.ok(md.includes('#### Flow'), md);
    assert.ok(md.includes('| login | 4 | 1 | 20.00% |'), md);
    assert.ok(md.includes('| all | 38 | 30 | 3 | 7.89% |'), md);
    assert.ok(md.includes('| cross backend | 11 | 8 accounted | 3 | 27.27% |'), md);
    assert.ok(md.includes("publisher and subscriber on one host&#39;s clock") || md.includes("one host's clock"), md);
    assert.ok(!renderMarkdown(sampleResults()).includes('#### Flow'));
  });

  test('HTML: a step name or topic is text, never markup', () => {
    const r = flowRun();
    const flow = r.summary.flow;
    assert.ok(flow);
    flow.deliveries.byTopic = [{ topic: '<img src=x onerror=alert(1)>', expected: 1, accounted: 0, lost: 1, extra: 0, loss: 1 }];
    // The embedded JSON data carries it as JSON text inside a script element (html-util jsonForScript); the section is markup.
    const section = /<section id="flow">[\s\S]*?<\/section>/.exec(renderHtml(r))?.[0] ?? '';
    assert.ok(section.includes('&lt;img src=x onerror=alert(1)&gt;'), section);
    assert.ok(!section.includes('<img src=x'), 'escaped');
  });
});

const INSPECT = `(() => {
  const tables = [...document.querySelectorAll('#flow table.data')];
  return {
    nav: [...document.querySelectorAll('nav.toc a')].map((a) => a.textContent),
    headings: [...document.querySelectorAll('#flow h3')].map((h) => h.textContent),
    tables: tables.map((t) => [...t.querySelectorAll('tr')].map((tr) => [...tr.children].map((c) => c.textContent.trim()))),
    text: document.querySelector('#flow')?.textContent ?? '',
    visible: (document.querySelector('#flow')?.getBoundingClientRect().height ?? 0) > 100,
  };
})()`;

interface FlowFacts { nav: string[]; headings: string[]; tables: string[][][]; text: string; visible: boolean }

describe('flow panel in headless Chromium (file://, offline)', { skip: SKIP, timeout: 30_000 }, () => {
  let root = '';
  let browser: Browser | undefined;

  before(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'wsherd-flow-browser-'));
    await mkdir(path.join(root, 'report'));
    browser = await Browser.launch(root);
  }, { timeout: 10_000 });

  after(async () => {
    await browser?.kill();
    if (root) await rm(root, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
  }, { timeout: 10_000 });

  test('the Flow section renders the steps, frames by type, deliveries, topics and the backend-pair matrix', { timeout: 25_000 }, async () => {
    const file = await writeHtmlReport(path.join(root, 'report'), flowRun());
    const b = browser as Browser;
    const log = await b.open(pathToFileURL(file).href, 'report-flow');
    const facts = await b.evaluate<FlowFacts>(log.sessionId, INSPECT);
    assert.deepEqual(log.problems, [], 'the page logged no error, warning or issue');
    assert.deepEqual(log.requests, []);
    assert.ok(facts.nav.includes('Flow'), JSON.stringify(facts.nav));
    assert.ok(facts.visible);
    assert.deepEqual(facts.headings, ['Steps', 'Frames', 'Deliveries', 'By topic', 'By backend pair']);
    const [steps, types, deliveries, topics, matrix] = facts.tables;
    assert.deepEqual(steps?.[0], ['step', 'ok', 'errors', 'error rate', 'p50 (ms)', 'p99 (ms)', 'codes']);
    assert.deepEqual(steps?.[1]?.slice(0, 4), ['login', '4', '1', '20.00%']);
    assert.deepEqual(steps?.[2]?.[6], 'no_match 1, timeout 1');
    assert.deepEqual(types?.slice(1), [['message', '12', '70.6%'], ['welcome', '3', '17.6%']]);
    assert.deepEqual(deliveries?.slice(1), [
      ['all', '38', '37', '3', '7.89%', '2'],
      ['same backend', '17', '19', '0', '0.00%', '2'],
      ['cross backend', '11', '8', '3', '27.27%', '0'],
    ]);
    assert.deepEqual(topics?.slice(1), [['news', '28', '26', '3', '10.71%'], ['chat', '10', '10', '0', '0.00%'], ['ghost', '0', '1', '0', '–']]);
    assert.deepEqual(matrix, [
      ['publisher ↓ · subscriber →', 'b1', 'b2', 'unknown'],
      ['b1', '12 / 0', '4 / 1', '10 / 0'],
      ['b2', '7 / 2', '5 / 0', '–'],
    ]);
    assert.ok(facts.text.includes("delivery latency: publisher and subscriber on one host's clock"));
  });
});
