import { Args, Flags } from '@oclif/core';
import { WsherdCommand } from '../src/cli/base-command.js';
import { useColor } from '../src/cli/color.js';
import { relativeToCwd } from '../src/cli/paths.js';
import { mergeShards } from '../src/merge/merge.js';
import { exitCodeFor } from '../src/run/exit.js';
import { renderSummary } from '../src/report/terminal.js';
import { checkCiOutputs, writeCiOutputs } from '../src/report/ci-outputs.js';
import { parseDurationFlag } from '../src/shard/duration-flag.js';
import type { Results } from '../src/results/types.js';

export default class Merge extends WsherdCommand {
  static override summary = 'Merge the results of a run\'s shards (`run --shard i/N`) into one results.json and report, exactly.';
  static override description = [
    'Counters are summed, HDR histograms merged (percentiles are never averaged), per-second series aligned by wall-clock second (the barrier\'s clock where it measured each shard\'s offset), per-backend counts and sessions summed; then every derived figure and the thresholds are computed on the merged data, as `run` computes them.',
    'Refused (exit 2): files that are not shard results, shards of different runs (--run-id), scenarios or shard counts, a shard given twice. A missing, failed or aborted shard makes the merge partial: it is written, marked failed, naming the shards (exit 6). A start spread above --tolerance is warned in the summary and the report.',
    'Exit codes as `run`: 0 ok, 2 invalid input, 3 thresholds failed, 4 output not writable, 6 partial (a shard missing or failed), 7 inconclusive (a shard\'s generator was saturated), 8 nothing established. See docs/sharding.md.',
  ].join('\n\n');

  static override examples = [
    { description: 'Merge four shards\' folders', command: '<%= config.bin %> <%= command.id %> shard-0 shard-1 shard-2 shard-3 --out merged' },
    { description: 'In CI, after downloading every shard\'s artifact', command: '<%= config.bin %> <%= command.id %> shards/*/results.json --out merged --markdown merged/summary.md --junit merged/wsherd.xml' },
  ];

  static override enableJsonFlag = true;
  // Shard results are positional: `merge a b c`.
  static override strict = false;

  static override args = {
    shards: Args.string({ description: 'Each shard\'s results.json, or the folder holding it.', required: true, ignoreStdin: true }),
  };

  static override flags = {
    out: Flags.string({ char: 'o', description: 'Folder for the merged results.json and index.html.', required: true }),
    tolerance: Flags.string({ description: 'Warn when the shards\' second 0 (or their clocks) spread over more than this.', default: '1s' }),
    quiet: Flags.boolean({ char: 'q', description: 'Print only the summary\'s verdict lines.', default: false }),
    junit: Flags.string({ description: 'Also write the merged thresholds as JUnit XML to this file.' }),
    markdown: Flags.string({ description: 'Also write a Markdown summary to this file (and append it to $GITHUB_STEP_SUMMARY when set).' }),
    'accept-saturated': Flags.boolean({ description: 'Exit 0 or 3 even when a shard\'s generator was saturated, instead of 7.', default: false, env: 'WSHERD_ACCEPT_SATURATED' }),
  };

  public async run(): Promise<Results> {
    const { argv, flags } = await this.parse(Merge);
    const ci = { ...(flags.junit === undefined ? {} : { junit: flags.junit }), ...(flags.markdown === undefined ? {} : { markdown: flags.markdown }) };
    await checkCiOutputs(ci);
    const outcome = await mergeShards({ inputs: argv.map(String), outDir: flags.out, toleranceMs: parseDurationFlag('--tolerance', flags.tolerance) });
    const { results } = outcome;
    if (!this.jsonEnabled()) {
      const m = results.merge;
      if (m !== undefined) this.log(`Merged ${m.shards.length} of ${m.count} shards${m.runId === undefined ? '' : ` of run ${m.runId}`}; second 0 spread over ${Math.round(m.startSpreadMs)} ms${m.startSpreadUncertaintyMs === undefined ? '' : ` (± ${Math.round(m.startSpreadUncertaintyMs)} ms)`}.`);
      for (const w of m?.warnings ?? []) this.log(`Warning: ${w}`);
      if (!flags.quiet) this.log(renderSummary(results, { color: useColor(process.stdout) }));
      this.log(`Results: ${relativeToCwd(outcome.files.results)}`);
      this.log(`Report:  ${relativeToCwd(outcome.files.html)}`);
    }
    const ciFiles = await writeCiOutputs({ results, acceptSaturated: flags['accept-saturated'] }, ci);
    if (!this.jsonEnabled()) for (const f of ciFiles) this.log(`CI:      ${relativeToCwd(f)}`);
    process.exitCode = exitCodeFor(results, undefined, { acceptSaturated: flags['accept-saturated'] });
    return results;
  }
}
