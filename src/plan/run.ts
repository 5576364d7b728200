/**
 * `wsherd plan` in one library call: inputs (file, then flags over it), costs (calibrated from results, or the
 * bundled reference), the model, and — with an output folder — plan.html and plan.md written into it.
 */
import path from 'node:path';
import { relativeToCwd } from '../cli/paths.js';
import { isWsherdError } from '../errors.js';
import { readResults, resolveResultsFile } from '../results/read.js';
import { prepareOutDir, writeFileAtomic } from '../results/write.js';
import { calibrate, referenceCosts } from './costs.js';
import { num } from './format.js';
import { calibrateGenerator, generatorHostOf, measuredAny, referenceGeneratorCosts } from './generator-costs.js';
import { PlanInputError, inputsFromFlags, mergeInputs, resolveInputs, type PartialInputs, type PlanFlags } from './inputs.js';
import { loadPlanFile } from './inputs-file.js';
import { planCapacity } from './plan.js';
import { renderPlanHtml } from './render-html.js';
import { renderPlanMarkdown } from './render.js';
import type { Results } from '../results/types.js';
import { BALANCER_KINDS, type BalancerKind, type Costs, type GeneratorCosts, type GeneratorShape, type Plan, type Topology } from './types.js';

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
  const files = await Promise.all((opts.results ?? []).map(resolveResultsFile));
  const runs = await Promise.all(files.map(readResults));
  const names = files.map((f) => relativeToCwd(f));
  // The generator host defaults to the machine the (first) run's generator ran on: its cores, RAM, fd limit, ports.
  const inputs = resolveInputs(merged, opts.file !== undefined, runs[0] === undefined ? {} : generatorHostOf(runs[0]));
  const kind = inputs.balancerKind;
  const balancerTier = inputs.topology === 'balancer' || inputs.topology === 'dns-balancers';
  let costs = referenceCosts(kind);
  let generatorCosts = referenceGeneratorCosts();
  if (runs.length > 0) {
    generatorCosts = calibrateGenerator(runs, names);
    generatorCosts.notes.push(generatorHostNote(inputs.generator, merged.generator, names[0] as string));
    costs = productionCosts(runs, inputs.topology, names, kind, generatorCosts);
    if (merged.balancerKind !== undefined && balancerTier) {
      costs.notes.push(`Balancer kind ${kind}: the costs calibrated from --results win; ${kind}'s reference fills only balancer costs the runs did not measure.`);
    }
  } else if (balancerTier) {
    const others = BALANCER_KINDS.filter((k) => k !== kind).join('|');
    costs.notes.push(`Balancer costs: the ${KIND_NAMES[kind]} reference (measured in front of wsherd's backends on a 2-core VM, not your balancer); ` +
      `\`--balancer-kind ${others}\` (or balancer_kind: in a plan file) picks another balancer's reference; \`--results\` uses your own runs.`);
  }
  const plan = planCapacity(inputs, costs, generatorCosts);
  if (opts.outDir === undefined) return { plan };
  const dir = await prepareOutDir(opts.outDir);
  const html = path.join(dir, 'plan.html');
  const markdown = path.join(dir, 'plan.md');
  await writeFileAtomic(html, renderPlanHtml(plan));
  await writeFileAtomic(markdown, renderPlanMarkdown(plan));
  return { plan, files: { html, markdown } };
}

/** Which generator host the plan assumed, and that --generator-host (or hosts.generator) changes it. */
function generatorHostNote(g: GeneratorShape, given: Partial<GeneratorShape> | undefined, from: string): string {
  const user: Record<string, string> = { ramBytes: 'ram', portRange: 'port_range', openRate: 'open_rate' };
  const keys = Object.keys(given ?? {}).map((k) => user[k] ?? k);
  const shape = `${num(g.cores)} cores, ${num(g.ramBytes / 2 ** 30)} GiB, fds ${num(g.fds)}, ports ${g.portRange[0]}-${g.portRange[1]}`;
  return `Generator host: the machine ${from} ran on (${shape})${keys.length > 0 ? `, with ${keys.join(', ')} as given` : ''}; --generator-host (or hosts.generator) sizes another.`;
}

/**
 * The balancer and backend costs from the runs' probes. Runs with none (an external target: only a lab run's probes
 * see what a balancer spends) still calibrate the generator, so they plan with the reference costs for the other
 * tiers, said in the Notes, rather than stopping; a plan stops only when the runs calibrate nothing at all.
 */
function productionCosts(runs: readonly Results[], topology: Topology, names: readonly string[], kind: BalancerKind, generator: GeneratorCosts): Costs {
  try {
    return calibrate(runs, topology, names, kind);
  } catch (err) {
    if (!isWsherdError(err) || err.code !== 'WSH_ERR_PLAN_INVALID' || !measuredAny(generator)) throw err;
    const costs = referenceCosts(kind);
    const why = err.message.split('\n').slice(1).map((l) => l.trim()).join(' ');
    costs.notes.push(`The results calibrate the generator tier only; the other tiers use the reference costs (not your hosts): ${why}`);
    return costs;
  }
}
