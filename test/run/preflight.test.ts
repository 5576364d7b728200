import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { WsherdError } from '../../src/errors.js';
import { budgetOf, checkBudget } from '../../src/run/preflight.js';
import { parseScenario } from '../../src/scenario/load.js';

const machine = { fdLimit: 20_000, portRange: [32768, 60999] as [number, number] };
const lab = (clients: number): string => `name: b\nclients: ${clients}\nlab:\n  backends: {count: 2}\n`;
const rejects = (yaml: string, message: RegExp, hint: RegExp, m = machine): void => {
  assert.throws(() => checkBudget(parseScenario(yaml, 'b.yaml'), m), (err: unknown) => {
    assert.ok(err instanceof WsherdError);
    assert.equal(err.code, 'WSH_ERR_INVALID_INPUT');
    assert.match(err.message, message);
    assert.match(err.hint ?? '', hint);
    return true;
  });
};

describe('pre-flight budget', () => {
  test('what one worker holds, and the ports per source', () => {
    const b = budgetOf(parseScenario(lab(1000), 'b.yaml'), machine);
    assert.equal(b.perWorker, 15_800);
    assert.equal(b.portsPerSource, 28_232);
    const s = budgetOf(parseScenario(`${lab(1000)}behavior: {engine: engineio}\n`, 'b.yaml'), machine);
    assert.equal(s.perWorker, 7_900, 'two fds per session-engine client');
  });

  test('an explicit worker count too small for the clients is refused with the count that fits', () => {
    rejects(`${lab(20_000)}workers: 1\n`, /^workers: 1 cannot hold 20,000 clients: one worker holds at most 15,800 under its fd limit of 20,000/, /^Set workers: 2 or more/);
    assert.equal(checkBudget(parseScenario(`${lab(20_000)}workers: 2\n`, 'b.yaml'), machine).clients, 20_000);
    assert.equal(checkBudget(parseScenario(lab(20_000), 'b.yaml'), machine).clients, 20_000, 'without workers: wsherd chooses enough');
  });

  test('more clients than local ports towards one destination', () => {
    rejects(lab(30_000), /^30,000 concurrent clients need 30,000 local ports towards one destination, but one source address has 28,232 \(ip_local_port_range 32768-60999\)/, /Lower clients to 28,232/);
    rejects(lab(1000), /^1,000 concurrent clients need 1,000 local ports/, /widen/, { fdLimit: 20_000, portRange: [40000, 40899] });
    assert.equal(checkBudget(parseScenario(lab(900), 'b.yaml'), { fdLimit: 20_000, portRange: [40000, 40999] }).portsPerSource, 1000);
  });
});
