import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseScenario } from '../../src/scenario/load.js';
import { startLab } from '../../src/lab/start.js';
import { fdHardLimit } from '../../src/probes/proc.js';
import { rejectText } from './helpers.js';

const lines = (text: string): string[] => rejectText(text, 'l.yaml').problems.map((p) => `${p.line}:${p.col} ${p.message}`);
const lab = (backends: string, proxy: string): string => `name: l\nclients: 10\nlab:\n  backends: ${backends}\n  proxy: ${proxy}\n`;

describe('limits on lab components', () => {
  test('backends and proxy take limits: {fds}', () => {
    const s = parseScenario(lab('{count: 2, limits: {fds: 512}}', '{strategy: round-robin, limits: {fds: 1024}}'), 'l.yaml');
    assert.deepEqual(s.lab?.backends.limits, { fds: 512 });
    assert.deepEqual(s.lab?.proxy.limits, { fds: 1024 });
  });

  test('bad values at their position', () => {
    assert.deepEqual(lines(lab('{count: 2, limits: {fds: 10}}', '{strategy: round-robin, limits: {files: 1}}')), [
      '4:38 lab.backends.limits.fds must be at least 64, got 10',
      '5:43 unknown key "files" in lab.proxy.limits',
    ]);
  });

  test('a limit above the hard limit is refused before any process starts', async () => {
    const hard = fdHardLimit();
    if (hard <= 0 || hard >= 1_048_576) return;
    const s = parseScenario(lab('{count: 1}', `{strategy: round-robin, limits: {fds: ${hard + 1}}}`), 'l.yaml');
    await assert.rejects(startLab(s.lab!), { code: 'WSH_ERR_INVALID_INPUT', message: new RegExp(`lab.proxy.limits.fds is ${hard + 1}, above this machine's hard limit of ${hard} open files`) });
  });
});

describe('network:', () => {
  const net = (body: string, where = 'lab:\n  backends: {count: 1}\n'): string => `name: n\nclients: 10\n${where}network: ${body}\n`;
  test('namespace, port range and tcp_tw_reuse resolve', () => {
    assert.deepEqual(parseScenario(net('{namespace: true, port_range: 40000-40999, tcp_tw_reuse: 0}'), 'n.yaml').network, { namespace: true, portRange: [40000, 40999], tcpTwReuse: 0 });
  });
  test('problems: a bad range, a setting without the namespace, a namespace with a target', () => {
    assert.deepEqual(lines(net('{namespace: true, port_range: 50000-40000}')), ['5:40 network.port_range must be low-high within 1024-65535, got "50000-40000"']);
    assert.deepEqual(lines(net('{port_range: 40000-40999}')), ['5:10 network.port_range and tcp_tw_reuse apply only inside a private namespace']);
    assert.deepEqual(lines(net('{namespace: true}', 'target: ws://127.0.0.1:9/\n')), ['4:22 a private network namespace has only loopback, so it cannot reach a target']);
  });
});
