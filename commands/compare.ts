import { Args, Flags } from '@oclif/core';
import { WsherdCommand } from '../src/cli/base-command.js';
import { useColor } from '../src/cli/color.js';
import { relativeToCwd } from '../src/cli/paths.js';
import { renderCompareSummary } from '../src/compare/summary.js';
import { runCompare } from '../src/compare/run.js';
import type { CompareResults } from '../src/compare/types.js';
import { compareExitCodeFor } from '../src/run/exit.js';
import { attachProgress } from '../src/report/terminal.js';
import { loadScenario } from '../src/scenario/load.js';
import { insideNetns, rerunInNetns } from '../src/run/netns.js';
import { checkCiOutputs, writeCiOutputs } from '../src/report/ci-outputs.js';
import { envFlag, scenarioEnv } from '../src/cli/env-flag.js';
import { watchStopSignals } from '../src/cli/stop-signals.js';

export default class Compare extends WsherdCommand {
  static override summary = 'Run one workload against each approach listed under `compare:` and put them side by side.';
  static override description = `Each approach (a balancing strategy, or a whole lab.proxy section) runs on a fresh lab with the same clients,
phases and behaviour, and writes its own results.json and report into a numbered subfolder; then compare.json and
compare.html show the approaches side by side with the best value per metric marked, and one sentence each says
what happened (for socket.io sessions: whether they stayed together and what broke).
Thresholds are evaluated and shown per approach, but do not set the exit code: approaches are expected to differ.
Exit codes: 0 every approach ran, 2 invalid input, 4 output not writable, 5 a lab failed, 6 the generator failed,
7 the generator was saturated in at least one approach (inconclusive; --accept-saturated gives 0), 130/143 aborted (what ran is written; the rest is marked skipped). See docs/exit-codes.md.`;

  static override examples = [
    { description: 'Which strategies keep socket.io sessions together?', command: '<%= config.bin %> <%= command.id %> scenarios/sticky-sessions.yaml' },
    { description: 'Into a chosen folder, as JSON for CI', command: '<%= config.bin %> <%= command.id %> scenarios/sticky-sessions.yaml --out results/sticky --json' },
    { description: 'One JUnit testsuite per approach, and the table as Markdown (also appended to $GITHUB_STEP_SUMMARY when set)', command: '<%= config.bin %> <%= command.id %> scenarios/sticky-sessions.yaml --junit reports/compare.xml --markdown reports/compare.md' },
  ];

  static override enableJsonFlag = true;

  static override args = {
    scenario: Args.string({ description: 'Scenario file (YAML) with a compare: list; see docs/scenario.md#compare.', required: true, ignoreStdin: true }),
  };

  static override flags = {
    out: Flags.string({ char: 'o', description: 'Output folder (default: wsherd-results/<name>-compare-<timestamp>).' }),
    insecure: Flags.boolean({ description: 'Accept self-signed TLS certificates on wss:// targets.', default: false }),
    quiet: Flags.boolean({ char: 'q', description: 'No live progress; print only the comparison.', default: false }),
    junit: Flags.string({ description: 'Also write JUnit XML to this file: one testsuite per approach, one testcase per threshold.' }),
    markdown: Flags.string({ description: 'Also write the comparison as Markdown to this file. With $GITHUB_STEP_SUMMARY set it is appended there too, flag or not.' }),
    'accept-saturated': Flags.boolean({ description: 'Exit 0 even when the generator was saturated in an approach\'s run, instead of 7 (inconclusive). The row still reads INCONCLUSIVE and gets no best mark. Also WSHERD_ACCEPT_SATURATED=1.', default: false, env: 'WSHERD_ACCEPT_SATURATED' }),
    env: envFlag,
  };

  static override handlesStopSignals = true;

  public async run(): Promise<CompareResults | undefined> {
    // Listening first: a signal during start-up stops the comparison like one during a run (what ran is written).
    const stops = watchStopSignals((name) => process.stderr.write(`\n${name}: stopping this approach, skipping the rest, writing what ran…\n`));
    try {
      return await this.compareAbortable(stops.signal);
    } finally {
      stops.dispose();
    }
  }

  private async compareAbortable(signal: AbortSignal): Promise<CompareResults | undefined> {
    const { args, flags } = await this.parse(Compare);
    const scenario = await loadScenario(args.scenario, { env: scenarioEnv(flags.env) });
    if (scenario.network?.namespace === true && !insideNetns()) {
      process.exitCode = await rerunInNetns(scenario.network, process.argv.slice(1));
      return undefined;
    }
    const ci = { ...(flags.junit === undefined ? {} : { junit: flags.junit }), ...(flags.markdown === undefined ? {} : { markdown: flags.markdown }) };
    await checkCiOutputs(ci);
    const color = useColor(process.stderr);
    let detach = (): void => {};
    try {
      const total = scenario.compare?.length ?? 0;
      const outcome = await runCompare({
        scenario,
        signal,
        insecure: flags.insecure,
        ...(flags.out === undefined ? {} : { outDir: flags.out }),
        onApproach: (entry, i, events) => {
          detach();
          if (flags.quiet || this.jsonEnabled()) return;
          process.stderr.write(`\n[${i + 1}/${total}] ${entry.name} (${entry.proxy.strategy}, ${entry.proxy.mode})\n`);
          detach = attachProgress(events, process.stderr, { color });
        },
      });
      detach();
      if (!this.jsonEnabled()) {
        this.log(renderCompareSummary(outcome.compare, { color: useColor(process.stdout) }));
        this.log(`Comparison: ${relativeToCwd(outcome.files.json)}`);
        this.log(`Report:     ${relativeToCwd(outcome.files.html)}`);
      }
      // After the summary, so an unwritable CI file is reported below what the run found.
      const ciFiles = await writeCiOutputs({ compare: outcome.compare, runs: outcome.runs, acceptSaturated: flags['accept-saturated'] }, ci);
      if (!this.jsonEnabled()) for (const f of ciFiles) this.log(`CI:         ${relativeToCwd(f)}`);
      process.exitCode = compareExitCodeFor(outcome.compare, outcome.runs, signal.aborted ? String(signal.reason) : undefined, { acceptSaturated: flags['accept-saturated'] });
      return outcome.compare;
    } finally {
      detach();
    }
  }
}
