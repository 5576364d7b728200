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
