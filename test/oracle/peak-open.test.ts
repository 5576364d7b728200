/**
 * Issue 14 item 8: `peak_open` is the most connections open at once, not a second-end sample. The test's own echo
 * server counts open connections at each upgrade and close and keeps its maximum; a run whose whole life is inside
 * its first second (30 clients up in 100 ms, held 500 ms, down in 100 ms, two workers) peaks mid-second, where no
 * second-end sample sees it. wsherd's peakOpen is asserted equal to the server's maximum.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runCli } from '../helpers/cli.js';
import { countingServer, type CountingServer } from './servers.js';

describe('peak_open is the true maximum (oracle: the server\'s own count of concurrent connections)', () => {
  let server: CountingServer | undefined;
  before(async () => { server = await countingServer(); });
  after(async () => { await server?.close(); });

  test('a peak in the middle of a second: wsherd\'s peakOpen equals the server\'s most-open-at-once', { timeout: 60_000 }, async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'wsherd-oracle-'));
    const scenario = path.join(dir, 'peak.yaml');
    writeFileSync(scenario, `name: oracle-peak\ntarget: ws://127.0.0.1:${server?.port}/\nclients: 30\nworkers: 2\nphases:\n  - ramp_up: 100ms\n  - hold: 500ms\n  - ramp_down: 100ms\n`);
    const res = await runCli(['run', scenario, '--out', path.join(dir, 'out'), '--quiet']);
    const results = JSON.parse(readFileSync(path.join(dir, 'out', 'results.json'), 'utf8'));
    assert.equal(results.summary.counters.established, 30, res.stdout + res.stderr);
    assert.equal(server?.open, 0, 'every connection closed by the end');
    assert.equal(results.summary.peakOpen, server?.maxOpen);
    const sampled = Math.max(...results.series.map((p: { open: number }) => p.open));
    assert.ok(sampled < results.summary.peakOpen, `the second-end samples (max ${sampled}) miss the peak`);
    assert.match(res.stdout, new RegExp(`peak open\\s+${server?.maxOpen}`));
    process.stderr.write(`  oracle peak_open: server max open ${server?.maxOpen}; wsherd peakOpen ${results.summary.peakOpen} (second-end samples max ${sampled})\n`);
  });
});
