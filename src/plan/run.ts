/**
 * `wsherd plan` in one library call: inputs (file, then flags over it), costs (calibrated from results, or the
 * bundled reference), the model, and — with an output folder — plan.html and plan.md written into it.
 */
import path from 'node:path';
import { relativeToCwd } from '../cli/paths.js';
import { readResults, resolveResultsFile } from '../results/read.js';
import { prepareOutDir, writeFileAtomic } from '../results/write.js';
import { calibrate, referenceCosts } from './costs.js';
import { PlanInputError, inputsFromFlags, mergeInputs, resolveInputs, type PartialInputs, type PlanFlags } from './inputs.js';
import { loadPlanFile } from './inputs-file.js';
import { planCapacity } from './plan.js';
import { renderPlanHtml } from './render-html.js';
import { renderPlanMarkdown } from './render.js';
import { BALANCER_KINDS, type BalancerKind, type Plan } from './types.js';

const KIND_NAMES: Record<BalancerKind, string> = { wsherd: 'wsherd proxy (L4)', haproxy: 'HAProxy 2.6', nginx: 'nginx 1.22' };

export interface PlanOptions {
  /** A plan file (YAML); flags override its values key by key. */
  file?: string;
  flags: PlanFlags;
  /** results.json files (or run folders) to calibrate the costs from. */
  results?: string[];
  /** Folder for plan.html and plan.md. */
  outDir?: string;
}

export interface PlanOutcome {
  plan: Plan;
  files?: { html: string; markdown: string };
}

export async function runPlan(opts: PlanOptions): Promise<PlanOutcome> {
  const problems: string[] = [];
  const fromFlags = inputsFromFlags(opts.flags, problems);
  let fromFile: PartialInputs = {};
  if (opts.file !== undefined) {
    try {
      fromFile = await loadPlanFile(opts.file);
    } catch (err) {
      // File and flag problems together: fix everything in one go.
      if (err instanceof PlanInputError && problems.length > 0) throw new PlanInputError([...err.problems, ...problems]);
      throw err;
    }
  }
  if (problems.length > 0) throw new PlanInputError(problems);
  const merged = mergeInputs(fromFile, fromFlags);
  const inputs = resolveInputs(merged, opts.file !== undefined);
  const kind = inputs.balancerKind;
  const balancerTier = inputs.topology === 'balancer' || inputs.topology === 'dns-balancers';
  let costs = referenceCosts(kind);
  if (opts.results !== undefined && opts.results.length > 0) {
    const files = await Promise.all(opts.results.map(resolveResultsFile));
    const runs = await Promise.all(files.map(readResults));
    costs = calibrate(runs, inputs.topology, files.map((f) => relativeToCwd(f)), kind);
    if (merged.balancerKind !== undefined && balancerTier) {
      costs.notes.push(`Balancer kind ${kind}: the costs calibrated from --results win; ${kind}'s reference fills only balancer costs the runs did not measure.`);
    }
  } else if (balancerTier) {
    const others = BALANCER_KINDS.filter((k) => k !== kind).join('|');
    costs.notes.push(`Balancer costs: the ${KIND_NAMES[kind]} reference (measured in front of wsherd's backends on a 2-core VM, not your balancer); ` +
      `\`--balancer-kind ${others}\` (or balancer_kind: in a plan file) picks another balancer's reference; \`--results\` uses your own runs.`);
  }
  const plan = planCapacity(inputs, costs);
  if (opts.outDir === undefined) return { plan };
  const dir = await prepareOutDir(opts.outDir);
  const html = path.join(dir, 'plan.html');
  const markdown = path.join(dir, 'plan.md');
  await writeFileAtomic(html, renderPlanHtml(plan));
  await writeFileAtomic(markdown, renderPlanMarkdown(plan));
  return { plan, files: { html, markdown } };
}
