/**
 * plan.html: the plan as one self-contained page — tables only, no script, and a Content-Security-Policy that
 * loads nothing (the approach of src/compare/html.ts), so it opens offline and can be attached to a ticket.
 */
import { esc, jsonForScript } from '../report/html-util.js';
import { planDocument, type Block, type DocTable } from './document.js';
import type { Plan } from './types.js';

const CSS = `body { font: 14px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 80rem; padding: 0 1rem; color: #1d2430; }
table { border-collapse: collapse; width: 100%; margin: .6rem 0 1rem; }
th, td { padding: .35rem .6rem; border-bottom: 1px solid #e3e7ee; text-align: left; vertical-align: top; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
h3 { font-size: 1rem; margin: 1rem 0 0; }
td { font-variant-numeric: tabular-nums; }
tr.key td:first-child { font-weight: 600; }
tr.key { background: #fff6e0; }
tr.good td:nth-last-child(2) { color: #067647; font-weight: 600; }
tr.bad td:nth-last-child(2) { color: #b42318; font-weight: 600; }
.muted { color: #667085; }
code { font: 13px ui-monospace, monospace; }`;

function htmlTable(t: DocTable): string {
  const right = t.right ?? [];
  const cls = (i: number): string => (right.includes(i) ? ' class="num"' : '');
  const head = `<tr>${t.head.map((h, i) => `<th${cls(i)}>${esc(h)}</th>`).join('')}</tr>`;
  const rows = t.rows.map((r, i) => {
    const tone = t.tones?.[i];
    return `<tr${tone === undefined ? '' : ` class="${tone}"`}>${r.map((cell, j) => `<td${cls(j)}>${esc(cell)}</td>`).join('')}</tr>`;
  });
  return `<table><thead>${head}</thead><tbody>\n${rows.join('\n')}\n</tbody></table>`;
}

function htmlBlock(b: Block): string {
  if (b.kind === 'p') return `<p>${esc(b.text)}</p>`;
  if (b.kind === 'h') return `<h3>${esc(b.text)}</h3>`;
  if (b.kind === 'list') return `<ul>\n${b.items.map((i) => `<li>${esc(i)}</li>`).join('\n')}\n</ul>`;
  return htmlTable(b.table);
}

export function renderPlanHtml(plan: Plan): string {
  const doc = planDocument(plan);
  const sections = doc.sections.map((s) => `<h2>${esc(s.title)}</h2>\n${s.blocks.map(htmlBlock).join('\n')}`).join('\n');
  // Nothing runs and nothing loads: inline styles only. The plan rides along as inert JSON for tools.
  const csp = "default-src 'none'; style-src 'unsafe-inline'";
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<title>${esc(`${doc.title} · ${plan.inputs.connections} connections`)}</title>
<style>\n${CSS}\n</style></head>
<body>
<h1>${esc(doc.title)}</h1>
<p class="muted">${esc(doc.subtitle)}</p>
${sections}
<script type="application/json" id="wsherd-plan">${jsonForScript(plan)}</script>
</body></html>
`;
}
