/** Duration flags (`--lead 3s`, `--timeout 10m`, `--barrier-timeout 2m`) in the scenario files' notation. */
import { WsherdError } from '../errors.js';
import { parseDuration } from '../scenario/duration.js';

/** Parses `text` given to `flag` into ms; refuses (WSH_ERR_INVALID_INPUT) a bare number, a bad duration, or below `minMs`. */
export function parseDurationFlag(flag: string, text: string, minMs = 0): number {
  const d = parseDuration(text);
  if ('error' in d) throw new WsherdError('WSH_ERR_INVALID_INPUT', `${flag} ${d.error}.`, { hint: `${d.hint}, e.g. ${flag} 30s` });
  if (d.ms < minMs) {
    throw new WsherdError('WSH_ERR_INVALID_INPUT', `${flag} must be at least ${minMs} ms, got "${text}".`, { hint: `e.g. ${flag} 30s` });
  }
  return d.ms;
}
