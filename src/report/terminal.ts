/**
 * Terminal outputs: live progress while a run goes (progress.ts) and the final summary (summary.ts).
 * One import point for commands.
 */
export { attachProgress, type ProgressOptions, type ProgressStream } from './progress.js';
export { renderSummary, type SummaryOptions } from './summary.js';
