/**
 * Child process of own-schedule.test.ts: builds one worker's own state (events, population, roles) for a large
 * plan, the new way (`own`) or the old all-clients way (`all`, kept here as the oracle's foil), and prints the
 * growth of its peak RSS (VmHWM, from /proc) over the RSS before, in bytes.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { OwnEvents } from '../../../src/load/own-schedule.js';
import { OwnPopulation, assignPopulation } from '../../../src/load/population.js';
import { slotIntervals } from '../../../src/load/schedule.js';
import { ownRoleIndex } from '../../../src/load/flow/setup.js';
import { assignRoles } from '../../../src/load/flow/roles.js';
import { parseScenario } from '../../../src/scenario/load.js';

function status(key: string): number {
  const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(readFileSync('/proc/self/status', 'utf8'));
  return Number(m?.[1] ?? 0) * 1024;
}

const [mode = 'own', clientsText = '200000', workersText = '8'] = process.argv.slice(2);
const clients = Number(clientsText);
const workerCount = Number(workersText);
const s = parseScenario(`name: m\nclients: ${clients}\nlab: {backends: {count: 1}}\nphases: [{ramp_up: {duration: 60s, to: ${clients}}}, {hold: {duration: 60s}}, {ramp_down: {duration: 10s, to: 0}}]\n`
  + 'population: [{share: 0.4, addresses: 1}, {share: 0.6, addresses: 2000, distribution: zipf}]\n', 'm.yaml');
const population = s.population;
if (population === undefined) throw new Error('no population');
(globalThis as { gc?: () => void }).gc?.();
// 5 resets the peak (VmHWM) to the current RSS: the growth is this build's alone.
writeFileSync('/proc/self/clear_refs', '5');
const before = status('VmRSS');
let keep: unknown;
if (mode === 'own') {
  keep = [
    new OwnEvents(s.phases, { workerId: 0, workerCount, clients }),
    new OwnPopulation(population, clients, 0, workerCount),
    ownRoleIndex(clients, [0.1, 0.9], 0, workerCount),
  ];
} else {
  // What every worker built before issue 17: every slot's intervals, its own events as objects, every address.
  const intervals = slotIntervals(s.phases, clients);
  const events: { at: number; slot: number; open: boolean; until?: number }[] = [];
  for (let slot = 0; slot < clients; slot += workerCount) {
    for (const iv of intervals[slot] ?? []) events.push({ at: iv.openAt, slot, open: true, until: iv.closeAt }, { at: iv.closeAt, slot, open: false });
  }
  events.sort((a, b) => a.at - b.at || Number(a.open) - Number(b.open) || a.slot - b.slot);
  keep = [intervals, events, assignPopulation(population, clients), assignRoles(clients, [0.1, 0.9])];
}
process.stdout.write(`${JSON.stringify({ mode, grownBytes: status('VmHWM') - before, kept: Array.isArray(keep) })}\n`);
