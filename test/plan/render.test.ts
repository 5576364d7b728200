import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planInputsFromFlags } from '../../src/plan/inputs.js';
import { planCapacity } from '../../src/plan/plan.js';
import { renderPlanHtml, renderPlanMarkdown, renderPlanTerminal } from '../../src/plan/render.js';
import { referenceCosts } from '../../src/plan/costs.js';

const plan = (): ReturnType<typeof planCapacity> => planCapacity(planInputsFromFlags({ connections: '100000', churn: '500', balancerHost: 'fds=65536', backendHost: 'count=4' }), referenceCosts());

test('terminal: colour only when asked, the binding constraint marked, formulas whole', () => {
  const plain = renderPlanTerminal(plan(), { color: false });
  assert.ok(!plain.includes('\u001b['));
  assert.match(plain, /\n {2}fds {2}← binds\n/);
  assert.match(plain, /hosts = ceil\(load \/ \(capacity × \(1 − headroom\)\)\) {2}ceil\(200,000 fds \/ \(65,514 fds × \(1 − 0\.3\)\)\) = 5\n/);
  assert.ok(renderPlanTerminal(plan(), { color: true }).includes('\u001b['));
});

test('markdown and HTML say the same, with the binding row marked and every value escaped', () => {
  const p = plan();
  p.notes.push('a note with <script>alert(1)</script> | a pipe');
  const md = renderPlanMarkdown(p);
  assert.match(md, /\| \*\*fds\*\* \| 100,000 connections × 2 fds = 200,000 fds \|/);
  assert.ok(md.includes('- a note with <script>alert(1)</script> \\| a pipe'));
  const html = renderPlanHtml(p);
  assert.ok(html.includes('<tr class="key"><td>fds</td><td>100,000 connections × 2 fds = 200,000 fds</td>'));
  assert.ok(html.includes('a note with &lt;script&gt;alert(1)&lt;/script&gt; | a pipe'));
  assert.ok(!html.includes('<script>alert'), 'the inert JSON escapes it too');
});

test('the generator tier in every output: terminal, Markdown, HTML (escaped) and its inert JSON', () => {
  const p = plan();
  // 100,000 to one address:port over 28,232 ports: 4 hosts; reference costs fit them on 1 with 4 source addresses.
  assert.equal(p.generator.hosts, 4);
  const term = renderPlanTerminal(p, { color: false });
  assert.match(term, /\n {2}generator \(load test\) {6}4 {2}ports; 1 with 4 source addresses each {16}25,000\n/);
  assert.match(term, /\nGenerator tier \(the load test's clients\)\n {2}4 hosts, bound by ports\./);
  assert.ok(term.includes('  Ports are a setting before they are hardware: with 4 source addresses per host, 1 host would do'));
  assert.ok(term.includes('  No spare needed: losing a generator host loses 1/4 of the load, not the service.'));
  assert.ok(term.includes('  - 4 hosts: on host i (0 to 3) `wsherd run <scenario> --shard i/4`'));
  assert.match(term, /\n {2}resources\.requests\.memory +\d+Mi\n/);
  const md = renderPlanMarkdown(p);
  assert.ok(md.includes('| generator (load test) | 4 | ports; 1 with 4 source addresses each | 25,000 |'));
  assert.ok(md.includes('## Generator tier (the load test\'s clients)'));
  assert.ok(md.includes('| **ports** | 100,000 connections, one port each | 1 source address × 28,232 ports × 1 target address:port = 28,232 ports |'));
  const html = renderPlanHtml(p);
  assert.ok(html.includes('<h2>Generator tier (the load test&#39;s clients)</h2>'), 'the apostrophe escaped');
  assert.ok(html.includes('<tr><td>generator (load test)</td><td class="num">4</td><td>ports; 1 with 4 source addresses each</td><td class="num">25,000</td></tr>'));
  assert.ok(html.includes('<h3>Kubernetes pods</h3>'));
  const json = /<script type="application\/json" id="wsherd-plan">(.*)<\/script>/s.exec(html)?.[1] ?? '';
  const embedded = JSON.parse(json) as typeof p;
  assert.equal(embedded.generator.hosts, 4);
  assert.deepEqual(embedded.generator.withSources, p.generator.withSources);
});
