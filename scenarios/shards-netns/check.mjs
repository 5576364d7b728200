/* global process */
// Prints what the target counted beside what `wsherd merge` added up from the shards, and exits 1 where they disagree
// (run.sh calls it last). Usage: node check.mjs OUT_DIR CLIENTS
//
// What must agree, exactly: connections closed with the client's close frame (the target's clean closes = the merged
// closedClean), messages (received by the target = sent), echoes (written by the target = received, or more by at
// most the messages counted lost: an echo that came after its message's timeout), user ids (no repeats, none
// foreign). Upgrades equal established connections unless clients gave up on handshakes the target still completed:
// on a saturated box a handshake can time out, or still be under way when the run ends (`cancelled`); the target
// then counts an upgrade that ends without a close frame, and the merge a failure. So: established <= upgrades <=
// established + failed, equal when nothing failed.
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

const problems = [];
const late = target.upgrades - k.established;
if (late < 0 || late > k.failed) problems.push(`connections: the target upgraded ${target.upgrades}, the merge established ${k.established} with ${k.failed} failed`);
if (target.cleanCloses !== k.closedClean) problems.push(`clean closes: the target counted ${target.cleanCloses}, the merge ${k.closedClean}`);
if (target.open !== 0) problems.push(`${target.open} connections still open at the target after the run`);
if (target.messagesReceived !== k.messagesSent) problems.push(`messages: the target received ${target.messagesReceived}, the merge sent ${k.messagesSent}`);
const lateEchoes = target.echoesSent - k.messagesReceived;
if (lateEchoes < 0 || lateEchoes > k.messagesLost) problems.push(`echoes: the target wrote ${target.echoesSent}, the merge received ${k.messagesReceived} with ${k.messagesLost} lost`);
const users = Object.entries(target.users);
const twice = users.filter(([, n]) => n !== 1).map(([u]) => u);
const foreign = users.map(([u]) => u).filter((u) => !/^u\d+$/.test(u) || Number(u.slice(1)) >= clients);
if (twice.length > 0 || foreign.length > 0 || (k.failed === 0 && users.length !== clients)) {
  problems.push(`user ids: ${users.length} distinct of ${clients}${twice.length ? `; more than once: ${twice.slice(0, 5).join(', ')}` : ''}${foreign.length ? `; unexpected: ${foreign.slice(0, 5).join(', ')}` : ''}`);
}

const pad = (s, n) => String(s).padEnd(n);
const row = (what, seen, claimed, note = '') => `${pad(what, 28)}${pad(seen, 14)}${claimed}${note}`;
const lines = ['', row('', 'target saw', 'merged shards')];
lines.push(row('connections', target.upgrades, k.established, late === 0 ? '' : `   (+${late} the clients gave up on: ${k.failed} failed, ${JSON.stringify(merged.summary.errors.byCode)})`));
lines.push(row('closed with a close frame', target.cleanCloses, k.closedClean));
lines.push(row('messages client → target', target.messagesReceived, k.messagesSent));
lines.push(row('echoes target → client', target.echoesSent, k.messagesReceived, lateEchoes === 0 ? '' : `   (${k.messagesLost} lost)`));
lines.push(`user ids                    ${users.length} distinct, ${twice.length} repeated, ${foreign.length} foreign (u0 … u${clients - 1})`);
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
