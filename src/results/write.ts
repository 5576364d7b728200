/**
 * Writing a run's outputs: the output folder (created and proven writable before the first socket opens, so
 * a long run never ends in "cannot write results") and files written atomically (temp file in the same folder,
 * then rename), so a reader sees either the old file or the whole new one, never half of it.
 */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { access, mkdir, open, rename, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { WsherdError } from '../errors.js';
import type { Results } from './types.js';

/** The results file's name inside an output folder. */
export const RESULTS_FILE = 'results.json';
/** Where runs go when neither --out nor the scenario's `out` says otherwise (relative to the working directory). */
export const DEFAULT_RESULTS_ROOT = 'wsherd-results';

const OUT_HINT = 'Choose a folder you can write to with --out (or `out:` in the scenario), or fix its permissions.';

/** A scenario name as a folder name: ASCII letters, digits, `.`, `_`, `-`; accents dropped; never empty. */
export function safeName(name: string): string {
  const safe = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/-{2,}/g, '-')
    .replace(/^[-.]+|[-.]+$/g, '')
    .slice(0, 64)
    .replace(/[-.]+$/, '');
  return safe === '' ? 'run' : safe;
}

const pad = (n: number): string => String(n).padStart(2, '0');

/** `wsherd-results/<safe-name>-<YYYYMMDD-HHMMSS>`, local time (the time the user reads on their clock). */
export function defaultOutDir(name: string, date: Date): string {
  const stamp = `${date.getFullYear()}${pad(date.getMonth() + 1)}${pad(date.getDate())}-` +
    `${pad(date.getHours())}${pad(date.getMinutes())}${pad(date.getSeconds())}`;
  return path.join(DEFAULT_RESULTS_ROOT, `${safeName(name)}-${stamp}`);
}

const errCode = (err: unknown): string | undefined => (err as NodeJS.ErrnoException | undefined)?.code;
const reason = (err: unknown): string => (err instanceof Error ? err.message : String(err));

function unwritable(dir: string, what: string, cause?: unknown): WsherdError {
  return new WsherdError('WSH_ERR_OUTPUT_UNWRITABLE', `Output folder ${dir}: ${what}`, { hint: OUT_HINT, cause });
}

/**
 * Creates `dir` (and missing parents) and proves it writable by creating and removing a probe file.
 * Returns its absolute path; throws WSH_ERR_OUTPUT_UNWRITABLE naming the folder and the OS's reason.
 *
 * Parents are created one level at a time rather than with `mkdir({recursive: true})`: under /proc and /sys
 * a recursive mkdir was seen to hang (mkdir answers ENOENT for a child of an existing folder, and the
 * recursive walk retries the parent forever). Here an ENOENT from mkdir is final.
 */
export async function prepareOutDir(dir: string): Promise<string> {
  const abs = path.resolve(dir);
  const { existing, missing } = await firstExistingAncestor(abs);
  try {
    await access(existing, constants.W_OK | constants.X_OK);
  } catch (err) {
    throw missing.length > 0
      ? unwritable(abs, `cannot create it: ${existing} is not writable (${reason(err)}).`, err)
      : unwritable(abs, `cannot write to it (${reason(err)}).`, err);
  }
  for (const level of missing) {
    try {
      await mkdir(level);
    } catch (err) {
      // Another process (a parallel run) may have created it meanwhile: fine if it is a folder now.
      const raced = errCode(err) === 'EEXIST' && (await stat(level).then((s) => s.isDirectory(), () => false));
      if (!raced) throw unwritable(abs, `cannot create it (${reason(err)}).`, err);
    }
  }
  const probe = path.join(abs, `.wsherd-probe-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    const fh = await open(probe, 'wx');
    await fh.close();
    await unlink(probe);
  } catch (err) {
    await unlink(probe).catch(() => undefined);
    throw unwritable(abs, `cannot write to it (${reason(err)}).`, err);
  }
  return abs;
}

/** The nearest existing folder at or above `abs`, and the levels below it still to create (top first). */
async function firstExistingAncestor(abs: string): Promise<{ existing: string; missing: string[] }> {
  const missing: string[] = [];
  let existing = abs;
  for (;;) {
    let isDir: boolean;
    try {
      isDir = (await stat(existing)).isDirectory();
    } catch (err) {
      const parent = path.dirname(existing);
      // ENOTDIR: a file further up; keep walking up to name it.
      if ((errCode(err) !== 'ENOENT' && errCode(err) !== 'ENOTDIR') || parent === existing) {
        throw unwritable(abs, `cannot create it (${reason(err)}).`, err);
      }
      missing.unshift(existing);
      existing = parent;
      continue;
    }
    if (isDir) return { existing, missing };
    throw existing === abs
      ? unwritable(abs, 'it is a file, not a folder (ENOTDIR).')
      : unwritable(abs, `cannot create it: ${existing} is a file, not a folder (ENOTDIR).`);
  }
}

/**
 * Writes `data` to `file` atomically: a temp file in the same folder (rename is atomic only within one file
 * system), flushed to disk so a full disk fails here and not later, then renamed over `file`.
 * Throws WSH_ERR_OUTPUT_UNWRITABLE; the temp file is removed on failure.
 */
export async function writeFileAtomic(file: string, data: string): Promise<void> {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    const fh = await open(tmp, 'wx');
    try {
      await fh.writeFile(data, 'utf8');
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, file);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw new WsherdError('WSH_ERR_OUTPUT_UNWRITABLE', `Could not write ${file}: ${reason(err)}`, { hint: OUT_HINT, cause: err });
  }
}

/** Writes `<dir>/results.json` (pretty-printed, 2 spaces) atomically; returns its path. */
export async function writeResults(dir: string, results: Results): Promise<string> {
  const file = path.join(dir, RESULTS_FILE);
  await writeFileAtomic(file, `${JSON.stringify(results, null, 2)}\n`);
  return file;
}
