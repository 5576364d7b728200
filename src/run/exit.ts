/** Maps a finished run to its documented exit code (docs/exit-codes.md). */
import { ExitCode, type ExitCodeValue } from '../exit-codes.js';
import type { Results } from '../results/types.js';

export function exitCodeFor(results: Results, signalName?: string): ExitCodeValue {
  if (results.status === 'aborted') return signalName === 'SIGTERM' ? ExitCode.ABORTED_SIGTERM : ExitCode.ABORTED_SIGINT;
  if (results.status === 'failed') {
    return results.statusReason?.startsWith('lab') ? ExitCode.LAB_FAILED : ExitCode.GENERATOR_FAILED;
  }
  return results.thresholds.some((t) => !t.pass) ? ExitCode.THRESHOLDS_FAILED : ExitCode.OK;
}
