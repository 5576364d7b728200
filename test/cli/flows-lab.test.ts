/**
 * The three bundled flow scenarios (issue 16) on the reference lab, scaled down (test/oracle/scaled.ts: fewer clients,
 * shorter phases; the lab, the Redis bus and the thresholds kept): each run passes its own thresholds and exits 0, and
 * the figures the thresholds stand on are really there (deliveries expected and accounted, rooms crossing backends).
 * The equality of those figures to an independent count is test/oracle/flows.test.ts.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runCli } from '../helpers/cli.js';
import { REDIS_SKIP } from '../oracle/app-bus.js';
import { writeScaled, type ScaleDown } from '../oracle/scaled.js';

interface Tally { expected: number; accounted: number; lost: number }
interface FlowResults {
  status: string;
  summary: { flow: { steps: Record<string, { ok: number }>; frames: { byType: Record<string, number>; unsolicited: number }; deliveries: Tally & { received: number; crossBackend: Tally; sameBackend: Tally } } };
}

const PHASES = (holdS: number): unknown[] => [{ ramp_up: '1s' }, { hold: `${holdS}s` }, { ramp_down: '500ms' }];

describe('flow scenarios on the lab (scaled down)', { skip: REDIS_SKIP }, () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'wsherd-flows-lab-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function run(name: string, o: ScaleDown): Promise<FlowResults> {
    const file = await writeScaled(dir, name, { workers: 2, ...o });
    const out = path.join(dir, `out-${name}`);
    const res = await runCli(['run', file, '--out', out]);
    assert.equal(res.code, 0, `${name}: thresholds pass, exit 0; got ${res.code}\n${res.stdout}\n${res.stderr}`);
    return JSON.parse(await readFile(path.join(out, 'results.json'), 'utf8')) as FlowResults;
  }

  test('app-session: welcomed, requests answered, pushes counted', async () => {
    const r = await run('app-session.yaml', { clients: 30, phases: PHASES(5), loopCount: 3, every: '300ms' });
    const f = r.summary.flow;
    assert.equal(f.steps.welcome?.ok, 30);
    assert.equal(f.steps.request?.ok, 90);
    assert.ok((f.frames.byType.push ?? 0) > 0, JSON.stringify(f.frames));
  });

  test('pubsub-fanout: deliveries through the Redis bus, none lost', async () => {
    const r = await run('pubsub-fanout.yaml', {
      clients: 50, phases: PHASES(6), shares: { publisher: 0.02, subscriber: 0.98 }, think: '2s', deliveryTimeout: '1s',
    });
    const d = r.summary.flow.deliveries;
    assert.ok(d.expected > 0 && d.accounted === d.expected && d.lost === 0, JSON.stringify(d));
    assert.ok(d.crossBackend.accounted > 0, 'subscribers on other backends than the publisher\'s got deliveries through Redis');
  });

  test('chat-rooms: rooms span backends through the redis adapter, none lost', async () => {
    const r = await run('chat-rooms.yaml', {
      clients: 60, phases: PHASES(6), shares: { poster: 0.05, member: 0.95 }, replace: [['client % 50', 'client % 7']],
      think: '1s', deliveryTimeout: '1s',
    });
    const d = r.summary.flow.deliveries;
    assert.equal(r.summary.flow.steps.join?.ok, 60);
    assert.ok(d.expected > 0 && d.lost === 0, JSON.stringify(d));
    assert.ok(d.crossBackend.accounted > 0 && d.sameBackend.accounted > 0, JSON.stringify({ same: d.sameBackend, cross: d.crossBackend }));
  });
});
