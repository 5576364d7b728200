/**
 * Issue 15: `import 'wsherd'` must work for a user who installs the published package. The test packs the tree as
 * npm would publish it, installs the tarball into an empty project with npm itself, and imports it from there —
 * no path into this checkout — then checks the types are shipped and the CLI runs from the installed copy.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from '../helpers/cli.js';

const run = promisify(execFile);
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';

describe('the published package', () => {
  let dir = '';
  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'wsherd-pkg-'));
    // dist/ is already built by `npm test`; --ignore-scripts keeps `prepare` from building again.
    const { stdout } = await run(NPM, ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], { cwd: ROOT, maxBuffer: 64 << 20 });
    const tarball = path.join(dir, (JSON.parse(stdout) as Array<{ filename: string }>)[0]?.filename ?? '');
    writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'user-project', version: '1.0.0', private: true, type: 'module' }));
    await run(NPM, ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', tarball], { cwd: dir, timeout: 240_000, maxBuffer: 64 << 20 });
  });
  after(() => {
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  test("import 'wsherd' gives the library entry, with its types", { timeout: 60_000 }, async () => {
    const script = [
      "import * as w from 'wsherd';",
      "const s = w.parseScenario('name: t\\ntarget: ws://127.0.0.1:9/\\nclients: 3\\n', 't.yaml');",
      "console.log(JSON.stringify({ fns: ['runScenario','runCompare','runPlan','startProxy','startLab','loadScenario','verdictOf','diagnose'].filter((k) => typeof w[k] === 'function'), clients: s.clients, exit: w.ExitCode.THRESHOLDS_FAILED }));",
    ].join('\n');
    writeFileSync(path.join(dir, 'use.mjs'), script);
    const { stdout } = await run(process.execPath, ['use.mjs'], { cwd: dir });
    assert.deepEqual(JSON.parse(stdout), {
      fns: ['runScenario', 'runCompare', 'runPlan', 'startProxy', 'startLab', 'loadScenario', 'verdictOf', 'diagnose'],
      clients: 3,
      exit: 3,
    });
    assert.ok(existsSync(path.join(dir, 'node_modules/wsherd/dist/src/index.d.ts')), 'types shipped');
  });

  test('the installed CLI runs (npx wsherd)', { timeout: 60_000 }, async () => {
    const { stdout } = await run(NPM, ['exec', '--offline', '--', 'wsherd', '--version'], { cwd: dir });
    assert.match(stdout, /wsherd\/\d+\.\d+\.\d+/);
  });

  test("README's CI snippet in a fresh project: npx wsherd init, then npx wsherd run (workers forked from the installed copy)", { timeout: 90_000 }, async () => {
    // An echo server of the test's own: it counts the connections it accepted, the oracle for "the run happened".
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    let accepted = 0;
    wss.on('connection', (ws) => {
      accepted++;
      ws.on('message', (m, binary) => ws.send(m, { binary }));
    });
    await once(wss, 'listening');
    try {
      const url = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/`;
      await run(NPM, ['exec', '--offline', '--', 'wsherd', 'init', '--target', url], { cwd: dir });
      // The verdict may be INCONCLUSIVE when the suite's own load stalls the generator: accepted here (exit 0 still
      // requires every threshold to pass); the counts below are the oracle.
      const { stdout } = await run(NPM, ['exec', '--offline', '--', 'wsherd', 'run', 'wsherd.yaml', '-q', '--out', 'out', '--junit', 'reports/wsherd.xml'], { cwd: dir, env: { ...process.env, NO_COLOR: '1', GITHUB_STEP_SUMMARY: '', WSHERD_ACCEPT_SATURATED: '1' } });
      assert.match(stdout, /^Status {2}(PASS|INCONCLUSIVE)/m);
      const results = JSON.parse(readFileSync(path.join(dir, 'out/results.json'), 'utf8')) as { summary: { counters: { established: number } } };
      assert.equal(results.summary.counters.established, 50);
      assert.equal(accepted, 50);
      assert.ok(existsSync(path.join(dir, 'reports/wsherd.xml')));
    } finally {
      for (const c of wss.clients) c.terminate();
      wss.close();
    }
  });
});
