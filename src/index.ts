/**
 * wsherd as a library (`import { runScenario } from 'wsherd'`): the same functions the commands call, so a
 * program can run a scenario, compare strategies, plan capacity, or start the reference lab and balancer, and
 * subscribe to a run's events instead of reading a terminal. Each command in `commands/` is a thin layer over one
 * of these.
 */
export { loadScenario, parseScenario, KNOWN_METRICS, KNOWN_STRATEGIES } from './scenario/index.js';
export type { Scenario, LabSpec, Behavior, ProxySpec } from './scenario/types.js';

export { runScenario, type RunOptions, type RunOutcome } from './run/run.js';
export { exitCodeFor } from './run/exit.js';
export { RunEvents, type Progress, type RunEventMap } from './run-events.js';

export { runCompare, type CompareOptions, type CompareOutcome } from './compare/run.js';
export type { CompareResults, ApproachRow } from './compare/types.js';

export { runPlan, planCapacity, calibrate, type PlanOptions, type PlanOutcome } from './plan/index.js';

export { readResults, parseResults, resolveResultsFile } from './results/read.js';
export type { Results, SkewStats, ThresholdResult, RunStatus } from './results/types.js';
export type { LatencyStats } from './results/derived.js';
export { verdictOf, oneLineSummary, type Verdict } from './report/verdict.js';
export { diagnose, type Diagnosis } from './analysis/diagnosis.js';
export { renderHtml, writeHtmlReport } from './report/html.js';

export { startLab } from './lab/start.js';
export type { Lab } from './lab/types.js';
export type { LabComponent, LabStats } from './results/lab-types.js';
export { startProxy, type ProxyOptions, type RunningProxy } from './proxy/server.js';
export { startBackend, type BackendOptions, type RunningBackend } from './backend/server.js';
export { startSocketIoBackend, type SocketIoBackendOptions } from './backend/socketio-server.js';

/** `behavior.script` modules: `export default async function (session: FlowSession) { … }` (docs/flows.md). */
export type { FlowScript, FlowSession, FlowFrame, FlowMatcher, FlowWaitOptions } from './load/flow/script-api.js';

export { WsherdError, isWsherdError, type WsherdErrorCode } from './errors.js';
export { ExitCode, type ExitCodeValue } from './exit-codes.js';
