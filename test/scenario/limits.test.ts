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
