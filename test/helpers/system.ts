/**
 * Tests that need a system binary (redis-server, haproxy, nginx, chromium, openssl) skip where it is missing, with
 * the Debian package to install named — but never in CI: .ci/run installs every one of them, so under CI (CI set,
 * as every CI system does) a missing binary is a failure, not a silent skip that would hide a broken install step.
 */
import { existsSync } from 'node:fs';

export const IN_CI = (process.env.CI ?? '') !== '' && process.env.CI !== 'false';

/**
 * false when `bin` exists; otherwise the skip reason ("… not found: apt-get install PKG"). Under CI it throws, so
 * the test file fails naming the package. Usable as `describe(name, { skip: needBinary(…) }, …)`.
 */
export function needBinary(bin: string, pkg: string): string | false {
  if (existsSync(bin)) return false;
  const reason = `${bin} not found: apt-get install ${pkg}`;
  if (IN_CI) throw new Error(`${reason} (CI must install it: add ${pkg} to PACKAGES in .ci/run)`);
  return reason;
}
