/* global process */
// Prints what the target counted beside what `wsherd merge` added up from the shards, and exits 1 where they differ
// (run.sh calls it last). Usage: node check.mjs OUT_DIR CLIENTS
import { readFileSync } from 'node:fs';
import path from 'node:path';

const [out, clientsText = '400'] = process.argv.slice(2);
if (out === undefined) {
  process.stderr.write('usage: node check.mjs OUT_DIR CLIENTS\n');
  process.exit(2);
}
const clients = Number(clientsText);
const readJson = (file) => JSON.parse(readFileSync(path.join(out, file), 'utf8'));
const target = readJson('target-counts.json');
const merged = readJson('merged/results.json');
const k = merged.summary.counters;

const rows = [
  ['connections', target.upgrades, k.established],
  ['messages client → target', target.messagesReceived, k.messagesSent],
  ['echoes target → client', target.echoesSent, k.messagesReceived],
];
const users = Object.entries(target.users);
const twice = users.filter(([, n]) => n !== 1).map(([u]) => u);
const unexpected = users.map(([u]) => u).filter((u) => !/^u\d+$/.test(u) || Number(u.slice(1)) >= clients);
const problems = [];
for (const [what, seen, claimed] of rows) if (seen !== claimed) problems.push(`${what}: the target counted ${seen}, the merge ${claimed}`);
if (users.length !== clients || twice.length > 0 || unexpected.length > 0) {
  problems.push(`user ids: ${users.length} distinct of ${clients}${twice.length ? `; more than once: ${twice.slice(0, 5).join(', ')}` : ''}${unexpected.length ? `; unexpected: ${unexpected.slice(0, 5).join(', ')}` : ''}`);
}

const pad = (s, n) => String(s).padEnd(n);
const lines = ['', `${pad('', 28)}${pad('target saw', 14)}merged shards`];
for (const [what, seen, claimed] of rows) lines.push(`${pad(what, 28)}${pad(seen, 14)}${claimed}${seen === claimed ? '' : '   <-- differs'}`);
lines.push(`user ids                    ${users.length} distinct, ${twice.length} repeated (u0 … u${clients - 1} expected once each)`);
lines.push(`source addresses            ${Object.entries(target.sources).map(([a, n]) => `${a} (${n})`).join(', ')}`);
const m = merged.merge;
lines.push(`shards                      ${m.shards.map((s) => `${s.index}@${s.host}: ${s.established} est., ${s.status}`).join('; ')}; missing [${m.missing.join(', ')}]`);
lines.push(`second 0 spread             ${m.startSpreadMs.toFixed(1)} ms; clock offsets spread ${m.clockSpreadMs === undefined ? 'n/a' : `${m.clockSpreadMs.toFixed(2)} ms`}`);
const rtt = merged.summary.latency.rtt;
lines.push(`merged rtt                  ${rtt.count} samples, p50 ${rtt.p50} ms, p99 ${rtt.p99} ms, max ${rtt.max} ms; target's echo service max ${(target.echoService.maxUs / 1000).toFixed(3)} ms`);
lines.push(`merged status               ${merged.status}${merged.statusReason ? ` (${merged.statusReason})` : ''}; thresholds ${merged.thresholds.map((t) => `${t.source}: ${t.pass ? 'pass' : 'FAIL'}`).join(', ')}`);
lines.push('', problems.length === 0 ? 'PROOF HOLDS: the merged counts are the target\'s own.' : `PROOF FAILS:\n  ${problems.join('\n  ')}`);
process.stdout.write(`${lines.join('\n')}\n`);
process.exitCode = problems.length === 0 ? 0 : 1;
