/**
 * The generator tier against the kernel and real runs, not against its own arithmetic:
 * - a real lab run on this host calibrates the plan: the generator host's port range is the one /proc says, the port
 *   count per host is that range's size, and the costs are the run's own self-report;
 * - in a private network namespace with a 200-port range, a plain `ws` server (on a port outside the range, so no
 *   listener takes one) counts what arrives: one source address holds exactly the 200 connections the plan gives a
 *   host, two addresses hold the 400 the plan says one host with 2 source addresses would, and one more client than
 *   the range is refused by `wsherd run`'s own pre-flight with the same arithmetic.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runScenario } from '../../src/run/run.js';
import { parseScenario } from '../../src/scenario/load.js';
import { RunEvents } from '../../src/run-events.js';
import { runPlan } from '../../src/plan/run.js';
import { calibrate, referenceCosts } from '../../src/plan/costs.js';
import { calibrateGenerator, generatorHostOf } from '../../src/plan/generator-costs.js';
import { inputsFromFlags, resolveInputs } from '../../src/plan/inputs.js';
import { planCapacity } from '../../src/plan/plan.js';
import type { Results } from '../../src/results/types.js';
import { runInNetns } from '../helpers/netns.js';

const kills: Array<() => void> = [];
after(() => {
  for (const k of kills.splice(0)) k();
});

async function procPortRange(): Promise<[number, number]> {
  const [lo, hi] = (await readFile('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')).trim().split(/\s+/).map(Number);
  return [lo as number, hi as number];
}

test('a real lab run calibrates the generator tier: /proc\'s port range, the run\'s own costs', { timeout: 90_000 }, async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'wsherd-plan-gen-'));
  try {
    const yaml = 'name: gen-cal\nlab:\n  backends: {count: 2}\n  proxy: {strategy: round-robin}\nclients: 300\nworkers: 1\nphases: [{ramp_up: 2s}, {hold: 2s}, {ramp_down: 500ms}]\nbehavior: {messages_per_second: 0}\n';
    const run = await runScenario({ scenario: parseScenario(yaml, 'gen-cal.yaml'), outDir: path.join(dir, 'run'), events: new RunEvents() });
    assert.equal(run.results.summary.counters.established, 300);
    const [lo, hi] = await procPortRange();
    const range = hi - lo + 1;
    const connections = 3 * range + 1;
    const { plan } = await runPlan({ flags: { connections: String(connections) }, results: [path.join(dir, 'run')] });
    assert.deepEqual(plan.inputs.generator.portRange, [lo, hi], 'the run\'s environment is the kernel\'s');
    const ports = plan.generator.constraints.find((c) => c.name === 'ports');
    assert.equal(ports?.capacityPerHost.value, range);
    assert.equal(ports?.hosts.value, 4);
    const r = run.results;
    assert.equal(plan.generator.costs.origin, 'calibrated');
    assert.equal(plan.generator.costs.memoryPerConnection.value, r.generator.tree?.bytesPerConnection);
    assert.equal(plan.generator.costs.coordinatorIdleBytes.value, r.generator.coordinator?.startRssBytes);
    const cpu = r.generator.workers.reduce((a, w) => a + w.cpuMs, 0) / 1000;
    assert.ok(Math.abs(plan.generator.costs.cpuPer100NewConnections.value - (cpu / r.summary.counters.attempted) * 100) < 1e-12);
    assert.equal(plan.inputs.generator.cores, r.environment.cpus);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('in a namespace with 200 ports: one source holds 200 (the plan\'s host), two hold 400 (its "with 2 source addresses")', { timeout: 150_000 }, async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'wsherd-plan-gen-ns-'));
  try {
    const url = (p: string): string => JSON.stringify(new URL(p, import.meta.url).href);
    const scenario = (clients: number, population: string): string => `name: ports\ntarget: {url: "ws://127.0.0.1:30000/"}\nclients: ${clients}\nworkers: 1\n${population}phases: [{ramp_up: 2s}, {hold: 1s}, {ramp_down: 500ms}]\nbehavior: {messages_per_second: 0}\n`;
    const runs = [['one', scenario(200, '')], ['two', scenario(400, 'population: {addresses: 2}\n')], ['over', scenario(201, '')]];
    const script = `
      const { WebSocketServer } = await import('ws');
      const { runScenario } = await import(${url('../../src/run/run.js')});
      const { parseScenario } = await import(${url('../../src/scenario/load.js')});
      const { RunEvents } = await import(${url('../../src/run-events.js')});
      // Port 30000 is outside the namespace's range: the listener takes none of the clients' ports.
      const wss = new WebSocketServer({ host: '127.0.0.1', port: 30000, backlog: 2048 });
      await new Promise((r) => wss.once('listening', r));
      let open = 0, peak = 0;
      const sources = new Set();
      wss.on('connection', (ws, req) => { open++; peak = Math.max(peak, open); sources.add(req.socket.remoteAddress); ws.on('close', () => open--); });
      const out = [];
      for (const [name, yaml] of ${JSON.stringify(runs)}) {
        peak = 0; sources.clear();
        try {
          const r = await runScenario({ scenario: parseScenario(yaml, name + '.yaml'), outDir: ${JSON.stringify(dir)} + '/' + name, events: new RunEvents() });
          out.push({ name, established: r.results.summary.counters.established, peak, sources: sources.size });
        } catch (e) { out.push({ name, error: e.code + ': ' + e.message }); }
      }
      process.stdout.write(JSON.stringify(out) + '\\n');
      wss.close();
      process.exit(0);`;
    const ns = await runInNetns(script, '40000 40199', (kill) => kills.push(kill));
    if (ns.unavailable !== undefined) {
      t.skip(ns.unavailable);
      return;
    }
    assert.equal(ns.code, 0, ns.err);
    const [one, two, over] = JSON.parse(ns.out) as Array<{ name: string; established?: number; peak?: number; sources?: number; error?: string }>;
    // What the server saw at once, from each number of source addresses.
    assert.deepEqual([one?.peak, one?.sources, one?.established], [200, 1, 200]);
    assert.deepEqual([two?.peak, two?.sources, two?.established], [400, 2, 400]);
    assert.match(over?.error ?? '', /^WSH_ERR_INVALID_INPUT: 201 concurrent clients need 201 local ports from one source address towards the target, but one source address has 200 \(ip_local_port_range 40000-40199\)/);

    // The plan from the one-address run (an external target: it calibrates the generator only).
    const results = JSON.parse(await readFile(path.join(dir, 'one', 'results.json'), 'utf8')) as Results;
    assert.deepEqual(results.environment.portRange, [40000, 40199], 'read from /proc inside the namespace');
    const inputs = resolveInputs(inputsFromFlags({ connections: '400' }, []), false, generatorHostOf(results));
    const plan = planCapacity(inputs, referenceCosts(), calibrateGenerator([results]));
    const ports = plan.generator.constraints.find((c) => c.name === 'ports');
    assert.equal(ports?.capacityPerHost.value, one?.peak, 'a host holds what the kernel held from one address');
    assert.equal(plan.generator.hosts, 2);
    assert.deepEqual({ sources: plan.generator.withSources?.sources, hosts: plan.generator.withSources?.hosts }, { sources: 2, hosts: 1 }, 'what the two-address run did');
    // No lab in the path: nothing of it measures a balancer or a backend, which keep the reference.
    assert.deepEqual(calibrate([results]).backend.memoryPerConnection, referenceCosts().backend.memoryPerConnection);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
