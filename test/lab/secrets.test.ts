/**
 * Issue 15: secrets never reach a command line. /proc/PID/cmdline is readable by every user on the host, so a lab
 * whose orchestrator token, agent token or proxy cookie secret stood in argv let anyone register a foreign backend.
 * The kernel's /proc is the oracle: every process of a real lab (orchestrator, agents, proxy primary and its
 * cluster workers) is read there.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startLab } from '../../src/lab/start.js';
import { DEFAULT_ORCHESTRATOR } from '../../src/scenario/approach.js';
import { descendants } from '../helpers/cli.js';

const cmdline = (pid: number): string => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
  } catch {
    return ''; // gone meanwhile
  }
};

describe('lab secrets (issue 15)', () => {
  test('no lab process carries its config, the bearer token or the cookie secret on its command line', { timeout: 60_000 }, async () => {
    const secret = 'c00k1e-s3cret-for-the-test';
    const lab = await startLab({
      backends: { count: 2, kind: 'ws', host: '127.0.0.1' },
      proxy: { strategy: 'cookie', mode: 'l7', host: '127.0.0.1', workers: 2, options: { cookieSecret: secret } },
      approach: 'proxy-orchestrator',
      orchestrator: { ...DEFAULT_ORCHESTRATOR },
    });
    try {
      const pids = new Set<number>();
      for (const c of lab.components) {
        pids.add(c.pid);
        for (const d of descendants(c.pid)) pids.add(d); // the proxy's cluster workers, prlimit'd children
      }
      const kinds = new Set(lab.components.map((c) => c.kind));
      assert.ok(kinds.has('orchestrator') && kinds.has('proxy') && kinds.has('backend'), [...kinds].join(','));
      assert.ok(pids.size >= lab.components.length + 2, `the proxy's two workers are among ${pids.size} pids`);
      for (const pid of pids) {
        const line = cmdline(pid);
        assert.ok(!line.includes(secret), `pid ${pid}: cookie secret on the command line: ${line}`);
        assert.ok(!/[{}]/.test(line), `pid ${pid}: a JSON config on the command line: ${line}`);
        assert.ok(!/[0-9a-f]{32}/.test(line), `pid ${pid}: something like the 32-hex bearer token on the command line: ${line}`);
      }
    } finally {
      await lab.stop();
    }
  });
});
