/** Maps a finished run to its documented exit code (docs/exit-codes.md). */
import { ExitCode, type ExitCodeValue } from '../exit-codes.js';
import type { Results } from '../results/types.js';
import type { CompareResults } from '../compare/types.js';
import { establishedNothing, saturationOf } from '../analysis/saturation.js';

export interface ExitOptions {
  /** `--accept-saturated`: a saturated run gets the code it would get otherwise (0 or 3) instead of INCONCLUSIVE. */
  acceptSaturated?: boolean;
}

/** In the verdict's order (src/report/verdict.ts): aborted, failed, established nothing, saturated, thresholds. */
export function exitCodeFor(results: Results, signalName?: string, opts: ExitOptions = {}): ExitCodeValue {
  if (results.status === 'aborted') return abortedCode(signalName);
  if (results.status === 'failed') {
    return results.statusReason?.startsWith('lab') ? ExitCode.LAB_FAILED : ExitCode.GENERATOR_FAILED;
  }
  if (establishedNothing(results)) return ExitCode.NOTHING_ESTABLISHED;
  if (opts.acceptSaturated !== true && saturationOf(results).saturated) return ExitCode.INCONCLUSIVE;
  return results.thresholds.some((t) => !t.pass) ? ExitCode.THRESHOLDS_FAILED : ExitCode.OK;
}

/**
 * `wsherd compare`'s code: aborted, a run that failed (lab or generator), an inconclusive approach (unless accepted),
 * else 0 — approaches are expected to differ, so failed thresholds and an approach that established nothing do not
 * set it (docs/exit-codes.md).
 */
export function compareExitCodeFor(compare: CompareResults, runs: readonly Results[], signalName?: string, opts: ExitOptions = {}): ExitCodeValue {
  if (signalName !== undefined || compare.status === 'aborted') return abortedCode(signalName);
  if (compare.status === 'failed') return runs.some((r) => r.statusReason?.startsWith('lab')) ? ExitCode.LAB_FAILED : ExitCode.GENERATOR_FAILED;
  return opts.acceptSaturated !== true && compare.approaches.some((a) => a.inconclusive === true) ? ExitCode.INCONCLUSIVE : ExitCode.OK;
}

function abortedCode(signalName: string | undefined): ExitCodeValue {
  return signalName === 'SIGTERM' ? ExitCode.ABORTED_SIGTERM : ExitCode.ABORTED_SIGINT;
}
