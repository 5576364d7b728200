/**
 * Issue 14 item 5: an idle backend behind a target must count. Four plain `ws` servers of the test's own behind
 * real nginx `ip_hash`; clients from three /24s, so at most three backends are reached and at least one gets
 * nothing. The servers count their own connections; wsherd's per-backend counts, peak/average and Jain over all
 * four are asserted equal to the ones computed from those counts, and the diagnosis names the starved backend.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runCli } from '../helpers/cli.js';
import { startBalancer, unavailable, type RunningBalancer } from '../interop/balancers.js';
import { countingServer, type CountingServer } from './servers.js';

const IDS = ['w1', 'w2', 'w3', 'w4'];
const skip = unavailable('nginx');

describe('declared backends behind real nginx ip_hash: the starved one is counted (oracle: the servers\' own counts)', { skip }, () => {
  let servers: CountingServer[] = [];
  let nginx: RunningBalancer | undefined;
  before(async () => {
    servers = await Promise.all(IDS.map((id) => countingServer(id)));
    nginx = await startBalancer('nginx', 'nginx-ip-hash-4.conf', servers.map((s) => `127.0.0.1:${s.port}`));
  });
  after(async () => {
    await nginx?.stop();
    await Promise.all(servers.map((s) => s.close()));
  });

  test('per-backend counts, peak/average and Jain over all 4 equal the servers\'; the diagnosis names the idle one', { timeout: 90_000 }, async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'wsherd-oracle-'));
    const scenario = path.join(dir, 'ip-hash.yaml');
    writeFileSync(scenario, [
      'name: oracle-ip-hash',
      `target: {url: "ws://127.0.0.1:${nginx?.port}/", backends: [${IDS.join(', ')}]}`,
      'clients: 60',
      'workers: 1',
      'phases:',
      '  - ramp_up: 500ms',
      '  - hold: 1s',
      // Three /24s: ip_hash keys on the first three octets, so three keys reach at most three backends.
      'population:',
      '  - {name: a, share: 0.5, addresses: 127.0.11.1}',
      '  - {name: b, share: 0.3, addresses: 127.0.12.1}',
      '  - {name: c, share: 0.2, addresses: 127.0.13.1}',
      '',
    ].join('\n'));
    const out = path.join(dir, 'out');
    const res = await runCli(['run', scenario, '--out', out, '--quiet']);
    const results = JSON.parse(readFileSync(path.join(out, 'results.json'), 'utf8'));
    assert.equal(results.summary.counters.established, 60, res.stdout + res.stderr);

    const truth = servers.map((s) => s.connections);
    const wsherd = results.backends.perBackend.map((b: { id: string; connections: number }) => [b.id, b.connections]);
    assert.deepEqual(wsherd, IDS.map((id, i) => [id, truth[i]]), 'every declared backend, the idle ones with 0');
    assert.ok(truth.some((n) => n === 0), `three /24s over four backends leave one idle: ${truth.join('/')}`);

    const n = truth.length;
    const total = truth.reduce((a, b) => a + b, 0);
    const mean = total / n;
    const peakToAverage = Math.max(...truth) / mean;
    const jain = (total * total) / (n * truth.reduce((a, b) => a + b * b, 0));
    assert.ok(Math.abs(results.backends.skew.peakToAverage - peakToAverage) < 1e-12, `peak/average ${results.backends.skew.peakToAverage} vs ${peakToAverage}`);
    assert.ok(Math.abs(results.backends.skew.jain - jain) < 1e-12, `Jain ${results.backends.skew.jain} vs ${jain}`);

    const idle = IDS.filter((_, i) => truth[i] === 0);
    const line = /^Diagnosis {2}(.*)$/m.exec(res.stdout)?.[1] ?? '';
    assert.match(line, new RegExp(`^Idle backends?: ${idle.join(', ')} got none of the 60 attributed connections\\. Over all 4 backends: peak/average ${peakToAverage.toFixed(2)}, Jain ${jain.toFixed(3)}\\. The hottest backend`));
    assert.equal(res.code, 0, res.stdout + res.stderr);
    // The oracle table of the closing note.
    process.stderr.write(`  oracle ip_hash: servers ${truth.join('/')} peak/avg ${peakToAverage.toFixed(3)} jain ${jain.toFixed(3)}; wsherd ${(wsherd as Array<[string, number]>).map((x) => x[1]).join('/')} peak/avg ${results.backends.skew.peakToAverage.toFixed(3)} jain ${results.backends.skew.jain.toFixed(3)}\n`);
  });
});

describe('a lab backend that got nothing is counted (oracle: the lab backends\' own session counts)', () => {
  test('one client over two lab backends: the idle one is in perBackend with 0, in the skew and in the diagnosis', { timeout: 60_000 }, async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'wsherd-oracle-'));
    const scenario = path.join(dir, 'lab.yaml');
    writeFileSync(scenario, 'name: oracle-lab-idle\nlab:\n  backends: {count: 2}\nclients: 1\nworkers: 1\nphases:\n  - ramp_up: 100ms\n  - hold: 500ms\n');
    const res = await runCli(['run', scenario, '--out', path.join(dir, 'out'), '--quiet']);
    const results = JSON.parse(readFileSync(path.join(dir, 'out', 'results.json'), 'utf8'));
    const per = results.backends.perBackend as Array<{ id: string; connections: number; sessionsSeenByBackend?: number }>;
    assert.deepEqual(per.map((b) => b.id), ['b1', 'b2'], res.stdout + res.stderr);
    assert.deepEqual(per.map((b) => b.connections), per.map((b) => b.sessionsSeenByBackend), 'wsherd\'s attribution equals what each backend counted');
    const idle = per.filter((b) => b.connections === 0).map((b) => b.id);
    assert.equal(idle.length, 1);
    assert.equal(results.backends.skew.peakToAverage, 2);
    assert.equal(results.backends.skew.jain, 0.5);
    assert.match(res.stdout, new RegExp(`^Diagnosis {2}Idle backend: ${idle[0]} got none of the 1 attributed connections\\.`, 'm'));
  });
});
