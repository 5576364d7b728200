/**
 * The Dockerfile cannot be built here (no Docker), so its stages are played by hand on this machine: the build stage's
 * COPY sources are laid out in a temp dir and compiled as its RUN does; the runtime stage's COPY sources (from the
 * repo, or from that build) are laid out as /app, its `npm ci --omit=dev` is run, and the ENTRYPOINT is started from
 * there. A source the image would lack, a devDependency the runtime needs, or an entry point that does not start fails
 * here. Also: both stages on Node 20 slim images, a non-root USER, a .dockerignore that keeps the sources in.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from '../helpers/cli.js';
import { parseManifests, validateObject } from '../helpers/k8s-models.js';

const run = promisify(execFile);

interface Instruction { op: string; args: string }
interface Stage { image: string; name: string | undefined; steps: Instruction[] }

/** FROM/COPY/RUN/… with line continuations joined and comments dropped (the subset this Dockerfile uses). */
function parseDockerfile(text: string): Stage[] {
  const joined = text.split('\n').filter((l) => !/^\s*#/.test(l)).join('\n').replace(/\\\n/g, ' ');
  const stages: Stage[] = [];
  for (const line of joined.split('\n')) {
    const m = /^\s*([A-Z]+)\s+(.*)$/.exec(line);
    if (m === null) continue;
    const [, op = '', args = ''] = m;
    if (op === 'FROM') {
      const f = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args.trim());
      stages.push({ image: f?.[1] ?? '', name: f?.[2], steps: [] });
    } else {
      stages[stages.length - 1]?.steps.push({ op, args: args.trim() });
    }
  }
  return stages;
}

interface Copy { from?: string; sources: string[]; dest: string }

/** The COPY steps of a stage with their destinations made absolute against the WORKDIR in force. */
function copies(stage: Stage): Copy[] {
  let workdir = '/';
  const out: Copy[] = [];
  for (const s of stage.steps) {
    if (s.op === 'WORKDIR') workdir = path.posix.resolve(workdir, s.args);
    if (s.op !== 'COPY') continue;
    const words = s.args.split(/\s+/);
    const from = words.find((w) => w.startsWith('--from='))?.slice('--from='.length);
    const rest = words.filter((w) => !w.startsWith('--'));
    const dest = path.posix.resolve(workdir, rest[rest.length - 1] ?? '.');
    out.push({ ...(from === undefined ? {} : { from }), sources: rest.slice(0, -1), dest: rest[rest.length - 1]?.endsWith('/') === true || rest.length > 2 ? `${dest}/` : dest });
  }
  return out;
}

/** Lays the COPY steps out under `root` (standing for /), sources from `repo` or from a stage's root. */
function layOut(root: string, steps: Copy[], stageRoots: Record<string, string>, repo: string): void {
  for (const c of steps) {
    for (const src of c.sources) {
      const from = c.from === undefined ? path.join(repo, src) : path.join(stageRoots[c.from] ?? '/nonexistent', src);
      assert.ok(existsSync(from), `COPY ${c.from === undefined ? '' : `--from=${c.from} `}${src}: not found (${from})`);
      const to = c.dest.endsWith('/') ? path.join(root, c.dest, path.basename(src)) : path.join(root, c.dest);
      mkdirSync(path.dirname(to), { recursive: true });
      cpSync(from, to, { recursive: true });
    }
  }
}

describe('the Dockerfile', () => {
  const text = readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
  const stages = parseDockerfile(text);
  const build = stages[0] as Stage;
  const runtime = stages[stages.length - 1] as Stage;
  let tmp = '';
  before(() => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'wsherd-docker-'));
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  test('two stages, both on the Node 20 slim image; the runtime runs as the node user', () => {
    assert.equal(stages.length, 2);
    for (const s of stages) assert.match(s.image, /^node:20(\.\d+)*-(bookworm-)?slim$/);
    assert.equal(build.name, 'build');
    const users = runtime.steps.filter((s) => s.op === 'USER');
    assert.equal(users[users.length - 1]?.args, 'node');
    const last = runtime.steps.map((s) => s.op).lastIndexOf('USER');
    assert.ok(runtime.steps.slice(last).every((s) => s.op !== 'RUN' || !/chown|apt-get/.test(s.args)), 'nothing after USER needs root');
    assert.deepEqual(JSON.parse(runtime.steps.find((s) => s.op === 'ENTRYPOINT')?.args ?? 'null'), ['node', '/app/bin/run.js']);
  });

  test('.dockerignore keeps the sources the COPY steps need in the context', () => {
    const ignored = readFileSync(path.join(ROOT, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
    for (const s of stages) {
      for (const c of copies(s).filter((x) => x.from === undefined)) {
        for (const src of c.sources) assert.ok(!ignored.some((i) => src === i || src.startsWith(`${i}/`)), `${src} is in .dockerignore`);
      }
    }
    for (const must of ['node_modules', 'dist', '.git']) assert.ok(ignored.includes(must), `${must} is ignored`);
  });

  test('the build stage compiles from what it copies; the runtime stage starts from what it copies', { timeout: 600_000 }, async () => {
    // Build stage: its sources under tmp/build/app, the repo's installed node_modules standing in for its `npm ci`.
    const buildRoot = path.join(tmp, 'build');
    layOut(buildRoot, copies(build), {}, ROOT);
    const buildApp = path.join(buildRoot, 'app');
    symlinkSync(path.join(ROOT, 'node_modules'), path.join(buildApp, 'node_modules'));
    assert.ok(build.steps.some((s) => s.op === 'RUN' && s.args === 'npm run build'));
    await run(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], { cwd: buildApp, timeout: 540_000, maxBuffer: 16 << 20 });
    assert.ok(existsSync(path.join(buildApp, 'dist/src/index.js')));

    // Runtime stage: /app from the repo and the build, then its own npm ci of production dependencies only.
    const rtRoot = path.join(tmp, 'runtime');
    layOut(rtRoot, copies(runtime), { build: buildRoot }, ROOT);
    const app = path.join(rtRoot, 'app');
    const ci = runtime.steps.find((s) => s.op === 'RUN' && s.args.includes('npm ci'))?.args ?? '';
    assert.match(ci, /npm ci --omit=dev --ignore-scripts/);
    await run('npm', ['ci', '--omit=dev', '--ignore-scripts', '--prefer-offline', '--no-audit', '--no-fund'], { cwd: app, timeout: 300_000, maxBuffer: 16 << 20 });
    assert.ok(!existsSync(path.join(app, 'node_modules/typescript')), 'devDependencies stay out of the image');

    const entry = JSON.parse(runtime.steps.find((s) => s.op === 'ENTRYPOINT')?.args ?? '[]') as string[];
    const argv = entry.slice(1).map((a) => a.replace(/^\/app\//, `${app}/`));
    const version = await run(process.execPath, [...argv, '--version'], { cwd: tmp });
    assert.match(version.stdout, /^wsherd\/\d+\.\d+\.\d+/);
    // The commands the manifests run exist in the image: render from it, and the flags the pods pass are known.
    const rendered = await run(process.execPath, [...argv, 'k8s', 'render', path.join(app, 'scenarios/sharded-target.yaml'), '--shards', '2', '--image', 'x', '-e', 'WSHERD_TARGET=ws://e.svc:1/'], { cwd: tmp });
    for (const o of parseManifests(rendered.stdout)) validateObject(o);
    const wait = await run(process.execPath, [...argv, 'k8s', 'wait', '--help'], { cwd: tmp });
    assert.match(wait.stdout, /--shards/);
  });
});
