/**
 * Oracle: wsherd's sticky-session figures against what the servers themselves logged (issue 14, items 1–4).
 *
 * Three independent socket.io servers (the plain `socket.io` package, socketio-oracle.ts) behind real HAProxy 2.6
 * and nginx 1.22, each logging every request that carried a sid, by kind, the ones it refused 400 "Session ID
 * unknown", and the upgrades it completed. wsherd runs a `target:` scenario through the balancer (the library entry
 * of `wsherd run`) with the `engineio` probe and with the `socketio` engine (the real socket.io-client), and its
 * per-kind requests and misroutes and its upgrades attempted / completed / refused must EQUAL the servers' sums,
 * the verdict sentence must state them, and a misrouted upgrade alone must not break a session.
 *
 * Equality is exact, no tolerance: wsherd counts a request when it sends it, and a session that ends waits for the
 * answers to what it had in flight (the servers log those too) before its slot is released.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseScenario } from '../../src/scenario/index.js';
import { runScenario } from '../../src/run/run.js';
import { RunEvents } from '../../src/run-events.js';
import type { SessionSummary } from '../../src/results/derived.js';
import { startBalancer, unavailable, type BalancerKind } from '../interop/balancers.js';
import { until } from '../helpers/until.js';
import { startOracle, sumLogs, type OracleLog, type OracleServer } from './socketio-oracle.js';

/** test/oracle in the source tree (configs are not compiled). */
const HERE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../test/oracle');
const CLIENTS = 30;
const KINDS = ['poll', 'post', 'upgrade'] as const;

type Expect = 'misroutes' | 'sticky' | 'upgrades-misrouted';
interface Case {
  kind: BalancerKind;
  config: string;
  expect: Expect;
}

const CASES: readonly Case[] = [
  { kind: 'haproxy', config: 'haproxy-roundrobin.cfg', expect: 'misroutes' },
  { kind: 'haproxy', config: 'haproxy-cookie.cfg', expect: 'sticky' },
  { kind: 'haproxy', config: 'haproxy-source.cfg', expect: 'sticky' },
  { kind: 'nginx', config: 'nginx-roundrobin.conf', expect: 'misroutes' },
  { kind: 'nginx', config: 'nginx-ip-hash.conf', expect: 'sticky' },
  { kind: 'haproxy', config: 'haproxy-split.cfg', expect: 'upgrades-misrouted' },
];

const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

function scenarioText(name: string, url: string, engine: 'engineio' | 'socketio'): string {
  // 16 source addresses: enough for `balance source` to spread sessions over the three servers.
  return `name: ${name}
target: ${url}
clients: ${CLIENTS}
workers: 1
phases: [{ramp_up: 1s}, {hold: 1500ms}, {ramp_down: 500ms}]
population:
  - {name: lan, share: 1, cidr: 127.0.9.0/28}
behavior:
  engine: ${engine}
  messages_per_second: 2
  session: {polls_before_upgrade: 1}
`;
}

interface Observed {
  wsherd: SessionSummary;
  oracle: OracleLog;
  backends: string[];
}

async function observe(c: Case, engine: 'engineio' | 'socketio', identity: boolean): Promise<Observed> {
  const servers: OracleServer[] = await Promise.all(['b1', 'b2', 'b3'].map((id) => startOracle(id, identity)));
  const balancer = await startBalancer(c.kind, path.join(HERE, c.config), servers.map((s) => `127.0.0.1:${s.port}`));
  const dir = await mkdtemp(path.join(os.tmpdir(), 'wsherd-oracle-'));
  try {
    const scenario = parseScenario(scenarioText(`oracle-${engine}`, balancer.url, engine), 'oracle.yaml');
    const out = await runScenario({ scenario, outDir: dir, events: new RunEvents() });
    const s = out.results.summary.sessions;
    assert.ok(s !== undefined, 'a session engine run has a sessions summary');
    // The server counts an upgrade when it reads the client's `5`, which may trail the client's own count.
    await until('the servers logged the completed upgrades', () => sumLogs(servers).upgradesCompleted >= s.upgraded, 5000).catch(() => {});
    return { wsherd: s, oracle: sumLogs(servers), backends: out.results.backends.perBackend.map((b) => b.id) };
  } finally {
    await balancer.stop();
    await Promise.all(servers.map((s) => s.close()));
    await rm(dir, { recursive: true, force: true });
  }
}

/** One line of the oracle-vs-wsherd table (printed as a test diagnostic). */
function row(c: Case, engine: string, o: Observed): string {
  const { wsherd: w, oracle: or } = o;
  const pair = (a: number, b: number): string => `${a}/${b}`;
  return [c.config, engine,
    ...KINDS.map((k) => `${k} req ${pair(or.requests[k], w.requests[k])} mis ${pair(or.unknownSid[k], w.misroutes[k])}`),
    `upg att ${pair(or.requests.upgrade, w.upgradesAttempted)} done ${pair(or.upgradesCompleted, w.upgraded)} refused ${pair(or.unknownSid.upgrade, w.upgradesRefused)}`,
    `broken ${w.broken}/${w.established}`, `unanswered ${KINDS.map((k) => w.unanswered[k]).join('/')}`].join(' | ');
}

