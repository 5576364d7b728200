/** `wsherd plan` as a library: inputs, calibration, the model and its outputs (docs/plan.md). */
export type * from './types.js';
export { calibrate, referenceCosts, MIN_CONNECTIONS } from './costs.js';
export { BALANCER_REFERENCES, REFERENCE_COSTS, REFERENCE_LABEL, referenceCostsFor } from './reference-costs.js';
export { BALANCER_KINDS } from './types.js';
export { planInputsFromFlags, PlanInputError, parseSize, type PlanFlags, type PartialInputs } from './inputs.js';
export { loadPlanFile, parsePlanFile } from './inputs-file.js';
export { sizeTiers } from './model.js';
export { nPlusOne } from './redundancy.js';
export { planGenerator } from './generator.js';
export { REFERENCE_GENERATOR_COSTS, calibrateGenerator, generatorHostOf, referenceGeneratorCosts } from './generator-costs.js';
export { planCapacity } from './plan.js';
export { renderPlanTerminal, renderPlanMarkdown, renderPlanHtml } from './render.js';
export { runPlan, type PlanOptions, type PlanOutcome } from './run.js';
