/**
 * `limits:` on a lab component (`lab.backends.limits`, `lab.proxy.limits`): resource limits the lab applies to
 * that process at start, so a run can reproduce fd exhaustion in seconds (a proxy with 1,024 fds).
 */
import { type Context, type Field, readInteger, readSection } from './context.js';
import type { ComponentLimits } from './types.js';

export const LIMITS_KEYS = ['fds'] as const;
/** Below this a Node process cannot even start its runtime and IPC channel. */
export const MIN_FD_LIMIT = 64;
/** The largest fd limit Linux allows for any process (fs.nr_open default); the real cap is the hard limit, checked at start. */
export const MAX_FD_LIMIT = 1_048_576;

export function readLimits(ctx: Context, field: Field): ComponentLimits | undefined {
  const section = readSection(ctx, field, LIMITS_KEYS);
  if (section === undefined) return undefined;
  const fdsField = section.fields.get('fds');
  if (fdsField === undefined) return {};
  const fds = readInteger(ctx, fdsField, {
    min: MIN_FD_LIMIT,
    max: MAX_FD_LIMIT,
    hint: `the component's open-file limit (soft = hard), e.g. fds: 1024; at least ${MIN_FD_LIMIT}, at most this machine's hard limit`,
  });
  return fds === undefined ? undefined : { fds };
}
