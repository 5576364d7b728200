import { Args, Flags } from '@oclif/core';
import { WsherdCommand } from '../src/cli/base-command.js';
import { relativeToCwd } from '../src/cli/paths.js';
import { reportFromFile, type ReportOutcome } from '../src/report/report-file.js';

export default class Report extends WsherdCommand {
  static override summary = 'Write the self-contained HTML report (index.html) of a results.json.';
  static override description = [
    'Reads a results.json written by `wsherd run` (or the run\'s output folder), validates it, and (re)writes index.html next to it, or into --out. The report is one file that opens offline.',
    'A results file written by a newer wsherd is refused with a message naming both versions.',
  ].join('\n\n');

  static override examples = [
    { description: 'Rewrite the report of a run', command: '<%= config.bin %> <%= command.id %> wsherd-results/quickstart-20250614-093000/results.json' },
    { description: 'Write the report into another folder', command: '<%= config.bin %> <%= command.id %> results.json --out /tmp/report' },
    { description: 'Print the summary as JSON', command: '<%= config.bin %> <%= command.id %> results.json --json' },
  ];

  static override enableJsonFlag = true;

  static override args = {
    results: Args.string({ description: 'A results.json written by `wsherd run`, or its output folder.', required: true }),
  };

  static override flags = {
    out: Flags.string({ char: 'o', description: 'Folder to write index.html into (default: the results file\'s folder).' }),
  };

  public async run(): Promise<ReportOutcome> {
    const { args, flags } = await this.parse(Report);
    const { data: _data, ...outcome } = await reportFromFile(args.results, flags.out);
    this.log(relativeToCwd(outcome.html));
    return outcome;
  }
}
