import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { WsherdError } from '../../src/errors.js';
import { budgetOf, checkBudget, type Machine } from '../../src/run/preflight.js';
import { parseScenario } from '../../src/scenario/load.js';

const machine: Machine = { fdLimit: 20_000, portRange: [32768, 60999] };
const lab = (clients: number): string => `name: b\nclients: ${clients}\nlab:\n  backends: {count: 2}\n`;
const rejects = (yaml: string, message: RegExp, hint: RegExp, m: Machine = machine): void => {
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
    const d = budgetOf(parseScenario('name: d\nlab:\n  approach: dns\n  backends: {count: 2}\nclients: 1000\nphases:\n  - ramp_up: 1s\n', 'b.yaml'), machine);
    assert.equal(d.perWorker, 15_800, 'the dns engine opens one socket per client (the lean ws client)');
  });

  test('an explicit worker count too small for the clients is refused with the count that fits', () => {
    rejects(`${lab(20_000)}workers: 1\n`, /^workers: 1 cannot hold 20,000 clients: one worker holds at most 15,800 under its fd limit of 20,000/, /^Set workers: 2 or more/);
    assert.equal(checkBudget(parseScenario(`${lab(20_000)}workers: 2\n`, 'b.yaml'), machine).clients, 20_000);
    assert.equal(checkBudget(parseScenario(lab(20_000), 'b.yaml'), machine).clients, 20_000, 'without workers: wsherd chooses enough');
  });

  test('issue 15: workers beyond what the machine can use are refused with the arithmetic, before any fork', () => {
    const small: Machine = { ...machine, workers: { cores: 2, memTotalBytes: 24 * 1024 ** 3 } };
    rejects(`${lab(1000)}workers: 256\n`, /^workers: 256 is more than this machine can use for 1,000 clients: 1 hold them under the fd limit, and it has 2 cores; more than 4× that \(8\) only costs memory/, /let wsherd choose 2, or give at most 8/, small);
    assert.equal(checkBudget(parseScenario(`${lab(1000)}workers: 8\n`, 'b.yaml'), small).clients, 1000);
    const tiny: Machine = { ...machine, workers: { cores: 64, memTotalBytes: 4 * 1024 ** 3 } };
    rejects(`${lab(1000)}workers: 40\n`, /^workers: 40 would take about 3,000 MB before the first connection \(40 × 75 MB\), more than half of this machine's 4,096 MB/, /at most 27 workers/, tiny);
  });

  test('issue 15: clients no one machine can hold get that arithmetic, not a population the validator refuses', () => {
    rejects(lab(1e12), /^1,000,000,000,000 clients are more than one generator machine holds: at most 256 workers × 15,800 clients each under the fd limit of 20,000 = 4,044,800/, /run the load from several machines/);
  });

  test('more clients than local ports towards one destination', () => {
    rejects(lab(30_000), /^30,000 concurrent clients need 30,000 local ports from one source address towards the target, but one source address has 28,232 \(ip_local_port_range 32768-60999\)/, /population: \{addresses: 2\}/);
    rejects(lab(1000), /^1,000 concurrent clients need 1,000 local ports/, /widen the port range/, { fdLimit: 20_000, portRange: [40000, 40899] });
    assert.equal(checkBudget(parseScenario(lab(900), 'b.yaml'), { fdLimit: 20_000, portRange: [40000, 40999] }).portsPerSource, 1000);
  });

  test('against a target the hint never offers a network namespace (lab only): the host\'s port range and TIME_WAIT reuse', () => {
    const target = (extra = ''): string => `name: b\nclients: 1000\ntarget: ws://127.0.0.1:9/\n${extra}`;
    const small = { fdLimit: 20_000, portRange: [40000, 40899] as [number, number] };
    assert.throws(() => checkBudget(parseScenario(target(), 'b.yaml'), small), (err: unknown) => {
      assert.ok(err instanceof WsherdError);
      assert.doesNotMatch(err.hint ?? '', /namespace/);
      assert.match(err.hint ?? '', /widen this host's port range \(sysctl -w net\.ipv4\.ip_local_port_range="1024 65535"\)\.$/);
      return true;
    });
    assert.throws(() => checkBudget(parseScenario(target('behavior: {lifetime: 1s, close: client-fin}\n'), 'b.yaml'), { ...small, twReuse: 0 }), (err: unknown) => {
      assert.ok(err instanceof WsherdError);
      assert.doesNotMatch(err.hint ?? '', /namespace/);
      assert.match(err.hint ?? '', /tcp_tw_reuse=1\) or close with close: server\.$/);
      return true;
    });
  });

  test('a population spreads the clients over its addresses: the busiest address is what must fit', () => {
    const small = { fdLimit: 20_000, portRange: [40000, 40999] as [number, number] };
    const b = checkBudget(parseScenario(`${lab(3000)}population: {addresses: 4}\n`, 'b.yaml'), small);
    assert.equal(b.clientsPerSource, 750);
    rejects(`${lab(3000)}population: [{share: 0.5, addresses: 1}, {share: 0.5, addresses: 100}]\n`, /^1,500 concurrent clients need 1,500 local ports from the busiest source address of the population/, /2× as many in the busiest group/, small);
  });

  test('churn with client-fin holds TIME_WAIT on the generator unless the kernel may reuse it', () => {
    const churn = `${lab(100)}behavior: {lifetime: 1s, close: client-fin}\n`;
    const range = { fdLimit: 20_000, portRange: [40000, 40999] as [number, number] };
    // 100 slots × 1 connection/s × 60 s = 6,000 ports in TIME_WAIT from one address.
    rejects(churn, /^100 concurrent clients plus about 6,000 ports in TIME_WAIT from churn \(close: client-fin, 60 s each\) need 6,100 local ports/, /population: \{addresses: 7\}/, { ...range, twReuse: 0 });
    assert.equal(checkBudget(parseScenario(churn, 'b.yaml'), { ...range, twReuse: 2 }).portsNeeded, 100, 'tcp_tw_reuse 2 reuses loopback TIME_WAIT');
    assert.equal(checkBudget(parseScenario(`${lab(100)}behavior: {lifetime: 1s}\n`, 'b.yaml'), { ...range, twReuse: 0 }).portsNeeded, 100, 'with a closing handshake the server closes first');
    assert.equal(checkBudget(parseScenario(`${churn}population: {addresses: 10}\n`, 'b.yaml'), { ...range, twReuse: 0 }).portsNeeded, 610);
  });

  test('population addresses this machine does not have are refused before the run', () => {
    const yaml = 'name: b\nclients: 10\ntarget: ws://127.0.0.1:9/\npopulation: {addresses: [192.0.2.7, 127.0.0.2]}\n';
    rejects(yaml, /^The population uses 1 address this machine does not have \(192\.0\.2\.7\)/, /local interface/, { ...machine, localAddresses: new Set(['10.0.0.1']) });
    assert.equal(checkBudget(parseScenario(yaml, 'b.yaml'), { ...machine, localAddresses: new Set(['192.0.2.7']) }).clients, 10);
  });
});