function assertEqualToOracle(o: Observed, label: string): void {
  const { wsherd: w, oracle: or } = o;
  const seen = `${label}: oracle ${JSON.stringify(or)} wsherd ${JSON.stringify(w.counts)}`;
  assert.deepEqual(or.otherErrors, {}, `the servers refused nothing but unknown sids: ${seen}`);
  for (const k of KINDS) {
    assert.equal(w.requests[k], or.requests[k], `${k} requests: ${seen}`);
    assert.equal(w.misroutes[k], or.unknownSid[k], `${k} misroutes: ${seen}`);
  }
  assert.equal(w.upgradesAttempted, or.requests.upgrade, `upgrades attempted: ${seen}`);
  assert.equal(w.upgraded, or.upgradesCompleted, `upgrades completed: ${seen}`);
  assert.equal(w.upgradesRefused, or.unknownSid.upgrade, `upgrades refused: ${seen}`);
  const total = KINDS.reduce((n, k) => n + or.requests[k], 0);
  const mis = KINDS.reduce((n, k) => n + or.unknownSid[k], 0);
  assert.equal(w.misrouteRate, total === 0 ? null : mis / total, seen);
  // The verdict states the servers' numbers.
  for (const k of KINDS) {
    if (or.unknownSid[k] > 0) assert.ok(w.verdict.includes(`${or.unknownSid[k]} of ${or.requests[k]} ${k}s`), `${k}: ${w.verdict}`);
  }
  if (w.upgradesAttempted > 0) assert.ok(w.verdict.includes(`${or.upgradesCompleted} of ${or.requests.upgrade} upgrades completed`), w.verdict);
}

function assertOutcome(o: Observed, expect: Expect, label: string): void {
  const w = o.wsherd;
  assert.ok(w.established >= CLIENTS, `${label}: ${w.verdict}`);
  if (expect === 'misroutes') {
    assert.ok((w.misrouteRate ?? 0) > 0.5, `${label}: round robin over three servers misroutes most requests: ${w.verdict}`);
    assert.ok(w.broken > 0, w.verdict);
    assert.match(w.verdict, /^Sessions broke: /);
  } else if (expect === 'sticky') {
    assert.equal(w.misrouteRate, 0, `${label}: ${w.verdict}`);
    assert.equal(w.broken, 0, w.verdict);
    assert.equal(w.upgraded, w.upgradesAttempted, w.verdict);
    assert.match(w.verdict, /^Sessions stayed together: /);
  } else {
    // Polls and posts stay with their session; about two upgrades in three reach another server and are refused,
    // and those sessions carry on on polling — not broken.
    assert.equal(w.misroutes.poll + w.misroutes.post, 0, `${label}: ${w.verdict}`);
    assert.ok(w.misroutes.upgrade > 0, w.verdict);
    assert.equal(w.broken, 0, `${label}: a refused upgrade does not break a session: ${w.verdict}`);
    assert.equal(w.upgradesFailed, w.upgradesRefused, w.verdict);
    assert.equal(w.upgraded + w.upgradesRefused, w.upgradesAttempted, w.verdict);
    assert.match(w.verdict, /^Sessions held on polling, upgrades misrouted: /);
  }
}

describe('oracle: sticky-session readings equal independent socket.io servers\' logs', () => {
  for (const c of CASES) {
    for (const engine of ['engineio', 'socketio'] as const) {
      test(`${c.config} × ${engine}`, { timeout: 60_000 }, async (t) => {
        const missing = unavailable(c.kind);
        if (missing !== undefined) return t.skip(missing);
        const o = await observe(c, engine, true);
        t.diagnostic(row(c, engine, o));
        assertEqualToOracle(o, `${c.config} × ${engine}`);
        assertOutcome(o, c.expect, `${c.config} × ${engine}`);
        // Identity by the handshake's x-wsherd-backend alone (no hello event): every opened session attributed
        // (under round robin most break before socket.io's connect, so none may open at all).
        assert.ok(o.backends.every((b) => ['b1', 'b2', 'b3'].includes(b)), `${engine} attributed by x-wsherd-backend: ${o.backends.join(',')}`);
        if (c.expect !== 'misroutes') assert.ok(o.backends.length > 0, `${engine}: sessions opened and attributed`);
      });
    }
  }

  for (const engine of ['engineio', 'socketio'] as const) {
    test(`servers without any identity signal (haproxy round robin × ${engine}): the counts still equal the servers'`, { timeout: 60_000 }, async (t) => {
      const c = CASES[0] as Case;
      const missing = unavailable(c.kind);
      if (missing !== undefined) return t.skip(missing);
      const o = await observe(c, engine, false);
      t.diagnostic(row(c, `${engine} (no identity)`, o));
      assertEqualToOracle(o, `no identity × ${engine}`);
      assertOutcome(o, 'misroutes', `no identity × ${engine}`);
      assert.deepEqual(o.backends.filter((b) => b !== 'unknown'), [], 'nothing to attribute by');
    });
  }
});
