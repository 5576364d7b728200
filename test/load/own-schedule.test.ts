import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { OwnEvents, ownCount, ownSlotsOf } from '../../src/load/own-schedule.js';
import { slotIntervals, slotIntervalsOf, withChurn } from '../../src/load/schedule.js';
import { OwnPopulation, assignPopulation } from '../../src/load/population.js';
import { ownRoleIndex } from '../../src/load/flow/setup.js';
import { assignRoles } from '../../src/load/flow/roles.js';
import { parseScenario } from '../../src/scenario/load.js';
import type { PhaseSegment } from '../../src/scenario/types.js';

const run = promisify(execFile);

type Ev = [at: number, slot: number, open: boolean, until: number];

function events(e: OwnEvents): Ev[] {
  const out: Ev[] = [];
  for (let i = 0; i < e.length; i++) out.push([e.at(i), e.slot(i), e.isOpen(i), e.until(i)]);
  return out;
}

const byTime = (a: Ev, b: Ev): number => a[0] - b[0] || Number(a[2]) - Number(b[2]) || a[1] - b[1];

/** The schedule as every worker computed it before issue 17 (all slots' intervals): the oracle. */
function allSlotsEvents(phases: PhaseSegment[], clients: number, churn?: { lifetimeMs: number; thinkTimeMs: number }): Ev[] {
  const out: Ev[] = [];
  slotIntervals(phases, clients).forEach((own, slot) => {
    for (const iv of churn === undefined ? own : withChurn(own, churn.lifetimeMs, churn.thinkTimeMs)) out.push([iv.openAt, slot, true, iv.closeAt], [iv.closeAt, slot, false, iv.closeAt]);
  });
  return out.sort(byTime);
}

const phasesOf = (yaml: string, clients: number): PhaseSegment[] =>
  parseScenario(`name: s\nclients: ${clients}\nlab: {backends: {count: 1}}\nphases: ${yaml}\n`, 's.yaml').phases;

describe('each worker holds its own share of the schedule', () => {
  // A parsed scenario, and jumps (zero-length segments) and a curve above `clients` as the schedule allows them.
  const cases: [PhaseSegment[], number][] = [
    [phasesOf('[{ramp_up: {duration: 3s, to: 997}}, {hold: {duration: 2s}}, {ramp_down: {duration: 1s, to: 300}}, {ramp_up: {duration: 2s, to: 1000}}, {ramp_down: {duration: 1s, to: 0}}]', 1000), 1000],
    [[{ kind: 'ramp_up', durationMs: 0, to: 50 }, { kind: 'hold', durationMs: 1000, to: 50 }, { kind: 'ramp_down', durationMs: 0, to: 10 }, { kind: 'ramp_up', durationMs: 700, to: 60 }], 40],
  ];

  test('one slot by the closed form equals the all-slots pass, slot by slot', () => {
    for (const [phases, clients] of cases) {
      const all = slotIntervals(phases, clients);
      for (let k = 0; k < clients; k++) assert.deepEqual(slotIntervalsOf(phases, k), all[k], `slot ${k}`);
    }
  });

  test('the union of the workers\' events for 1, 2 and 8 workers is exactly the single-worker schedule', () => {
    for (const [phases, clients] of cases) {
      for (const churn of [undefined, { lifetimeMs: 700, thinkTimeMs: 150 }]) {
        const oracle = allSlotsEvents(phases, clients, churn);
        for (const workerCount of [1, 2, 8]) {
          const union: Ev[] = [];
          for (let id = 0; id < workerCount; id++) {
            const own = events(new OwnEvents(phases, { workerId: id, workerCount, clients }, churn));
            assert.deepEqual(own, [...own].sort(byTime), `worker ${id} of ${workerCount}: in time order`);
            assert.ok(own.every(([, slot]) => slot % workerCount === id), 'own slots only');
            union.push(...own);
          }
          assert.deepEqual(union.sort(byTime), oracle, `${workerCount} workers, churn ${churn === undefined ? 'off' : 'on'}`);
        }
      }
    }
  });

  test('population and roles: each worker keeps its own slots, and they are the all-slots assignment\'s', () => {
    const s = parseScenario('name: p\nclients: 3001\nlab: {backends: {count: 1}}\npopulation: [{share: 0.4, addresses: 1}, {share: 0.35, addresses: 700, distribution: zipf}, {share: 0.25, addresses: 30}]\n', 'p.yaml');
    const spec = s.population;
    assert.ok(spec);
    const all = assignPopulation(spec, 3001);
    const roles = assignRoles(3001, [0.01, 0.3, 0.69]);
    for (const workerCount of [1, 2, 8]) {
      let seen = 0;
      for (let id = 0; id < workerCount; id++) {
        const own: OwnPopulation = new OwnPopulation(spec, 3001, id, workerCount);
        const role = ownRoleIndex(3001, [0.01, 0.3, 0.69], id, workerCount);
        assert.equal(own.bytes, ownCount({ workerId: id, workerCount, clients: 3001 }) * 6);
        for (const slot of ownSlotsOf({ workerId: id, workerCount, clients: 3001 })) {
          assert.equal(own.groupOf(slot), all.group[slot]);
          assert.equal(own.addressOf(slot), all.address[slot]);
          assert.equal(role(slot), roles[slot]);
          seen++;
        }
      }
      assert.equal(seen, 3001);
    }
  });

  test('memory oracle (/proc): one worker\'s own state for 200,000 clients × 8 workers stays small; the all-clients build did not', async () => {
    const child = fileURLToPath(new URL('./helpers/own-state-rss.js', import.meta.url));
    const grown = async (mode: string): Promise<number> => {
      const { stdout } = await run(process.execPath, ['--expose-gc', child, mode, '200000', '8']);
      return (JSON.parse(stdout) as { grownBytes: number }).grownBytes;
    };
    // Measured: ~9 MB own (events 1.2 MB, population 150 kB, roles 50 kB, plus V8's young generation) vs ~90 MB.
    const bound = 40 * 2 ** 20;
    const own = await grown('own');
    assert.ok(own < bound, `own state grew the peak RSS by ${own} bytes (bound ${bound})`);
    const old = await grown('all');
    assert.ok(old > bound, `the bound tells the old all-clients build apart (it grew ${old} bytes)`);
  });
});
