import path from 'node:path';

/** A path as the user would type it from where they ran the command (absolute when outside cwd). */
export function relativeToCwd(p: string, cwd: string = process.cwd()): string {
  const rel = path.relative(cwd, p);
  return rel === '' ? '.' : rel.startsWith('..') || path.isAbsolute(rel) ? p : rel;
}
