/** The scenario part's public API: load and validate scenario files, and the names they may use. */
export { loadScenario, parseScenario } from './load.js';
export { parseThreshold, KNOWN_METRICS, THRESHOLD_OPS, metricDoc, type MetricDoc, type MetricKind, type ParsedThreshold, type ThresholdParseError } from './thresholds.js';
export { KNOWN_STRATEGIES, isKnownStrategy } from './strategies.js';
export { parseDuration, formatDuration } from './duration.js';
export { defaultPhases, MAX_TOTAL_MS } from './phases.js';
export { DEFAULT_BEHAVIOR, isLoopback } from './sections.js';
export type * from './types.js';
