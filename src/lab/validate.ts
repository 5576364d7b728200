/** Checks a lab spec before anything is forked, so a bad option fails in the parent with a clear message. */
import { WsherdError } from '../errors.js';
import { assertProxyMode, assertStrategyMode } from '../proxy/server.js';
import { createStrategy } from '../proxy/strategies/index.js';
import type { LabSpec } from '../scenario/types.js';
import { fdHardLimit } from '../probes/proc.js';

export function validateLab(spec: LabSpec): void {
  const { count, kind } = spec.backends;
  if (!Number.isInteger(count) || count < 1) {
    throw new WsherdError('WSH_ERR_INVALID_INPUT', `lab.backends.count must be a whole number >= 1, got ${count}.`, { hint: 'Set lab.backends.count, e.g. 3.' });
  }
  if (kind !== 'ws' && kind !== 'socketio') {
    throw new WsherdError('WSH_ERR_INVALID_INPUT', `lab.backends.kind "${String(kind)}" is not supported; valid kinds: ws, socketio.`, { hint: 'Use kind: ws or kind: socketio.' });
  }
  assertProxyMode(spec.proxy.mode);
  // Builds (and drops) one instance so bad options fail here, not in the child; a sticky one gets an unref'd memory store.
  createStrategy(spec.proxy.strategy, spec.proxy.options ?? {});
  assertStrategyMode(spec.proxy.strategy, spec.proxy.mode);
  checkFdLimit('lab.backends.limits.fds', spec.backends.limits?.fds);
  checkFdLimit('lab.proxy.limits.fds', spec.proxy.limits?.fds);
}

/** A limit can be lowered by anyone, raised only up to the hard limit (and, here, not at all): say so before forking. */
function checkFdLimit(what: string, fds: number | undefined): void {
  if (fds === undefined) return;
  const hard = fdHardLimit();
  if (hard > 0 && fds > hard) {
    throw new WsherdError('WSH_ERR_INVALID_INPUT', `${what} is ${fds}, above this machine's hard limit of ${hard} open files.`, {
      hint: `Use at most ${hard}; a process may lower its limit but not raise it past the hard limit (ulimit -Hn).`,
    });
  }
}
