import { Args, Flags } from '@oclif/core';
import { WsherdCommand } from '../src/cli/base-command.js';
import { useColor } from '../src/cli/color.js';
import { relativeToCwd } from '../src/cli/paths.js';
import { renderCompareSummary } from '../src/compare/summary.js';
import type { CompareResults } from '../src/compare/types.js';
import { WsherdError } from '../src/errors.js';
import { ExitCode } from '../src/exit-codes.js';
import { parseToleranceFlags } from '../src/report/baseline.js';
import { reportBaseline, type BaselineOutcome } from '../src/report/baseline-file.js';
import { renderBaselineSummary } from '../src/report/baseline-summary.js';
import { reportFromFile, type ReportOutcome } from '../src/report/report-file.js';
import { DEFAULT_SEVERAL_DIR, reportSeveral } from '../src/report/several.js';
import { compareFileOf, reportCompareFile } from '../src/compare/report-file.js';

type SeveralJson = CompareResults & { files: { json: string; html: string }; truncated: string[] };

export default class Report extends WsherdCommand {
  static override summary = 'Write the HTML report of a results.json; put several runs side by side; or compare a run against a baseline.';
  static override description = [
    'One results.json (or a run\'s output folder): validates it and (re)writes index.html next to it, or into --out. The report is one file that opens offline.',
    `Several: writes compare.html and compare.json with the runs side by side (into --out, default ./${DEFAULT_SEVERAL_DIR}/).`,
    'A compare.json written by `wsherd compare` (or its folder): (re)writes compare.html next to it, or into --out.',
    '--baseline OLD NEW: every metric both runs measured, old against new, with the delta; a metric regressed when it moved in its worse direction by more than its tolerance (--tolerance, default 10%, or the new scenario\'s baseline: section). Writes baseline.html next to the new run\'s index.html (or into --out).',
    'A file cut short (an aborted copy) is rendered as far as it is complete, marked partial. A file written by a newer wsherd is refused with a message naming both versions.',
    'Exit codes: 0 done (no regression), 2 invalid input (not a results file, unreadable, unrepairable), 3 --baseline found a regression, 4 output not writable. See docs/report.md.',
  ].join('\n\n');

  static override examples = [
    { description: 'Rewrite the report of a run', command: '<%= config.bin %> <%= command.id %> wsherd-results/quickstart-20250614-093000/results.json' },
    { description: 'Write the report into another folder', command: '<%= config.bin %> <%= command.id %> results.json --out /tmp/report' },
    { description: 'Rewrite the page of a `wsherd compare` run', command: '<%= config.bin %> <%= command.id %> wsherd-results/nat-skew-compare-20250614-093000/compare.json' },
    { description: 'Put three runs side by side', command: '<%= config.bin %> <%= command.id %> monday/results.json tuesday/results.json wednesday/results.json --out week' },
    { description: 'Fail CI when p99 connect grew by more than 20% or anything else by more than 10%', command: '<%= config.bin %> <%= command.id %> --baseline main/results.json pr/results.json --tolerance "p99(connect)=20%"' },
    { description: 'Print the summary as JSON', command: '<%= config.bin %> <%= command.id %> results.json --json' },
  ];

  static override enableJsonFlag = true;
  // Several results files are positional: `report a.json b.json c.json`.
  static override strict = false;

  static override args = {
    results: Args.string({ description: 'results.json files written by `wsherd run` (or their output folders): one to report, several to put side by side.', required: true, ignoreStdin: true }),
  };

  static override flags = {
    out: Flags.string({ char: 'o', description: 'Folder to write into (default: the results file\'s folder; with several files ./wsherd-report-compare).' }),
    baseline: Flags.string({ char: 'b', description: 'A baseline results.json (or folder) to compare the one results file against.' }),
    tolerance: Flags.string({ char: 't', multiple: true, multipleNonGreedy: true, description: 'With --baseline: allowed worsening, relative: 10% for every metric, or metric=20% for one (repeatable). Default 10%.' }),
  };

  public async run(): Promise<ReportOutcome | BaselineOutcome | SeveralJson> {
    const { argv, flags } = await this.parse(Report);
    const files = argv.map(String);
    const color = useColor(process.stdout);
    if (flags.baseline !== undefined) {
      if (files.length !== 1) {
        throw new WsherdError('WSH_ERR_INVALID_INPUT', `--baseline compares one results file against it, but ${files.length} were given.`, { hint: 'wsherd report --baseline old/results.json new/results.json' });
      }
      const b = await reportBaseline(flags.baseline, files[0] as string, { ...(flags.out === undefined ? {} : { outDir: flags.out }), tolerance: parseToleranceFlags(flags.tolerance ?? []) });
      if (this.jsonEnabled()) for (const w of b.warnings) process.stderr.write(`Warning: ${w}\n`);
      this.log(renderBaselineSummary(b, { color }));
      this.log(`Report: ${relativeToCwd(b.html)}`);
      // Regressions fail like thresholds do: a CI gate either way (docs/exit-codes.md).
      if (b.regressions.length > 0) process.exitCode = ExitCode.THRESHOLDS_FAILED;
      return b;
    }
    if (flags.tolerance !== undefined) throw new WsherdError('WSH_ERR_INVALID_INPUT', '--tolerance applies only with --baseline.', { hint: 'wsherd report --baseline old/results.json new/results.json --tolerance 10%' });
    if (files.length > 1) {
      const s = await reportSeveral(files, flags.out);
      for (const f of s.truncated) process.stderr.write(`Warning: ${relativeToCwd(f)} was cut short; its row shows what was complete, marked aborted.\n`);
      this.log(renderCompareSummary(s.compare, { color }));
      this.log(`Comparison: ${relativeToCwd(s.files.json)}`);
      this.log(`Report:     ${relativeToCwd(s.files.html)}`);
      return { ...s.compare, files: s.files, truncated: s.truncated };
    }
    const compareFile = await compareFileOf(files[0] as string);
    if (compareFile !== undefined) {
      const c = await reportCompareFile(compareFile, flags.out);
      for (const w of c.warnings) process.stderr.write(`Warning: ${w}\n`);
      this.log(renderCompareSummary(c.compare, { color }));
      this.log(`Report: ${relativeToCwd(c.html)}`);
      return { ...c.compare, files: { json: c.file, html: c.html }, truncated: [] };
    }
    const { data: _data, ...outcome } = await reportFromFile(files[0] as string, flags.out);
    if (outcome.truncated !== undefined) {
      process.stderr.write(`Warning: ${relativeToCwd(outcome.results)}: ${outcome.statusReason ?? 'cut short'}. The report is marked partial.\n`);
    }
    this.log(relativeToCwd(outcome.html));
    return outcome;
  }
}
