/**
 * Every exit code wsherd uses, in one place (documented in README.md and docs/exit-codes.md).
 * Modelled on k6: a CI job must be able to tell "the target is too slow" from "the scenario is wrong".
 */
export const ExitCode = {
  /** The run completed and every threshold passed. */
  OK: 0,
  /** A bug or an unexpected failure inside wsherd (rerun with --debug for the stack trace). */
  INTERNAL: 1,
  /** Bad input: flags, a missing or invalid scenario file, an unknown strategy, a bad results file. */
  INVALID_INPUT: 2,
  /** The run completed but at least one threshold failed. */
  THRESHOLDS_FAILED: 3,
  /** The output folder (or another file wsherd must write) cannot be written. */
  OUTPUT_UNWRITABLE: 4,
  /** The lab (backends, proxy) could not be started, or died during the run. */
  LAB_FAILED: 5,
  /** The load generator itself failed (a worker crashed); partial results are written. */
  GENERATOR_FAILED: 6,
  /** The run completed but the generator was saturated (src/analysis/saturation.ts): its own fds or ports ran out,
   *  its event loop stalled, or it could not start its clients in time. Nothing measured can be trusted; rerun on a
   *  quieter or bigger host. `--accept-saturated` maps such a run to the code it would otherwise get (0 or 3). */
  INCONCLUSIVE: 7,
  /** The run completed but established no connection at all (every attempt failed): a failed run whatever its
   *  thresholds, even with none. */
  NOTHING_ESTABLISHED: 8,
  /** The run was stopped by SIGINT (Ctrl-C); partial results are written, marked aborted. */
  ABORTED_SIGINT: 130,
  /** The run was stopped by SIGTERM; partial results are written, marked aborted. */
  ABORTED_SIGTERM: 143,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];
