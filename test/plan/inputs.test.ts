import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isWsherdError } from '../../src/errors.js';
import { PlanInputError, mergeInputs, parseHostSpec, parseSize, planInputsFromFlags, resolveInputs } from '../../src/plan/inputs.js';
import { parsePlanFile } from '../../src/plan/inputs-file.js';

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof PlanInputError, `expected a PlanInputError, got ${String(err)}`);
    assert.equal(err.code, 'WSH_ERR_PLAN_INVALID');
    assert.equal(err.exitCode, 2);
    assert.ok(err.hint?.includes('docs/plan.md'));
    return err.problems;
  }
  assert.fail('no error thrown');
}

test('sizes: binary with or without iB, decimal with B, plain bytes', () => {
  assert.equal(parseSize('8GiB'), 8 * 2 ** 30);
  assert.equal(parseSize('8G'), 8 * 2 ** 30);
  assert.equal(parseSize('512MiB'), 512 * 2 ** 20);
  assert.equal(parseSize('16GB'), 16e9);
  assert.equal(parseSize('1048576'), 1048576);
  assert.equal(parseSize('eight'), undefined);
});

test('flags: defaults, and a host spec that overrides one key at a time', () => {
  const i = planInputsFromFlags({ connections: '1000', balancerHost: 'cores=8,port-range=1024-65535,sources=4' });
  assert.equal(i.topology, 'balancer');
  assert.equal(i.headroom, 0.3);
  assert.equal(i.closesFirst, 'balancer');
  assert.deepEqual(i.hosts.balancer, { ramBytes: 8 * 2 ** 30, cores: 8, fds: 1_048_576, portRange: [1024, 65535], sources: 4, listenPorts: 1 });
  assert.deepEqual(i.hosts.backend.portRange, [32768, 60999]);
});

test('flags: every bad value reported at once, negative and zero included, with the fix', () => {
  const problems = problemsOf(() => planInputsFromFlags({ connections: '0', churn: '-5', messages: 'lots', headroom: '1', topology: 'dsn', balancerHost: 'ram=8XB,cors=4,fds=10.5' }));
  assert.deepEqual(problems, [
    '--balancer-host ram must be a size such as 8GiB or 512MiB, got "8XB"',
    '--balancer-host: "cors=4" is not key=value with a known key (did you mean "cores"?), e.g. --balancer-host ram=8GiB,cores=4,fds=65536',
    '--balancer-host fds must be a whole number, got 10.5',
    '--connections must be at least 1, got 0',
    '--churn must be at least 0, got -5',
    '--messages must be a number, got "lots"',
    '--headroom must be at most 0.9, got 1',
    '--topology must be one of balancer, dns, orchestrator, dns-balancers, got "dsn" (did you mean "dns"?)',
  ]);
  assert.deepEqual(problemsOf(() => planInputsFromFlags({})), ['--connections is required: the peak number of concurrent connections, e.g. --connections 100000']);
  const cores: string[] = [];
  parseHostSpec('--backend-host', 'cores=0,port_range=60999-32768', cores);
  assert.deepEqual(cores, ['--backend-host cores must be above 0, got 0', '--backend-host port_range must go from low to high, got 60999-32768 (did you mean 32768-60999?)']);
});

test('a plan file: every problem with file:line:col, sorted top down', () => {
  const text = [
    'connections: 0',
    'churn: -1',
    'topology: dsn',
    'hosts:',
    '  balancer: {ram: lots, fds: "abc", port_range: 60999-32768, sourcs: 2}',
    '  backnd: {}',
    'headroom: 0.95',
  ].join('\n');
  assert.deepEqual(problemsOf(() => parsePlanFile(text, 'plan.yaml')), [
    'plan.yaml:1:14 connections must be at least 1, got 0 (the peak number of concurrent connections, e.g. connections: 100000)',
    'plan.yaml:2:8 churn must be at least 0, got -1 (new connections per second, 0 for none)',
    'plan.yaml:3:11 topology must be one of balancer, dns, orchestrator, dns-balancers, got "dsn" (did you mean "dns"?)',
    'plan.yaml:5:19 hosts.balancer.ram must be a size such as 8GiB or 512MiB, got "lots"',
    'plan.yaml:5:30 hosts.balancer.fds must be an integer, got a string ("abc")',
    'plan.yaml:5:49 hosts.balancer.port_range must go from low to high, got 60999-32768 (did you mean 32768-60999?)',
    'plan.yaml:5:62 unknown key "sourcs" in hosts.balancer (did you mean "sources"?)',
    'plan.yaml:6:3 unknown key "backnd" in hosts (did you mean "backend"?)',
    'plan.yaml:7:11 headroom must be at most 0.9, got 0.95 (the fraction of each capacity kept free, e.g. headroom: 0.3)',
  ]);
});

test('a plan file: missing connections, YAML syntax, an empty file', () => {
  assert.deepEqual(problemsOf(() => parsePlanFile('churn: 5\n', 'p.yaml')), ['p.yaml:1:1 "connections" is required (the peak number of concurrent connections, e.g. connections: 100000)']);
  assert.match(problemsOf(() => parsePlanFile('connections: [1\n', 'p.yaml'))[0] ?? '', /^p\.yaml:\d+:\d+ YAML syntax error/);
  assert.deepEqual(problemsOf(() => parsePlanFile('', 'p.yaml')), ['p.yaml:1:1 the plan file is empty (start from scenarios/plan-example.yaml)']);
});

test('flags override the file key by key, hosts included', () => {
  const file = parsePlanFile('connections: 5000\nchurn: 10\nhosts:\n  balancer: {ram: 4GiB, cores: 2, port_range: [1024, 65535]}\n', 'p.yaml');
  const merged = resolveInputs(mergeInputs(file, { churn: 20, hosts: { balancer: { cores: 8 } } }), true);
  assert.equal(merged.connections, 5000);
  assert.equal(merged.churn, 20);
  assert.equal(merged.hosts.balancer.ramBytes, 4 * 2 ** 30);
  assert.equal(merged.hosts.balancer.cores, 8);
  assert.deepEqual(merged.hosts.balancer.portRange, [1024, 65535]);
});

test('errors are WsherdErrors with exit code 2', () => {
  try {
    planInputsFromFlags({ connections: '-1' });
    assert.fail('no error');
  } catch (err) {
    assert.ok(isWsherdError(err));
    assert.equal(err.message, 'The plan has 1 problem:\n  --connections must be at least 1, got -1');
  }
});
