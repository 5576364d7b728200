/**
 * `wsherd init`: a starter scenario in the user's own project, so the first run does not depend on this
 * repository's layout (`npx wsherd run scenarios/quickstart.yaml` only works inside a checkout). It copies one of
 * the bundled scenarios (shipped in the package's scenarios/ folder) or writes a target scenario for a URL.
 */
import { constants, readdirSync, readFileSync } from 'node:fs';
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { parse } from 'yaml';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { WsherdError } from '../errors.js';
import { closest } from '../scenario/suggest.js';

/** The package's scenarios/ folder (from dist/src/init/ or src/init/ alike: three levels up is the package root). */
export const BUNDLED_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..', 'scenarios');
/** Scenarios in BUNDLED_DIR that are not load scenarios (`wsherd plan` inputs). */
const NOT_SCENARIOS = new Set(['plan-example']);

export interface BundledScenario {
  name: string;
  file: string;
  /** The file's first comment line: what it shows. */
  summary: string;
}

export function bundledScenarios(dir: string = BUNDLED_DIR): BundledScenario[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml') && !NOT_SCENARIOS.has(f.slice(0, -5)))
    .sort()
    .map((f) => {
      const file = path.join(dir, f);
      const first = readFileSync(file, 'utf8').split('\n').find((l) => l.startsWith('#')) ?? '';
      return { name: f.slice(0, -5), file, summary: first.replace(/^#\s*/, '') };
    });
}

export interface InitOptions {
  /** Where to write; default `<example>.yaml`, or `wsherd.yaml` for a target scenario. */
  file?: string;
  /** A bundled scenario by name (default quickstart when no target is given). */
  example?: string;
  /** Write a target scenario for this ws:// or wss:// URL instead of a lab one. */
  target?: string;
  /** Overwrite an existing file. */
  force?: boolean;
}

export interface InitOutcome {
  file: string;
  /** Files the scenario names (a data file, a script), copied beside it. */
  companions?: string[];
  /** The bundled scenario copied, or `target` for a target scenario. */
  from: string;
}

export async function initScenario(opts: InitOptions, cwd: string = process.cwd()): Promise<InitOutcome> {
  if (opts.example !== undefined && opts.target !== undefined) {
    throw new WsherdError('WSH_ERR_INVALID_INPUT', '--example and --target cannot be combined.', { hint: 'give --example NAME for a bundled lab scenario, or --target URL for your own server' });
  }
  const { text, from, defaultName } = opts.target !== undefined ? targetScenario(opts.target) : exampleScenario(opts.example ?? 'quickstart');
  const file = path.resolve(cwd, opts.file ?? defaultName);
  const shown = path.relative(cwd, file) || file;
  try {
    await writeFile(file, text.replace(/(Run it with:\s+wsherd run )\S+/, `$1${shown}`), { flag: opts.force === true ? 'w' : 'wx' });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new WsherdError('WSH_ERR_INVALID_INPUT', `${shown} already exists.`, { hint: 'give another file name, or --force to overwrite it' });
    throw new WsherdError('WSH_ERR_OUTPUT_UNWRITABLE', `Cannot write ${shown}: ${(err as Error).message}.`, { hint: 'write into a folder you can write to', cause: err });
  }
  const companions = opts.target === undefined ? await copyCompanions(text, path.dirname(file), opts.force === true) : [];
  return { file, from, ...(companions.length === 0 ? {} : { companions }) };
}

/**
 * The files a bundled scenario names by a relative path (behavior.data.file, behavior.script, a role's script),
 * copied to the same relative place beside the written scenario, so that it loads as written. An existing file
 * is kept (unless `force`): it may be the user's own data.
 */
async function copyCompanions(text: string, dir: string, force: boolean): Promise<string[]> {
  const behavior = (parse(text) as { behavior?: { data?: { file?: unknown }; script?: unknown; roles?: Record<string, { script?: unknown }> } } | null)?.behavior;
  const named = [behavior?.data?.file, behavior?.script, ...Object.values(behavior?.roles ?? {}).map((r) => r?.script)];
  const out: string[] = [];
  for (const rel of named) {
    if (typeof rel !== 'string' || path.isAbsolute(rel)) continue;
    const to = path.resolve(dir, rel);
    await mkdir(path.dirname(to), { recursive: true });
    try {
      await copyFile(path.resolve(BUNDLED_DIR, rel), to, force ? 0 : constants.COPYFILE_EXCL);
      out.push(to);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new WsherdError('WSH_ERR_OUTPUT_UNWRITABLE', `Cannot write ${to}: ${(err as Error).message}.`, { hint: 'write into a folder you can write to', cause: err });
    }
  }
  return out;
}

function exampleScenario(name: string): { text: string; from: string; defaultName: string } {
  const all = bundledScenarios();
  const found = all.find((s) => s.name === name.replace(/\.ya?ml$/, ''));
  if (found === undefined) {
    const near = closest(name, all.map((s) => s.name));
    throw new WsherdError('WSH_ERR_INVALID_INPUT', `There is no bundled scenario "${name}"${near === undefined ? '' : ` (did you mean "${near}"?)`}.`, {
      hint: `bundled scenarios: ${all.map((s) => s.name).join(', ')} (wsherd init --list describes each)`,
    });
  }
  return { text: readFileSync(found.file, 'utf8'), from: found.name, defaultName: `${found.name}.yaml` };
}

function targetScenario(url: string): { text: string; from: string; defaultName: string } {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new WsherdError('WSH_ERR_INVALID_INPUT', `--target ${url} is not a URL.`, { hint: 'e.g. --target ws://127.0.0.1:8080/' });
  }
  if (u.protocol !== 'ws:' && u.protocol !== 'wss:') {
    throw new WsherdError('WSH_ERR_INVALID_INPUT', `--target must be a ws:// or wss:// URL, got ${u.protocol}//.`, { hint: `e.g. --target ws://${u.host || '127.0.0.1:8080'}/` });
  }
  const text = `# A first run against your own WebSocket server (written by wsherd init). The server should echo every text
# message back unchanged, so round trips can be timed; a server that sends x-wsherd-backend on the 101 (or a
# first frame {"wsherd":"hello","backend":"…"}) gets its backends counted. Every key: docs/scenario.md.
# Run it with:  wsherd run wsherd.yaml
name: first-run

target: ${u.href}

clients: 50

phases:
  - ramp_up: 2s
  - hold: 5s
  - ramp_down: 1s

behavior:
  messages_per_second: 1
  payload_bytes: 64

thresholds:
  - p99(connect) < 200ms
  - errors.rate < 1%
`;
  return { text, from: 'target', defaultName: 'wsherd.yaml' };
}
