/**
 * One error hierarchy with stable codes (the undici/ws pattern). Every error a user can cause carries
 * what is wrong, where, and how to fix it; commands print `message` (plus `hint`) without a stack trace
 * unless --debug is given, and exit with `exitCode`.
 */
import { ExitCode, type ExitCodeValue } from './exit-codes.js';

export type WsherdErrorCode =
  | 'WSH_ERR_INTERNAL'
  | 'WSH_ERR_INVALID_INPUT'
  | 'WSH_ERR_SCENARIO_NOT_FOUND'
  | 'WSH_ERR_SCENARIO_INVALID'
  | 'WSH_ERR_OUTPUT_UNWRITABLE'
  | 'WSH_ERR_LAB_START'
  | 'WSH_ERR_LAB_DIED'
  | 'WSH_ERR_WORKER_FAILED'
  | 'WSH_ERR_BARRIER_TIMEOUT'
  | 'WSH_ERR_RESULTS_INVALID'
  | 'WSH_ERR_PLAN_INVALID'
  | 'WSH_ERR_PLAN_IMPOSSIBLE'
  | 'WSH_ERR_ABORTED';

export interface WsherdErrorOptions {
  /** How to fix it, one sentence; printed after the message. */
  hint?: string;
  cause?: unknown;
  exitCode?: ExitCodeValue;
}

export class WsherdError extends Error {
  readonly code: WsherdErrorCode;
  readonly exitCode: ExitCodeValue;
  readonly hint: string | undefined;

  constructor(code: WsherdErrorCode, message: string, options: WsherdErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'WsherdError';
    this.code = code;
    this.hint = options.hint;
    this.exitCode = options.exitCode ?? defaultExit(code);
  }
}

function defaultExit(code: WsherdErrorCode): ExitCodeValue {
  switch (code) {
    case 'WSH_ERR_INVALID_INPUT':
    case 'WSH_ERR_SCENARIO_NOT_FOUND':
    case 'WSH_ERR_SCENARIO_INVALID':
    case 'WSH_ERR_RESULTS_INVALID':
    case 'WSH_ERR_PLAN_INVALID':
    case 'WSH_ERR_PLAN_IMPOSSIBLE':
      return ExitCode.INVALID_INPUT;
    case 'WSH_ERR_OUTPUT_UNWRITABLE':
      return ExitCode.OUTPUT_UNWRITABLE;
    case 'WSH_ERR_LAB_START':
    case 'WSH_ERR_LAB_DIED':
      return ExitCode.LAB_FAILED;
    // WSH_ERR_BARRIER_TIMEOUT: a shard's own input was valid; the run's other generators (shards on other hosts) did not
    // assemble in time — the cross-host form of "workers not all ready in time", so the same code (CI may retry it;
    // 2 means fix the config).
    case 'WSH_ERR_WORKER_FAILED':
    case 'WSH_ERR_BARRIER_TIMEOUT':
      return ExitCode.GENERATOR_FAILED;
    case 'WSH_ERR_ABORTED':
      return ExitCode.ABORTED_SIGINT;
    default:
      return ExitCode.INTERNAL;
  }
}

/** One problem in a scenario file, located to file:line:col. */
export interface ScenarioProblem {
  file: string;
  line: number;
  col: number;
  /** Dotted path of the offending key, e.g. `behavior.payload_bytes`. */
  path: string;
  message: string;
  /** How to fix it, e.g. `did you mean "clients"?`. */
  hint?: string;
}

/** All problems of a scenario at once (k6 style): the message lists every one, file:line:col first. */
export class ScenarioError extends WsherdError {
  readonly problems: ScenarioProblem[];

  constructor(problems: ScenarioProblem[]) {
    super('WSH_ERR_SCENARIO_INVALID', formatProblems(problems), {
      hint: 'See docs/scenario.md for every section and its defaults.',
    });
    this.name = 'ScenarioError';
    this.problems = problems;
  }
}

export function formatProblem(p: ScenarioProblem): string {
  const where = `${p.file}:${p.line}:${p.col}`;
  return p.hint ? `${where} ${p.message} (${p.hint})` : `${where} ${p.message}`;
}

function formatProblems(problems: ScenarioProblem[]): string {
  const head = problems.length === 1 ? 'The scenario has 1 problem:' : `The scenario has ${problems.length} problems:`;
  return [head, ...problems.map((p) => `  ${formatProblem(p)}`)].join('\n');
}

export function isWsherdError(err: unknown): err is WsherdError {
  return err instanceof WsherdError;
}
